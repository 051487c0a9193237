//! The in-memory index: key hash -> offset of the newest entry's metadata.
//!
//! An open-addressing hash table (linear probing) of 8-byte slots, read by
//! any number of threads without locks and written by one thread at a time
//! (the store's writer, under its mutex). Beside the slots, one control byte
//! per slot (0 while empty, else 0x80 | the top 7 bits of the mixed hash)
//! lets a probe skip slots of other keys, and a miss end, while touching
//! only the control bytes: 1 byte per slot instead of 8. A slot holds:
//!
//! ```text
//! bit 63     0 (reserved)
//! bit 62     tombstone: the key's newest entry is a deletion
//! bits 44-61 18-bit tag: the top bits of the mixed key hash
//! bits 0-43  offset of the entry's metadata in the file (never 0)
//! ```
//!
//! The full key hash is not kept in memory: it is the first field of the
//! entry's metadata in the file, which a hit reads anyway (it lies right after
//! the value). A probe compares tags first, so a miss almost never touches
//! the file. A slot is 0 until first used and is then only ever replaced by
//! another entry of the same key, so a reader that loads a slot sees either
//! the old or the new entry, both complete. Deleted keys keep a tombstone slot
//! until the table is next rebuilt (when it grows, or at compaction).

pub mod persist;

use memmap2::MmapRaw;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bits of a slot that hold the metadata offset.
const OFFSET_BITS: u32 = 44;
/// Largest metadata offset a slot can hold: stores are limited to 16 TiB.
pub(crate) const MAX_META_OFFSET: u64 = (1 << OFFSET_BITS) - 1;
const OFFSET_MASK: u64 = MAX_META_OFFSET;
const TAG_BITS: u32 = 18;
const TAG_MASK: u64 = ((1 << TAG_BITS) - 1) << OFFSET_BITS;
const TOMBSTONE: u64 = 1 << 62;
/// Smallest table.
const MIN_SLOTS: usize = 16;
/// Slots per segment of a persisted copy (fewer in a smaller table): each
/// segment's slots and control bytes have their own digest, checked the
/// first time a probe enters the segment.
const SEGMENT_SLOTS: usize = 1 << 12;

/// A random odd multiplier for [`Table`]'s mixer. Key hashes are XXH3 values
/// with a public seed (0), so keys can be chosen to share low bits; mixing
/// each hash with a secret multiplier (a folded 128-bit multiply, which
/// spreads every input bit over the result) keeps slot positions
/// unpredictable.
pub(crate) fn new_seed() -> u64 {
    std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1
}

/// A live slot found by a lookup: what it held.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SlotRef {
    value: u64,
}

impl SlotRef {
    /// Offset of the entry's metadata in the file.
    pub(crate) fn meta_offset(&self) -> u64 {
        self.value & OFFSET_MASK
    }

    /// Whether the slot marks the key deleted.
    pub(crate) fn is_tombstone(&self) -> bool {
        self.value & TOMBSTONE != 0
    }

    /// A slot value kept outside any table (a snapshot's record of a slot
    /// as it was).
    pub(crate) fn detached(value: u64) -> SlotRef {
        SlotRef { value }
    }
}

/// Result of [`Table::find_below`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Below {
    /// The key's slot, pointing below the limit.
    Found(SlotRef),
    /// The key's slot points below the limit, at a tombstone.
    Deleted,
    /// No slot of the key points below the limit; `passed` tells whether the
    /// probe passed slots it could not tell apart (pointing at or above the
    /// limit: written later, by this key or another).
    Absent { passed: bool },
    /// As [`Probe::Damaged`].
    Damaged,
}

/// Result of a lookup.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Probe {
    /// The key has no live value.
    Absent,
    /// The key's newest entry.
    Found(SlotRef),
    /// The key's slot points beyond the bytes the caller passed: it was
    /// written after the caller took its view. Take a fresh view and retry.
    Stale,
    /// The probe entered a segment of a persisted copy that failed its
    /// digest: nothing it holds may be used (see [`Table::check_all`]).
    Damaged,
}

/// The key hash stored in the metadata at `meta_offset`, if the whole
/// metadata lies inside `bytes`.
#[inline]
fn key_at(bytes: &[u8], meta_offset: u64) -> Option<u64> {
    let start = usize::try_from(meta_offset).ok()?;
    let end = start.checked_add(crate::format::METADATA_SIZE)?;
    let b = bytes.get(start..end)?;
    Some(u64::from_le_bytes(b[..8].try_into().ok()?))
}

/// What slot value `v`, whose control byte matched, says of a lookup of
/// `key_hash` (tag `tag`): `None` if it is another key's (the probe goes
/// on); the key's entry, `Absent` for its tombstone, or `Stale` if it points
/// beyond `bytes` (written after the caller's view). Every probe loop of
/// [`Table::find`] and [`Table::find_checking`] decides a slot here.
#[inline(always)]
fn answer(v: u64, tag: u64, key_hash: u64, bytes: &[u8]) -> Option<Probe> {
    if v & TAG_MASK != tag {
        return None;
    }
    match key_at(bytes, v & OFFSET_MASK) {
        None => Some(Probe::Stale),
        Some(k) if k == key_hash => Some(if v & TOMBSTONE != 0 {
            Probe::Absent
        } else {
            Probe::Found(SlotRef { value: v })
        }),
        Some(_) => None,
    }
}

/// Asks the CPU to start loading the cache line at `p`. A hint only: it
/// never faults, whatever the address.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch does
        // not access memory: any address, mapped or not, is allowed.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The control byte of a slot value (or of a tag): 0x80 | the top 7 bits
/// of the tag, which are the top 7 bits of the mixed hash.
#[inline]
fn ctrl_of(v: u64) -> u8 {
    0x80 | ((v >> (OFFSET_BITS + TAG_BITS - 7)) & 0x7f) as u8
}

/// Slots for a table that holds `keys` keys at most 3/4 full.
fn slots_for(keys: u64) -> usize {
    let need = usize::try_from(keys.saturating_mul(4) / 3 + 1).unwrap_or(usize::MAX / 2);
    need.max(MIN_SLOTS)
        .checked_next_power_of_two()
        .unwrap_or(usize::MAX / 2 + 1)
}

/// 0x01 in every byte.
const LOW_BYTES: u64 = 0x0101_0101_0101_0101;
/// The top bit of every byte.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The 16 control bytes of two words (`lo`'s first) against control byte
/// `c`, one bit per byte (bit `b` for byte `b`): the bytes equal to `c`,
/// and the empty ones (top bit clear: in a table that passed its checks,
/// exactly the zero bytes).
#[inline(always)]
fn group(lo: u64, hi: u64, c: u8) -> (u32, u32) {
    #[cfg(target_arch = "x86_64")]
    {
        group_sse2(lo, hi, c)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        group_swar(lo, hi, c)
    }
}

/// [`group`] with SSE2, which every x86_64 CPU has.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn group_sse2(lo: u64, hi: u64, c: u8) -> (u32, u32) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set1_epi8, _mm_set_epi64x};
    // SAFETY: SSE2 is part of the x86_64 baseline, so these intrinsics are
    // available on every CPU this code runs on; they compute on registers
    // only and touch no memory.
    unsafe {
        let g = _mm_set_epi64x(hi as i64, lo as i64);
        let same = _mm_movemask_epi8(_mm_cmpeq_epi8(g, _mm_set1_epi8(c as i8))) as u32;
        let empty = !(_mm_movemask_epi8(g) as u32) & 0xffff;
        (same, empty)
    }
}

/// [`group`] in plain integer arithmetic, for other CPUs (and checked
/// against the SSE2 version by a test on x86_64).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn group_swar(lo: u64, hi: u64, c: u8) -> (u32, u32) {
    let splat = LOW_BYTES * u64::from(c);
    let word = |w: u64| -> (u32, u32) {
        let x = w ^ splat;
        // Exactly the bytes equal to `c` (no carry crosses a byte: each sum
        // is at most 0xfe), as their top bits.
        let same = !(((x & !HIGH_BITS) + !HIGH_BITS) | x) & HIGH_BITS;
        let empty = !w & HIGH_BITS;
        // Gather the 8 top bits into one byte: bit 8b+7 moves to bit 56+b.
        let pack = |t: u64| ((t >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
        (pack(same), pack(empty))
    };
    let (s0, e0) = word(lo);
    let (s1, e1) = word(hi);
    (s0 | s1 << 8, e0 | e1 << 8)
}

/// Whether a word of control bytes holds a byte that is neither 0 nor has
/// its top bit set.
#[inline]
fn odd_bytes(w: u64) -> bool {
    let nonzero = (((w & !HIGH_BITS) + !HIGH_BITS) | w) & HIGH_BITS;
    nonzero & !w != 0
}

/// A table's control bytes, 8 to a word: slot `i`'s byte is byte `i % 8`
/// (little-endian) of word `i / 8`. Kept in words so that a lookup reads 8
/// at once, with one atomic load of the same size as every other access.
#[derive(Clone, Copy)]
struct Ctrl<'a>(&'a [AtomicU64]);

impl Ctrl<'_> {
    /// Slot `i`'s control byte.
    #[inline(always)]
    fn get(&self, i: usize, order: Ordering) -> u8 {
        (self.0[i / 8].load(order) >> ((i % 8) * 8)) as u8
    }

    /// [`group`] of words `k` and `k + 1` (wrapping: `wmask` is the number
    /// of words less one, a power of two less one), both loaded Acquire.
    #[inline(always)]
    fn pair(&self, k: usize, wmask: usize, c: u8) -> (u32, u32) {
        group(
            self.0[k].load(Ordering::Acquire),
            self.0[(k + 1) & wmask].load(Ordering::Acquire),
            c,
        )
    }

    /// Sets slot `i`'s control byte, which is 0 (Release: a reader that
    /// sees it sees the slot stored before). Only the table's one writer
    /// changes control bytes (readers never write them), so a load and a
    /// store do: no read-modify-write, which cost bulk loads 10% to 20%.
    #[inline]
    fn set(&self, i: usize, c: u8) {
        let w = &self.0[i / 8];
        w.store(
            w.load(Ordering::Relaxed) | u64::from(c) << ((i % 8) * 8),
            Ordering::Release,
        );
    }
}

/// Where a table's slots and control bytes live.
enum Memory {
    Heap {
        /// Control bytes, see the module docs, 8 to a word (little-endian:
        /// slot `i`'s byte is byte `i % 8` of word `i / 8`); stored after
        /// their slot.
        ctrl: Box<[AtomicU64]>,
        slots: Box<[AtomicU64]>,
    },
    /// A private (copy-on-write) mapping of a persisted copy: `n` slots at
    /// byte `at`, then `n` control bytes.
    Mapped { map: MmapRaw, at: usize, n: usize },
}

/// The state of a persisted copy's segments: which were checked against
/// their digests. Opening a store from its copy reads no segment; each is
/// checked the first time a probe enters it, and all of them before the
/// writer changes anything or a whole-table pass reads them.
struct Lazy {
    /// The digest of each segment, from the copy's header area.
    digests: Box<[u64]>,
    /// One bit per segment: checked and good.
    checked: Box<[AtomicU64]>,
    /// log2 of the slots per segment.
    shift: u32,
    /// Every segment checked and good, `used` counted.
    all: AtomicBool,
    /// A segment failed its digest.
    damaged: AtomicBool,
    /// Segments not yet checked: at 0, lookups stop checking.
    remaining: std::sync::atomic::AtomicUsize,
}

/// The table. Readers call [`Table::find`]; everything that changes it is
/// for one thread at a time (the caller serializes).
pub(crate) struct Table {
    mem: Memory,
    /// For a persisted copy: which segments were checked.
    lazy: Option<Box<Lazy>>,
    /// A persisted copy not yet checked whole (lookups check segments).
    unchecked: AtomicBool,
    mask: usize,
    seed: u64,
    /// Keys with a live value.
    live: AtomicU64,
    /// Slots in use (live keys and tombstones).
    used: AtomicU64,
}

impl Table {
    /// An empty table with room for `keys` keys.
    pub(crate) fn new(keys: u64, seed: u64) -> Table {
        Table::with_slots(slots_for(keys), seed)
    }

    fn with_slots(n: usize, seed: u64) -> Table {
        Table::on_heap(
            (0..n / 8).map(|_| AtomicU64::new(0)).collect(),
            (0..n).map(|_| AtomicU64::new(0)).collect(),
            seed,
        )
    }

    /// As [`Table::with_slots`], but `None` if the memory cannot be
    /// allocated, instead of aborting (for a size the caller chose).
    fn try_with_slots(n: usize, seed: u64) -> Option<Table> {
        let mut ctrl = Vec::new();
        ctrl.try_reserve_exact(n / 8).ok()?;
        ctrl.resize_with(n / 8, || AtomicU64::new(0));
        let mut slots = Vec::new();
        slots.try_reserve_exact(n).ok()?;
        slots.resize_with(n, || AtomicU64::new(0));
        Some(Table::on_heap(
            ctrl.into_boxed_slice(),
            slots.into_boxed_slice(),
            seed,
        ))
    }

    /// An empty table over zeroed arrays of the same power-of-two length.
    fn on_heap(ctrl: Box<[AtomicU64]>, slots: Box<[AtomicU64]>, seed: u64) -> Table {
        debug_assert!(ctrl.len() * 8 == slots.len() && slots.len().is_power_of_two());
        Table {
            mask: slots.len() - 1,
            mem: Memory::Heap { ctrl, slots },
            lazy: None,
            unchecked: AtomicBool::new(false),
            seed,
            live: AtomicU64::new(0),
            used: AtomicU64::new(0),
        }
    }

    /// The mixer's multiplier (for a persisted copy of the table).
    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// Number of slots.
    pub(crate) fn capacity(&self) -> usize {
        self.slots().len()
    }

    /// Number of live keys.
    pub(crate) fn len(&self) -> u64 {
        self.live.load(Ordering::Relaxed)
    }

    #[inline]
    fn slots(&self) -> &[AtomicU64] {
        match &self.mem {
            Memory::Heap { slots, .. } => slots,
            // SAFETY: `from_mapped` checked that the mapping holds `at + 9n`
            // bytes, so `at .. at + 8n` is inside it; `map` is a writable
            // private mapping that `self` owns and never unmaps while
            // borrowed, and no reference to its bytes exists (it is an
            // MmapRaw), so all access goes through these atomics. `at` is a
            // multiple of 8 and mappings are page aligned, so the pointer is
            // aligned for AtomicU64, which has the size and alignment of u64
            // and accepts any bit pattern. The mapping is private: this
            // process's writes never reach the file, and the library never
            // rewrites an index file in place (it writes a new one and
            // renames it), so the bytes change only through these atomics.
            Memory::Mapped { map, at, n } => unsafe {
                std::slice::from_raw_parts(map.as_mut_ptr().add(*at).cast::<AtomicU64>(), *n)
            },
        }
    }

    /// The control bytes, as words of 8.
    #[inline]
    fn ctrl(&self) -> Ctrl<'_> {
        Ctrl(match &self.mem {
            Memory::Heap { ctrl, .. } => ctrl,
            // SAFETY: as for `slots`, for the n bytes (n / 8 words) at
            // `at + 8n`, which is a multiple of 8 (n is a power of two of at
            // least 16), so the words are aligned.
            Memory::Mapped { map, at, n } => unsafe {
                std::slice::from_raw_parts(
                    map.as_mut_ptr().add(*at + *n * 8).cast::<AtomicU64>(),
                    *n / 8,
                )
            },
        })
    }

    /// The mask and both arrays for a probe: `mask + 1` slots and control
    /// bytes (`on_heap`, `from_mapped`). Taking exactly that many here lets
    /// the compiler see that every `i & mask` is in bounds, so a probe step
    /// has no bounds check.
    #[inline(always)]
    fn probe_arrays(&self) -> (usize, Ctrl<'_>, &[AtomicU64]) {
        let mask = self.mask;
        let c = self.ctrl();
        (mask, Ctrl(&c.0[..=mask / 8]), &self.slots()[..=mask])
    }

    /// Fills the empty slot `i` with `v`: the slot first, then its control
    /// byte, so a reader that sees the byte (Acquire) sees the slot.
    fn occupy(&self, i: usize, v: u64) {
        self.slots()[i].store(v, Ordering::Release);
        self.ctrl().set(i, ctrl_of(v));
    }

    #[inline]
    fn start(&self, key_hash: u64) -> (usize, u64) {
        let m = u128::from(key_hash) * u128::from(self.seed);
        let mixed = (m as u64) ^ ((m >> 64) as u64);
        let tag = (mixed >> (64 - TAG_BITS)) << OFFSET_BITS;
        (mixed as usize & self.mask, tag)
    }

    /// Starts loading what a probe for `key_hash` reads first: its home
    /// slot and the two words of control bytes [`Table::find`] compares
    /// (the second is in the next cache line for 1 home slot in 8).
    #[inline]
    pub(crate) fn prefetch_home(&self, key_hash: u64) {
        let i = self.start(key_hash).0;
        let c: *const AtomicU64 = &self.ctrl().0[i / 8];
        prefetch(c);
        // A prefetch never faults, even one past the end of the table (the
        // probe wraps to the first word there).
        prefetch(c.wrapping_add(1));
        prefetch(&self.slots()[i]);
    }

    /// The metadata offset in the key's home slot if its tag matches (no
    /// check of the file), so that callers can prefetch the metadata.
    #[inline]
    pub(crate) fn peek(&self, key_hash: u64) -> Option<u64> {
        let (i, tag) = self.start(key_hash);
        let v = self.slots()[i].load(Ordering::Relaxed);
        (v != 0 && v & TAG_MASK == tag).then_some(v & OFFSET_MASK)
    }

    /// Looks `key_hash` up. `bytes` is the file as far as the caller's view
    /// of it goes; every slot written before that view was taken points
    /// inside it.
    #[inline(always)]
    pub(crate) fn find(&self, key_hash: u64, bytes: &[u8]) -> Probe {
        // A persisted copy not yet checked whole takes the path that checks
        // segments; everything else runs the shortest loop (a read's
        // instruction count decides how many reads' cache misses overlap).
        if self.unchecked.load(Ordering::Acquire) {
            return self.find_checking(key_hash, bytes);
        }
        let (i, tag) = self.start(key_hash);
        let c = ctrl_of(tag);
        let (mask, ctrl, slots) = self.probe_arrays();
        // 16 control bytes at a time: the word that holds the home slot and
        // the next one (wrapping at the end of the table), from the home
        // slot on (9 to 16 slots), then further pairs of words in the cold
        // `find_on`. Two words rather than one, so that a miss nearly always
        // ends in the first pair: a probe that ends in one step ends on a
        // branch the CPU predicts, and the next read's cache misses overlap
        // this one's. (Acquire: each slot was stored before its control
        // byte, and the entry it points at was written to the file before
        // the slot.) The number of words, `mask / 8 + 1`, is a power of two.
        let wmask = mask / 8;
        let k = i / 8;
        let (same, empty) = ctrl.pair(k, wmask, c);
        // From the home slot on: bit b is slot i + b.
        let (same, empty) = (same >> (i % 8), empty >> (i % 8));
        // The home slot alone first, on a branch of its own: in a run of
        // hits the CPU predicts it taken and loads the slot without waiting
        // for the control bytes. Most hits end here.
        if same & 1 != 0 {
            if let Some(p) = answer(slots[i].load(Ordering::Acquire), tag, key_hash, bytes) {
                return p;
            }
        }
        // Then the other candidates before the first empty slot.
        let mut m = same & !1 & (empty & empty.wrapping_neg()).wrapping_sub(1);
        while m != 0 {
            let j = (i + m.trailing_zeros() as usize) & mask;
            if let Some(p) = answer(slots[j].load(Ordering::Acquire), tag, key_hash, bytes) {
                return p;
            }
            m &= m - 1;
        }
        if empty != 0 {
            return Probe::Absent;
        }
        self.find_on(key_hash, bytes, tag, (k + 2) & wmask, 16 - i % 8)
    }

    /// The rest of [`Table::find`]'s probe when the first 9 to 16 slots hold
    /// no empty one (rare in a table at most 3/4 full): whole pairs of
    /// words from word `k` on, `done` slots already looked at.
    #[cold]
    #[inline(never)]
    fn find_on(&self, key_hash: u64, bytes: &[u8], tag: u64, mut k: usize, done: usize) -> Probe {
        let c = ctrl_of(tag);
        let (mask, ctrl, slots) = self.probe_arrays();
        let wmask = mask / 8;
        let mut left = mask + 1 - done;
        while left > 0 {
            let (same, empty) = ctrl.pair(k, wmask, c);
            let mut m = same & (empty & empty.wrapping_neg()).wrapping_sub(1);
            while m != 0 {
                let j = (k * 8 + m.trailing_zeros() as usize) & mask;
                if let Some(p) = answer(slots[j].load(Ordering::Acquire), tag, key_hash, bytes) {
                    return p;
                }
                m &= m - 1;
            }
            if empty != 0 {
                return Probe::Absent;
            }
            left = left.saturating_sub(16);
            k = (k + 2) & wmask;
        }
        // Every slot was looked at: never the case in a table this library
        // built (at most 3/4 full); a crafted index file could fill one.
        Probe::Absent
    }

    /// [`Table::find`] for a persisted copy not yet checked whole: checks
    /// each segment the probe enters.
    #[inline(never)]
    fn find_checking(&self, key_hash: u64, bytes: &[u8]) -> Probe {
        let (mut i, tag) = self.start(key_hash);
        if !self.segment_ok(i) {
            return Probe::Damaged;
        }
        let c = ctrl_of(tag);
        let (mask, ctrl, slots) = self.probe_arrays();
        for _ in 0..=mask {
            let ci = ctrl.get(i, Ordering::Acquire);
            if ci == 0 {
                return Probe::Absent;
            }
            if ci == c {
                if let Some(p) = answer(slots[i].load(Ordering::Acquire), tag, key_hash, bytes) {
                    return p;
                }
            }
            i = (i + 1) & mask;
            if i & (SEGMENT_SLOTS - 1) == 0 && !self.segment_ok(i) {
                return Probe::Damaged;
            }
        }
        Probe::Absent
    }

    /// Looks `key_hash` up among the slots that point below `bytes.len()`
    /// (a snapshot's length), passing over slots that point at or beyond it:
    /// those were written after the snapshot, and their keys cannot be read
    /// from `bytes`. See [`Below`].
    pub(crate) fn find_below(&self, key_hash: u64, bytes: &[u8]) -> Below {
        let (mut i, tag) = self.start(key_hash);
        if !self.segment_ok(i) {
            return Below::Damaged;
        }
        let c = ctrl_of(tag);
        let (mask, ctrl, slots) = self.probe_arrays();
        let mut passed = false;
        for _ in 0..=mask {
            let ci = ctrl.get(i, Ordering::Acquire);
            if ci == 0 {
                return Below::Absent { passed };
            }
            if ci == c {
                let v = slots[i].load(Ordering::Acquire);
                if v & TAG_MASK == tag {
                    match key_at(bytes, v & OFFSET_MASK) {
                        None => passed = true,
                        Some(k) if k == key_hash => {
                            return if v & TOMBSTONE != 0 {
                                Below::Deleted
                            } else {
                                Below::Found(SlotRef { value: v })
                            };
                        }
                        Some(_) => {}
                    }
                }
            }
            i = (i + 1) & mask;
            if i & (SEGMENT_SLOTS - 1) == 0 && !self.segment_ok(i) {
                return Below::Damaged;
            }
        }
        Below::Absent { passed }
    }

    /// Writer side: the slot value `key_hash` has now (0 if it has none);
    /// `bytes` shows every entry the table points at.
    pub(crate) fn current(&self, key_hash: u64, bytes: &[u8]) -> u64 {
        match self.slot_for_write(key_hash, bytes).0 {
            Some((_, v)) => v,
            None => 0,
        }
    }

    /// Whether the segment holding slot `i` may be used: always for a table
    /// built in memory; for a persisted copy, once the segment matched its
    /// digest (checked here the first time).
    #[inline(always)]
    fn segment_ok(&self, i: usize) -> bool {
        match &self.lazy {
            None => true,
            Some(l) => {
                l.all.load(Ordering::Acquire) || {
                    let seg = i >> l.shift;
                    l.checked[seg / 64].load(Ordering::Acquire) & (1 << (seg % 64)) != 0
                        || self.check_segment(l, seg)
                }
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn check_segment(&self, l: &Lazy, seg: usize) -> bool {
        if l.damaged.load(Ordering::Relaxed) {
            return false;
        }
        let bit = 1u64 << (seg % 64);
        if self.segment_digest(seg, l.shift) == l.digests[seg]
            && self.segment_bytes_ok(seg, l.shift)
        {
            let before = l.checked[seg / 64].fetch_or(bit, Ordering::Release);
            if before & bit == 0 && l.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                // Every segment checked: lookups take the short path.
                self.unchecked.store(false, Ordering::Release);
            }
            return true;
        }
        // The writer changes a copy's slots only after checking every
        // segment (`check_all`): a segment that changed while it was hashed
        // here had been found good first. (The fence orders the loads of
        // the hash before the loads of the flags below.)
        std::sync::atomic::fence(Ordering::Acquire);
        if l.all.load(Ordering::Acquire) || l.checked[seg / 64].load(Ordering::Acquire) & bit != 0 {
            return true;
        }
        l.damaged.store(true, Ordering::Relaxed);
        false
    }

    /// Whether every control byte of segment `seg` is 0 or has its top bit
    /// set: the only bytes lookups (which take a byte without the top bit
    /// as empty) and the writer (which takes any non-zero byte as used)
    /// read alike. A crafted copy may hold others, with matching digests.
    fn segment_bytes_ok(&self, seg: usize, shift: u32) -> bool {
        let (from, to) = ((seg << shift) / 8, ((seg + 1) << shift) / 8);
        !self.ctrl().0[from..to]
            .iter()
            .any(|w| odd_bytes(w.load(Ordering::Relaxed)))
    }

    /// Slots per segment in a persisted copy of a table of `n` slots.
    fn segment_slots(n: usize) -> usize {
        n.min(SEGMENT_SLOTS)
    }

    /// XXH3-64 of segment `seg` (of `1 << shift` slots): its slots,
    /// little-endian, then its control bytes.
    fn segment_digest(&self, seg: usize, shift: u32) -> u64 {
        let (from, to) = (seg << shift, (seg + 1) << shift);
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut buf = [0u8; 4096];
        for chunk in self.slots()[from..to].chunks(512) {
            for (b, s) in buf.chunks_exact_mut(8).zip(chunk) {
                b.copy_from_slice(&s.load(Ordering::Relaxed).to_le_bytes());
            }
            h.update(&buf[..chunk.len() * 8]);
        }
        for chunk in self.ctrl().0[from / 8..to / 8].chunks(512) {
            for (b, w) in buf.chunks_exact_mut(8).zip(chunk) {
                b.copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
            }
            h.update(&buf[..chunk.len() * 8]);
        }
        h.digest()
    }

    /// The digest of every segment, for a persisted copy (see
    /// [`Table::write_raw`]).
    pub(crate) fn segment_digests(&self) -> Vec<u64> {
        let shift = Table::segment_slots(self.capacity()).trailing_zeros();
        (0..self.capacity() >> shift)
            .map(|seg| self.segment_digest(seg, shift))
            .collect()
    }

    /// Number of segments in a persisted copy of a table of `slots` slots.
    pub(crate) fn segment_count(slots: u64) -> u64 {
        let n = slots as usize;
        (n / Table::segment_slots(n).max(1)) as u64
    }

    /// For a persisted copy: checks every segment not yet checked against
    /// its digest. Any thread may call it (before reading the table whole,
    /// for example); `false` if one failed. Always `true` for a table built
    /// in memory.
    pub(crate) fn check_segments(&self) -> bool {
        let Some(l) = &self.lazy else {
            return true;
        };
        l.all.load(Ordering::Acquire)
            || (0..l.digests.len()).all(|seg| self.segment_ok(seg << l.shift))
    }

    /// For a persisted copy: [`Table::check_segments`], then counts the
    /// slots in use and checks that the table is at most 3/4 full and holds
    /// at least the live keys its header claims. Runs before anything
    /// changes the table (the writer, refresh, saving), by the one thread
    /// allowed to change it. `false` if anything is out of place: nothing
    /// the table holds may be used then. Always `true` for a table built in
    /// memory.
    pub(crate) fn check_all(&self) -> bool {
        let Some(l) = &self.lazy else {
            return true;
        };
        if l.all.load(Ordering::Acquire) {
            return true;
        }
        if !self.check_segments() {
            return false;
        }
        // A control byte is 0 (empty) or has its top bit set: lookups read
        // a byte without it as empty, the writer as taken.
        let words = self.ctrl().0;
        let odd = words.iter().any(|w| odd_bytes(w.load(Ordering::Relaxed)));
        let used: u64 = words
            .iter()
            .map(|w| u64::from((w.load(Ordering::Relaxed) & HIGH_BITS).count_ones()))
            .sum();
        if odd || used > (self.capacity() as u64) / 4 * 3 || self.len() > used {
            l.damaged.store(true, Ordering::Relaxed);
            return false;
        }
        self.used.store(used, Ordering::Relaxed);
        l.all.store(true, Ordering::Release);
        self.unchecked.store(false, Ordering::Release);
        true
    }

    /// Whether everything the table holds was checked (see
    /// [`Table::check_all`]).
    pub(crate) fn is_checked(&self) -> bool {
        self.lazy
            .as_ref()
            .is_none_or(|l| l.all.load(Ordering::Acquire))
    }

    /// Whether `n` more keys fit without passing 3/4 full.
    pub(crate) fn has_room_for(&self, n: u64) -> bool {
        let limit = (self.slots().len() as u64) / 4 * 3;
        self.used.load(Ordering::Relaxed).saturating_add(n) <= limit
    }

    /// Writer side: the slot of `key_hash` (its index and value) if the
    /// table has it, else the first empty slot of its probe (value 0).
    /// `None` only if a crafted index file filled the table. Also returns
    /// the key's tag.
    fn slot_for_write(&self, key_hash: u64, bytes: &[u8]) -> (Option<(usize, u64)>, u64) {
        debug_assert!(
            self.is_checked(),
            "a persisted copy changed before check_all"
        );
        let (mut i, tag) = self.start(key_hash);
        let c = ctrl_of(tag);
        let (mask, ctrl, slots) = self.probe_arrays();
        for _ in 0..=mask {
            let ci = ctrl.get(i, Ordering::Relaxed);
            if ci == 0 {
                return (Some((i, 0)), tag);
            }
            if ci == c {
                let v = slots[i].load(Ordering::Relaxed);
                if v & TAG_MASK == tag && key_at(bytes, v & OFFSET_MASK) == Some(key_hash) {
                    return (Some((i, v)), tag);
                }
            }
            i = (i + 1) & mask;
        }
        (None, tag)
    }

    /// Writer only: points `key_hash` at a newer entry, or marks it deleted
    /// (`tombstone`; a key without a slot is then left alone). `bytes` must
    /// show every entry the table points at. The caller makes sure there is
    /// room ([`Table::has_room_for`]).
    pub(crate) fn set(&self, key_hash: u64, meta_offset: u64, tombstone: bool, bytes: &[u8]) {
        debug_assert!(meta_offset != 0 && meta_offset <= MAX_META_OFFSET);
        let (found, tag) = self.slot_for_write(key_hash, bytes);
        let new = tag | meta_offset | if tombstone { TOMBSTONE } else { 0 };
        match found {
            None => {}
            Some((_, 0)) if tombstone => {}
            Some((i, 0)) => {
                self.occupy(i, new);
                self.used.fetch_add(1, Ordering::Relaxed);
                self.live.fetch_add(1, Ordering::Relaxed);
            }
            Some((i, v)) => {
                self.slots()[i].store(new, Ordering::Release);
                match (v & TOMBSTONE != 0, tombstone) {
                    (false, true) => {
                        self.live.fetch_sub(1, Ordering::Relaxed);
                    }
                    (true, false) => {
                        self.live.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        }
    }

    /// While building from the file newest entry first: records the entry
    /// unless a newer one of the same key (or its tombstone) is already
    /// there. The caller makes sure there is room.
    pub(crate) fn note_older(
        &self,
        key_hash: u64,
        meta_offset: u64,
        tombstone: bool,
        bytes: &[u8],
    ) {
        if let (Some((i, 0)), tag) = self.slot_for_write(key_hash, bytes) {
            let t = if tombstone { TOMBSTONE } else { 0 };
            self.occupy(i, tag | meta_offset | t);
            self.used.fetch_add(1, Ordering::Relaxed);
            if !tombstone {
                self.live.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A new table with the live entries only (tombstones dropped), with room
    /// for `extra` more keys. Reads each live entry's key hash from `bytes`;
    /// `Err(meta_offset)` if one lies outside it.
    pub(crate) fn rebuilt(&self, extra: u64, bytes: &[u8]) -> Result<Table, u64> {
        let t = Table::new(self.counted(false).saturating_add(extra), self.seed);
        self.copy_into(&t, false, bytes)?;
        Ok(t)
    }

    /// As [`Table::rebuilt`] for a size the caller chose (see
    /// [`crate::Store::reserve`]): `None` if the memory for it cannot be
    /// allocated, instead of aborting.
    pub(crate) fn try_rebuilt(&self, extra: u64, bytes: &[u8]) -> Option<Result<Table, u64>> {
        let n = slots_for(self.counted(false).saturating_add(extra));
        let t = Table::try_with_slots(n, self.seed)?;
        Some(self.copy_into(&t, false, bytes).map(|()| t))
    }

    /// As [`Table::rebuilt`], keeping tombstones (while building from the
    /// file newest first, they hide older versions still to come).
    pub(crate) fn grown(&self, extra: u64, bytes: &[u8]) -> Result<Table, u64> {
        let t = Table::new(self.counted(true).saturating_add(extra), self.seed);
        self.copy_into(&t, true, bytes)?;
        Ok(t)
    }

    /// How many slots a copy takes: live keys, and tombstones if asked. The
    /// counters of a table read from an index file are not trusted for
    /// this (a crafted file could understate them, and a table sized from
    /// them would drop keys): its slots are counted.
    fn counted(&self, tombstones: bool) -> u64 {
        match self.mem {
            Memory::Heap { .. } if tombstones => self.used.load(Ordering::Relaxed),
            Memory::Heap { .. } => self.len(),
            Memory::Mapped { .. } => self.to_copy(tombstones).count() as u64,
        }
    }

    /// The slot values a copy takes: live keys, and tombstones if asked.
    fn to_copy(&self, tombstones: bool) -> impl Iterator<Item = u64> + '_ {
        debug_assert!(self.is_checked(), "a persisted copy read before check_all");
        self.slots()
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .filter(move |&v| v != 0 && (tombstones || v & TOMBSTONE == 0))
    }

    /// Copies the slots (live ones, and tombstones if asked) into the empty
    /// table `t`, reading each key hash from the file. Works in groups:
    /// prefetch the group's metadata, then its new home slots, then place
    /// it, so that the cache misses overlap.
    fn copy_into(&self, t: &Table, tombstones: bool, bytes: &[u8]) -> Result<(), u64> {
        const GROUP: usize = 32;
        let mut vals = [0u64; GROUP];
        let mut hashes = [0u64; GROUP];
        let mut all = self.to_copy(tombstones).peekable();
        while all.peek().is_some() {
            let mut n = 0;
            for v in all.by_ref().take(GROUP) {
                vals[n] = v;
                prefetch(bytes.as_ptr().wrapping_add((v & OFFSET_MASK) as usize));
                n += 1;
            }
            for j in 0..n {
                let off = vals[j] & OFFSET_MASK;
                hashes[j] = key_at(bytes, off).ok_or(off)?;
                t.prefetch_home(hashes[j]);
            }
            for j in 0..n {
                t.place_new(hashes[j], vals[j]);
            }
        }
        Ok(())
    }

    /// Adds a key known not to be in the table yet (no file access).
    pub(crate) fn insert_new(&self, key_hash: u64, meta_offset: u64) {
        let (_, tag) = self.start(key_hash);
        let v = tag | meta_offset;
        self.place_new(key_hash, v);
    }

    /// Puts a slot value for a key known not to be in the table yet.
    fn place_new(&self, key_hash: u64, v: u64) {
        let (mut i, _) = self.start(key_hash);
        let mut left = self.slots().len();
        while self.ctrl().get(i, Ordering::Relaxed) != 0 {
            i = (i + 1) & self.mask;
            left -= 1;
            if left == 0 {
                // Full: only a crafted index file can claim fewer keys
                // than it holds. Drop the key rather than loop.
                return;
            }
        }
        self.occupy(i, v);
        self.used.fetch_add(1, Ordering::Relaxed);
        if v & TOMBSTONE == 0 {
            self.live.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The live slots (metadata offsets, tombstone bits), in no particular
    /// order. Consistent only if no writer runs meanwhile.
    pub(crate) fn live_entries(&self) -> Vec<SlotRef> {
        debug_assert!(self.check_segments(), "a damaged persisted copy read whole");
        let mut out = Vec::with_capacity(self.len() as usize);
        out.extend(
            self.slots()
                .iter()
                .map(|s| SlotRef {
                    value: s.load(Ordering::Relaxed),
                })
                .filter(|s| s.value != 0 && s.value & TOMBSTONE == 0),
        );
        out
    }

    /// Calls `f` with the metadata offset of every live slot, in slot order
    /// (no copy). Consistent only if no writer runs meanwhile.
    pub(crate) fn for_each_live(&self, mut f: impl FnMut(u64)) {
        debug_assert!(self.check_segments(), "a damaged persisted copy read whole");
        for s in self.slots() {
            let v = s.load(Ordering::Relaxed);
            if v != 0 && v & TOMBSTONE == 0 {
                f(v & OFFSET_MASK);
            }
        }
    }

    /// Writes the table as a persisted copy: the slots (little-endian), then
    /// the control bytes. A copy is read back with the digest of each of its
    /// segments ([`Table::segment_digests`]).
    pub(crate) fn write_raw(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        debug_assert!(self.is_checked(), "a persisted copy read before check_all");
        let mut buf = Vec::with_capacity(1 << 16);
        for chunk in self.slots().chunks(8192) {
            buf.clear();
            for s in chunk {
                buf.extend_from_slice(&s.load(Ordering::Relaxed).to_le_bytes());
            }
            out.write_all(&buf)?;
        }
        for chunk in self.ctrl().0.chunks(8192) {
            buf.clear();
            for w in chunk {
                buf.extend_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
            }
            out.write_all(&buf)?;
        }
        Ok(())
    }

    /// Bytes [`Table::write_raw`] writes for a table of `slots` slots.
    pub(crate) fn raw_len(slots: u64) -> Option<u64> {
        slots.checked_mul(9)
    }

    /// A table over a persisted copy (see [`Table::write_raw`]) that the
    /// caller mapped privately: `slots` slots at byte `at`, then their
    /// control bytes, with `live` live keys and the digest of each segment.
    /// Checks the shape only (the size, the seed, one digest per segment):
    /// nothing in the slots is read here. Each segment is checked against
    /// its digest the first time a probe enters it, and all of them before
    /// the table changes or is read whole ([`Table::check_all`]). Slots
    /// pointing outside the store cannot make lookups loop (see
    /// [`Probe::Stale`]). `None` if anything is out of place.
    pub(crate) fn from_mapped(
        map: MmapRaw,
        at: usize,
        slots: u64,
        seed: u64,
        live: u64,
        digests: Box<[u64]>,
    ) -> Option<Table> {
        let n = usize::try_from(slots).ok()?;
        if n < MIN_SLOTS || !n.is_power_of_two() || seed & 1 == 0 {
            return None;
        }
        if !at.is_multiple_of(8) || map.len() != at.checked_add(n.checked_mul(9)?)? {
            return None;
        }
        let shift = Table::segment_slots(n).trailing_zeros();
        let segments = n >> shift;
        if digests.len() != segments || live > (n as u64) / 4 * 3 {
            return None;
        }
        let lazy = Lazy {
            digests,
            checked: (0..segments.div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
            shift,
            all: AtomicBool::new(false),
            damaged: AtomicBool::new(false),
            remaining: std::sync::atomic::AtomicUsize::new(segments),
        };
        Some(Table {
            mem: Memory::Mapped { map, at, n },
            lazy: Some(Box::new(lazy)),
            unchecked: AtomicBool::new(true),
            mask: n - 1,
            seed,
            live: AtomicU64::new(live),
            // Counted by `check_all`, before anything relies on it.
            used: AtomicU64::new(live),
        })
    }

    /// Whether a rebuild would at least halve the table, or drop many
    /// tombstones.
    pub(crate) fn oversized(&self) -> bool {
        let used = self.used.load(Ordering::Relaxed);
        slots_for(self.len()) * 2 <= self.slots().len() || used > self.len() + self.len() / 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format;

    /// A file of entries (key hashes `keys`, tombstone where true), with the
    /// metadata offset of each.
    fn file_of(items: &[(u64, bool)]) -> (Vec<u8>, Vec<u64>) {
        let mut file = Vec::new();
        let mut metas = Vec::new();
        for &(h, tomb) in items {
            let tail = file.len() as u64;
            if tomb {
                file.extend_from_slice(&format::encode_tombstone(tail, h));
            } else {
                format::encode_value_into(&mut file, tail, h, b"value");
            }
            metas.push(file.len() as u64 - format::METADATA_SIZE as u64);
        }
        (file, metas)
    }

    fn found(t: &Table, h: u64, bytes: &[u8]) -> Option<u64> {
        match t.find(h, bytes) {
            Probe::Found(s) => Some(s.meta_offset()),
            Probe::Absent => None,
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn newest_entry_wins_and_tombstones_hide_older_versions() {
        let (file, m) = file_of(&[(2, false), (1, false), (2, true), (1, false)]);
        let t = Table::new(4, new_seed());
        // Walking backwards: newest first.
        for (i, &(h, tomb)) in [(1, false), (2, true), (1, false), (2, false)]
            .iter()
            .enumerate()
        {
            t.note_older(h, m[3 - i], tomb, &file);
        }
        assert_eq!(t.len(), 1);
        assert_eq!(found(&t, 1, &file), Some(m[3]));
        assert_eq!(found(&t, 2, &file), None);
        let r = t.rebuilt(0, &file).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(found(&r, 1, &file), Some(m[3]));
    }

    #[test]
    fn set_replaces_deletes_and_revives() {
        let (file, m) = file_of(&[(7, false), (7, false), (7, true), (7, false), (9, true)]);
        let t = Table::new(1, new_seed());
        t.set(7, m[0], false, &file);
        assert_eq!(found(&t, 7, &file), Some(m[0]));
        t.set(7, m[1], false, &file);
        assert_eq!(found(&t, 7, &file), Some(m[1]));
        assert_eq!(t.len(), 1);
        t.set(7, m[2], true, &file);
        assert_eq!(found(&t, 7, &file), None);
        assert_eq!(t.len(), 0);
        t.set(7, m[3], false, &file);
        assert_eq!(found(&t, 7, &file), Some(m[3]));
        assert_eq!(t.len(), 1);
        // Deleting a key the table does not have takes no slot.
        t.set(9, m[4], true, &file);
        assert_eq!(t.used.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_full_small_table_finds_every_key_across_words_and_the_wrap() {
        // 12 keys in 16 slots (3/4 full): probes run across the two words
        // of control bytes and wrap from the last slot to the first.
        for seed in [3u64, 5, 7, 0x9E37_79B9_7F4A_7C15] {
            let items: Vec<(u64, bool)> = (1..=12u64).map(|i| (i * 0x1234_5677, false)).collect();
            let (file, m) = file_of(&items);
            let t = Table::with_slots(16, seed | 1);
            assert!(t.has_room_for(12));
            for (i, &(h, _)) in items.iter().enumerate() {
                t.set(h, m[i], false, &file);
            }
            for (i, &(h, _)) in items.iter().enumerate() {
                assert_eq!(found(&t, h, &file), Some(m[i]), "seed {seed} key {i}");
            }
            for h in 1..500u64 {
                assert_eq!(found(&t, h * 0x1234_5677 + 1, &file), None);
            }
        }
    }

    #[test]
    fn the_sse2_and_portable_groups_agree() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // Words of every kind of byte: empty (0), occupied (0x80..=0xff) and
        // the odd bytes (0x01..=0x7f) that only a damaged copy holds.
        let pick = |r: u64, c: u8| -> u8 {
            match r % 5 {
                0 => 0,
                1 => c,
                2 => c ^ 1,
                3 => (r >> 8) as u8 | 0x80,
                _ => (r >> 8) as u8,
            }
        };
        for _ in 0..200_000 {
            let c = next() as u8 | 0x80;
            let mut w = [0u64; 2];
            for word in &mut w {
                for b in 0..8 {
                    *word |= u64::from(pick(next(), c)) << (b * 8);
                }
            }
            let (same, empty) = group_swar(w[0], w[1], c);
            let bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
            for (b, &byte) in bytes.iter().enumerate() {
                assert_eq!(same >> b & 1 == 1, byte == c, "{w:x?} {c:x}");
                assert_eq!(empty >> b & 1 == 1, byte & 0x80 == 0, "{w:x?} {c:x}");
            }
            #[cfg(target_arch = "x86_64")]
            assert_eq!(group_sse2(w[0], w[1], c), (same, empty), "{w:x?} {c:x}");
        }
    }

    #[test]
    fn lookups_agree_with_a_slot_at_a_time_probe_up_to_a_full_table() {
        // `find` reads 16 control bytes at a time from the home slot on;
        // `find_checking` (which checks no segment in a table built in
        // memory) one slot at a time. Over tables filled from a few keys to
        // every slot, with colliding control bytes, stale slots (a view
        // shorter than the file) and tombstones, both give the same answer
        // for every key written and for absent ones.
        for slots in [16usize, 32, 64, 256] {
            for seed in [3u64, 0x9E37_79B9_7F4A_7C15] {
                for fill in [1, slots / 4, slots / 2, slots * 3 / 4, slots - 1, slots] {
                    // Hashes that share their control byte half of the time.
                    let items: Vec<(u64, bool)> = (1..=fill as u64)
                        .map(|i| {
                            (
                                if i % 2 == 0 { i << 40 } else { i * 0x1234_5677 },
                                i % 7 == 0,
                            )
                        })
                        .collect();
                    let (file, m) = file_of(&items);
                    let t = Table::with_slots(slots, seed | 1);
                    for (i, &(h, tomb)) in items.iter().enumerate() {
                        t.place_new(h, m[i] | t.start(h).1 | if tomb { TOMBSTONE } else { 0 });
                    }
                    assert_eq!(t.used.load(Ordering::Relaxed), fill as u64);
                    let half = &file[..file.len() / 2];
                    let absent = (1..300u64).map(|i| i * 0x51_7CC1_B727_220B);
                    for h in items.iter().map(|&(h, _)| h).chain(absent) {
                        for bytes in [&file[..], half] {
                            let fast = format!("{:?}", t.find(h, bytes));
                            let slow = format!("{:?}", t.find_checking(h, bytes));
                            assert_eq!(
                                fast, slow,
                                "{slots} slots, {fill} keys, seed {seed}, key {h:x}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_copy_with_a_control_byte_lookups_and_writer_disagree_on_is_refused() {
        let items: Vec<(u64, bool)> = (1..=10u64).map(|i| (i * 77, false)).collect();
        let (file, m) = file_of(&items);
        let t = Table::new(10, 3);
        for (i, &(h, _)) in items.iter().enumerate() {
            t.set(h, m[i], false, &file);
        }
        let mut raw = Vec::new();
        t.write_raw(&mut raw).unwrap();
        let n = t.capacity();
        // An empty slot's control byte set to 0x01: not 0, no top bit.
        let empty = (0..n).find(|&i| raw[n * 8 + i] == 0).unwrap();
        raw[n * 8 + empty] = 0x01;
        let mut map = memmap2::MmapMut::map_anon(raw.len()).unwrap();
        map.copy_from_slice(&raw);
        let probe =
            Table::from_mapped(MmapRaw::from(map), 0, n as u64, 3, 10, vec![0].into()).unwrap();
        let digests = probe.segment_digests().into_boxed_slice();
        let mut map = memmap2::MmapMut::map_anon(raw.len()).unwrap();
        map.copy_from_slice(&raw);
        let forged = Table::from_mapped(MmapRaw::from(map), 0, n as u64, 3, 10, digests).unwrap();
        // Refused when its segment is first checked (digests match): every
        // lookup into it says Damaged, before and after (never an answer
        // that could change once lookups stop checking).
        for &(h, _) in &items {
            assert!(matches!(forged.find(h, &file), Probe::Damaged));
        }
        assert!(!forged.check_segments());
        assert!(!forged.check_all());
    }

    #[test]
    fn slots_beyond_the_view_are_stale() {
        let (file, m) = file_of(&[(1, false), (2, false)]);
        let t = Table::new(2, new_seed());
        t.set(1, m[0], false, &file);
        t.set(2, m[1], false, &file);
        let short = &file[..(m[1] as usize)];
        assert_eq!(found(&t, 1, short), Some(m[0]));
        assert!(matches!(t.find(2, short), Probe::Stale));
    }

    #[test]
    fn many_keys_with_colliding_tags_and_growth() {
        // 5,000 keys, every one found after rebuilds; misses stay misses.
        let items: Vec<(u64, bool)> = (1..=5000u64).map(|i| (i * 0x9E37_79B9, false)).collect();
        let (file, m) = file_of(&items);
        let mut t = Table::new(0, 3);
        for (i, &(h, _)) in items.iter().enumerate() {
            if !t.has_room_for(1) {
                t = t.rebuilt(1, &file).unwrap();
            }
            t.set(h, m[i], false, &file);
        }
        assert_eq!(t.len(), 5000);
        assert!(t.capacity() * 3 / 4 >= 5000);
        for (i, &(h, _)) in items.iter().enumerate() {
            assert_eq!(found(&t, h, &file), Some(m[i]));
        }
        for h in 1..2000u64 {
            if h % 0x9E37_79B9 != 0 {
                assert_eq!(found(&t, h * 0x9E37_79B9 + 1, &file), None);
            }
        }
        let mut raw = Vec::new();
        t.write_raw(&mut raw).unwrap();
        let digests = || t.segment_digests().into_boxed_slice();
        let mapped = |bytes: &[u8]| {
            let mut m = memmap2::MmapMut::map_anon(bytes.len()).unwrap();
            m.copy_from_slice(bytes);
            MmapRaw::from(m)
        };
        let n = t.capacity() as u64;
        let back = Table::from_mapped(mapped(&raw), 0, n, t.seed(), t.len(), digests()).unwrap();
        assert_eq!(back.len(), 5000);
        assert!(back.unchecked.load(Ordering::Relaxed));
        for (i, &(h, _)) in items.iter().enumerate().step_by(7) {
            assert_eq!(found(&back, h, &file), Some(m[i]));
        }
        // Once lookups have checked every segment, they stop checking
        // (the short path); the counts are still unchecked until check_all.
        assert!(!back.unchecked.load(Ordering::Relaxed));
        assert!(!back.is_checked());
        // Mapped tables take writes (copy-on-write) like heap ones, once
        // checked whole.
        assert!(back.check_all());
        back.set(items[3].0, m[4], true, &file);
        assert_eq!(found(&back, items[3].0, &file), None);
        // Out-of-place shapes are refused: a wrong slot count, more live
        // keys than 3/4 of the slots, a digest missing.
        assert!(Table::from_mapped(mapped(&raw), 0, n / 2, t.seed(), t.len(), digests()).is_none());
        assert!(Table::from_mapped(mapped(&raw), 0, n, t.seed(), n, digests()).is_none());
        let mut short = t.segment_digests();
        short.pop();
        assert!(Table::from_mapped(mapped(&raw), 0, n, t.seed(), t.len(), short.into()).is_none());
        // A table over 3/4 full (counting control bytes) fails check_all.
        let mut full = raw.clone();
        for c in &mut full[n as usize * 8..] {
            *c = 0x80;
        }
        let over = Table::from_mapped(mapped(&full), 0, n, t.seed(), t.len(), {
            let f = Table::from_mapped(mapped(&full), 0, n, t.seed(), 0, digests()).unwrap();
            f.segment_digests().into()
        })
        .unwrap();
        assert!(!over.check_all());
        // A changed byte anywhere: lookups entering its segment say
        // Damaged (and, from then on, lookups entering any segment not
        // checked before), never a wrong answer.
        let first = raw.chunks(8).position(|c| c != [0u8; 8]).unwrap();
        let mut bad = raw.clone();
        bad[first * 8 + 5] ^= 0x0f;
        let t2 = Table::from_mapped(mapped(&bad), 0, n, t.seed(), t.len(), digests()).unwrap();
        let mut damaged = 0;
        for (i, &(h, _)) in items.iter().enumerate() {
            match t2.find(h, &file) {
                Probe::Damaged => damaged += 1,
                Probe::Found(s) => assert_eq!(s.meta_offset(), m[i]),
                p => panic!("{p:?}"),
            }
        }
        assert!(damaged > 0);
        assert!(!t2.check_all());
        assert!(!t2.check_segments());
        // A slot pointing beyond the store, with digests that match (a
        // crafted file): its lookups say Stale (which readers turn into an
        // error after a while), never loop here.
        let t3 = Table::from_mapped(mapped(&bad), 0, n, t.seed(), t.len(), {
            let f = Table::from_mapped(mapped(&bad), 0, n, t.seed(), 0, digests()).unwrap();
            f.segment_digests().into()
        })
        .unwrap();
        let stale = items
            .iter()
            .filter(|&&(h, _)| matches!(t3.find(h, &file), Probe::Stale))
            .count();
        assert_eq!(stale, 1);
    }
}
