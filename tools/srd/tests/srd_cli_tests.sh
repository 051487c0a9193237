#!/usr/bin/env bash
# Shell tests of the `srd` command-line tool: each runs srd as a user would and
# checks its output, files and exit status.
#
#   usage: srd_cli_tests.sh SRD_BINARY FORGE_MANIFEST_BINARY SCRATCH_ROOT CASE
#
# CASE is one of the functions named case_* below (registered one by one with
# ctest by cmake/SrdTool.cmake). Each case works in SCRATCH_ROOT/CASE, which is
# emptied first and removed when the case passes.
# SRD_CLI_VALGRIND (optional): path of valgrind; every srd run then goes through
# memcheck, which exits 99 on an error or a definite leak (so the exit status
# checks catch it) and logs to $T/.valgrind.<pid>.log.
set -u

SRD_BIN="$1"
FORGE="$2"
SCRATCH_ROOT="$3"
CASE="$4"

T="$SCRATCH_ROOT/$CASE"
rm -rf "$T"
mkdir -p "$T"
cd "$T" || exit 1

LAUNCH=()
if [ -n "${SRD_CLI_VALGRIND:-}" ]; then
    LAUNCH=("$SRD_CLI_VALGRIND" -q --error-exitcode=99 --leak-check=full
        --errors-for-leak-kinds=definite "--log-file=$T/.valgrind.%p.log")
fi

O="$T/.stdout" # stdout of the last srd run
E="$T/.stderr" # its stderr
FAILED=0
CHECKS=0
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL [$CASE]: $*" >&2
}
ok() { CHECKS=$((CHECKS + 1)); }

# srd ARGS...: runs the tool (stdin inherited), stdout -> $O, stderr -> $E, status -> RC.
srd() {
    "${LAUNCH[@]}" "$SRD_BIN" "$@" >"$O" 2>"$E"
    RC=$?
}
# expect STATUS ARGS...: runs srd and checks its exit status.
expect() {
    local want="$1"
    shift
    srd "$@"
    if [ "$RC" = "$want" ]; then ok; else
        fail "srd $* exited $RC, expected $want; stderr: $(head -c 600 "$E")"
    fi
}
# expect_error STATUS COMMAND ARGS...: runs srd ARGS, checks the status and that stderr
# is exactly one line "srd: COMMAND: ...".
expect_error() {
    local want="$1" cmd="$2"
    shift 2
    expect "$want" "$@"
    local lines
    lines=$(wc -l <"$E")
    if [ "$lines" = 1 ] && grep -q "^srd: $cmd: ." "$E"; then ok; else
        fail "srd $*: expected one line 'srd: $cmd: ...' on stderr, got: $(head -c 600 "$E")"
    fi
}
out_is() { # EXPECTED: stdout equals EXPECTED exactly (plus the final newline)
    if [ "$(cat "$O")" = "$1" ]; then ok; else fail "stdout was '$(head -c 600 "$O")', expected '$1'"; fi
}
out_has() { # PATTERN (grep -E)
    if grep -Eq -- "$1" "$O"; then ok; else fail "stdout lacks /$1/: $(head -c 600 "$O")"; fi
}
err_has() { # PATTERN (grep -Ei)
    if grep -Eiq -- "$1" "$E"; then ok; else fail "stderr lacks /$1/: $(head -c 600 "$E")"; fi
}
err_empty() {
    if [ ! -s "$E" ]; then ok; else fail "stderr not empty: $(head -c 600 "$E")"; fi
}
same_file() { # A B: identical bytes
    if cmp -s "$1" "$2"; then ok; else fail "$1 and $2 differ ($(cmp "$1" "$2" 2>&1 | head -1))"; fi
}
check() { # DESCRIPTION COMMAND...: the command succeeds
    local what="$1"
    shift
    if "$@"; then ok; else fail "$what"; fi
}
field() { # NAME: value of "NAME: value" in stdout (first word after the colon)
    sed -n "s/^$1:[[:space:]]*\([^[:space:]]*\).*/\1/p" "$O" | head -1
}
file_size() { stat -c %s "$1"; }

# Deterministic binary data: every byte value, NUL bytes included.
all_bytes() { # COUNT_OF_REPEATS
    local i
    for ((i = 0; i < $1; i++)); do
        printf "$(printf '\\%03o' {0..255})"
    done
}

# ---------------------------------------------------------------------------
case_help_and_version_work_for_the_tool_and_every_command() {
    local c
    for a in --help -h help; do
        expect 0 "$a"
        out_has '^usage: srd STORE COMMAND'
        out_has 'Exit status'
        out_has '^  3  not found'
        err_empty
    done
    for c in write read delete rename copy move exists metadata list info compact verify import export dump load; do
        expect 0 help "$c"
        out_has "^usage: srd STORE $c"
        cp "$O" "$T/help1"
        expect 0 store.srd "$c" --help
        same_file "$O" "$T/help1"
        expect 0 store.srd "$c" -h
        same_file "$O" "$T/help1"
        # the main help lists the command
        expect 0 --help
        out_has "^  $c "
    done
    check "asking for help must not create the store" test ! -e store.srd
    expect 0 help import
    out_has 'import-manifest'
    expect 0 help export
    out_has 'by-hash/<16 hex digits'
    expect 0 --version
    out_has '^srd [0-9]+\.[0-9]+\.[0-9]+ \(simd-r-drive library [0-9]+\.[0-9]+\.[0-9]+\)$'
    expect_error 2 help help nosuchcommand
}

case_bad_usage_exits_2_with_one_error_line() {
    expect 2
    err_has 'usage'
    expect 2 store.srd
    err_has 'missing COMMAND'
    expect 2 --frobnicate
    expect_error 2 frob store.srd frob
    expect_error 2 write store.srd write
    expect_error 2 write store.srd write a b c
    expect_error 2 read store.srd read
    expect_error 2 read store.srd read a b
    expect_error 2 rename store.srd rename a
    expect_error 2 copy store.srd copy a
    expect_error 2 list store.srd list extra
    expect_error 2 import store.srd import
    check "a usage error must not create the store" test ! -e store.srd
    # values and keys the store refuses
    expect_error 2 write store.srd write "" value
    expect_error 2 write store.srd write key ""
    expect_error 2 write store.srd write key </dev/null
    printf '\0' >nul.bin
    expect_error 2 write store.srd write key <nul.bin
    expect 3 store.srd exists key
    expect 0 store.srd write a 1
    expect_error 2 rename store.srd rename a a
    expect_error 2 copy store.srd copy a store.srd
    ln -s store.srd alias.srd
    expect_error 2 copy store.srd copy a alias.srd
    expect_error 2 move store.srd move a alias.srd
    err_has 'same store'
    expect 0 store.srd read a
    out_is 1
    expect_error 2 import store.srd import nul.bin
    err_has 'not a directory'
}

case_write_read_round_trip_text_binary_nul_bytes_and_multi_mib_stdin() {
    expect 0 s.srd write greeting "hello world"
    out_is ""
    err_empty
    expect 0 s.srd read greeting
    printf 'hello world' >want
    same_file "$O" want
    # binary from stdin: every byte value, NULs included, and a value that starts with NUL
    all_bytes 3 >bin.in
    expect 0 s.srd write bin <bin.in
    expect 0 s.srd read bin
    same_file "$O" bin.in
    printf '\0\0\0x\0' >nuls.in
    expect 0 s.srd write nuls <nuls.in
    expect 0 s.srd read nuls
    same_file "$O" nuls.in
    # several MiB from stdin through a pipe, not a multiple of the 64 KiB chunk
    head -c $((5 * 1024 * 1024 + 12345)) /dev/urandom >big.in
    all_bytes 1 >>big.in
    cat big.in | "${LAUNCH[@]}" "$SRD_BIN" s.srd write big 2>"$E"
    check "streaming write from a pipe exits 0" test $? = 0
    expect 0 s.srd read big
    same_file "$O" big.in
    expect 0 s.srd metadata big
    check "metadata size is the stdin length" test "$(field size)" = "$(file_size big.in)"
    # a value of exactly one chunk, and one byte more
    head -c 65536 /dev/urandom >chunk.in
    expect 0 s.srd write chunk <chunk.in
    expect 0 s.srd read chunk
    same_file "$O" chunk.in
    head -c 65537 /dev/urandom >chunk1.in
    expect 0 s.srd write chunk <chunk1.in
    expect 0 s.srd read chunk
    same_file "$O" chunk1.in
    # the newest write wins; other keys are untouched
    expect 0 s.srd write greeting "bye"
    expect 0 s.srd read greeting
    out_is bye
    expect 0 s.srd read bin
    same_file "$O" bin.in
    # keys and values that look like options, after --
    expect 0 s.srd write -- -k --help
    expect 0 s.srd read -- -k
    out_is --help
    # a UTF-8 key with spaces
    expect 0 s.srd write "clé avec espaces" "ü"
    expect 0 s.srd read "clé avec espaces"
    out_is "ü"
    # stdin that cannot be read: nothing is stored
    expect_error 1 write s.srd write dirvalue <.
    err_has 'stdin'
    expect 3 s.srd exists dirvalue
    # a reader of the output that is gone: failure, not silence
    expect 0 s.srd read greeting
    if [ -w /dev/full ]; then
        "${LAUNCH[@]}" "$SRD_BIN" s.srd read big >/dev/full 2>"$E"
        check "read to a full device exits 1" test $? = 1
        err_has '^srd: read: stdout'
    fi
}

case_missing_key_or_store_exits_3_and_creates_nothing() {
    expect_error 3 read none.srd read k
    err_has 'none.srd'
    for c in exists metadata; do expect 3 none.srd "$c" k; done
    for c in list info verify; do expect_error 3 "$c" none.srd "$c"; done
    expect_error 3 export none.srd export outdir
    expect_error 3 delete none.srd delete k
    expect_error 3 rename none.srd rename k k2
    expect_error 3 compact none.srd compact
    expect_error 3 copy none.srd copy k other.srd
    expect_error 3 move none.srd move k other.srd
    check "commands on a missing store must not create it" test ! -e none.srd
    check "copy/move from a missing store must not create the target" test ! -e other.srd
    check "export from a missing store must not create the directory" test ! -e outdir
    # missing keys in an existing store
    expect 0 s.srd write present v
    expect_error 3 read s.srd read absent
    expect 3 s.srd exists absent
    err_empty
    out_is ""
    expect_error 3 metadata s.srd metadata absent
    expect_error 3 delete s.srd delete absent
    expect_error 3 rename s.srd rename absent x
    expect_error 3 copy s.srd copy absent t.srd
    expect_error 3 move s.srd move absent t.srd
    expect_error 3 import s.srd import no/such/dir
    expect 0 s.srd exists present
    out_is ""
}

case_delete_and_rename_change_which_keys_exist() {
    expect 0 s.srd write a alpha
    expect 0 s.srd write b beta
    expect 0 s.srd delete a
    out_is ""
    expect 3 s.srd exists a
    expect_error 3 read s.srd read a
    expect_error 3 delete s.srd delete a
    expect 0 s.srd rename b c
    expect 3 s.srd exists b
    expect 0 s.srd read c
    out_is beta
    # rename onto an existing key replaces its value
    expect 0 s.srd write d delta
    expect 0 s.srd rename c d
    expect 0 s.srd read d
    out_is beta
    expect 0 s.srd info
    check "one live key after deletes and renames" test "$(field 'live keys')" = 1
}

case_copy_and_move_between_stores() {
    all_bytes 2 >v.bin
    expect 0 src.srd write k <v.bin
    expect 0 src.srd write other x
    expect 0 src.srd copy k dst.srd
    out_is ""
    check "copy creates the target store" test -s dst.srd
    expect 0 dst.srd read k
    same_file "$O" v.bin
    expect 0 src.srd read k
    same_file "$O" v.bin
    expect 3 dst.srd exists other
    # copy overwrites the target's value
    expect 0 dst.srd write k old
    expect 0 src.srd copy k dst.srd
    expect 0 dst.srd read k
    same_file "$O" v.bin
    # move: present in the target, gone from the source
    expect 0 src.srd move other moved.srd
    expect 0 moved.srd read other
    out_is x
    expect 3 src.srd exists other
    expect_error 3 move src.srd move other moved.srd
    # the source store of copy is only read: it may be a read-only file
    chmod a-w src.srd
    if [ ! -w src.srd ]; then
        expect 0 src.srd copy k dst2.srd
        expect 0 dst2.srd read k
        same_file "$O" v.bin
    fi
    chmod u+w src.srd
}

case_metadata_and_list_report_hash_size_offset_and_crc() {
    expect 0 s.srd write alpha "first value"
    all_bytes 1 >b.bin
    expect 0 s.srd write beta <b.bin
    expect 0 s.srd write gamma g
    expect 0 s.srd write alpha "alpha v2"
    expect 0 s.srd delete gamma
    expect 0 s.srd metadata beta
    out_has '^key hash: [0-9a-f]{16}$'
    out_has '^size:     256$'
    out_has '^crc32:    [0-9a-f]{8}$'
    out_has '^checksum: ok$'
    local bhash boff
    bhash=$(field 'key hash')
    boff=$(field offset)
    check "offset is a multiple of 64" test $((boff % 64)) = 0
    dd if=s.srd of=at_offset bs=1 skip="$boff" count=256 status=none
    same_file at_offset b.bin
    if command -v python3 >/dev/null; then
        local crc
        crc=$(python3 -c 'import sys,zlib; print("%08x" % zlib.crc32(open(sys.argv[1],"rb").read()))' b.bin)
        check "crc32 is CRC-32/ISO-HDLC of the value" test "$(field crc32)" = "$crc"
    fi
    expect 0 s.srd metadata alpha
    local ahash aoff
    ahash=$(field 'key hash')
    aoff=$(field offset)
    check "the rewritten value is later in the file" test "$aoff" -gt "$boff"
    # list: live entries only, oldest first, "hash size offset"
    expect 0 s.srd list
    err_empty
    check "list has one line per live key" test "$(wc -l <"$O")" = 2
    out_has "^$bhash 256 $boff\$"
    out_has "^$ahash 8 $aoff\$"
    check "list is in file order" test "$(head -1 "$O" | cut -d' ' -f1)" = "$bhash"
    expect 0 empty.srd write k v
    expect 0 empty.srd delete k
    expect 0 empty.srd list
    out_is ""
}

case_info_counts_live_keys_entries_and_reclaimable_bytes() {
    expect 0 s.srd write a 1
    expect 0 s.srd write b 2
    expect 0 s.srd write a 3
    expect 0 s.srd delete b
    expect 0 s.srd write c 4
    expect 0 s.srd info
    err_empty
    check "live keys" test "$(field 'live keys')" = 2
    check "entries count versions and tombstones" test "$(field entries)" = 5
    check "file size is the file's size" test "$(field 'file size')" = "$(file_size s.srd)"
    check "old versions are reclaimable" test "$(field reclaimable)" -gt 0
    local recl before
    recl=$(field reclaimable)
    before=$(file_size s.srd)
    expect 0 s.srd compact
    check "compact frees what info said was reclaimable" test $((before - $(file_size s.srd))) = "$recl"
    expect 0 s.srd info
    check "nothing reclaimable after compact" test "$(field reclaimable)" = 0
    check "only live entries after compact" test "$(field entries)" = 2
}

case_compact_shrinks_the_file_and_keeps_every_value() {
    head -c 100000 /dev/urandom >v1
    head -c 100000 /dev/urandom >v2
    all_bytes 4 >keep
    expect 0 s.srd write keep <keep
    local i
    for i in 1 2 3 4 5; do
        expect 0 s.srd write churn <v1
        expect 0 s.srd write churn <v2
    done
    expect 0 s.srd write gone x
    expect 0 s.srd delete gone
    local before
    before=$(file_size s.srd)
    expect 0 s.srd compact
    err_empty
    local after
    after=$(file_size s.srd)
    check "the file shrank by at least 8 old versions" test $((before - after)) -ge 800000
    out_is "$before bytes -> $after bytes ($((before - after)) bytes freed)"
    check "no temporary file is left" test ! -e s.srd.compact.tmp
    expect 0 s.srd read keep
    same_file "$O" keep
    expect 0 s.srd read churn
    same_file "$O" v2
    expect 3 s.srd exists gone
    expect 0 s.srd verify
    # compacting again frees nothing
    expect 0 s.srd compact
    out_is "$after bytes -> $after bytes (0 bytes freed)"
}

case_backup_copies_the_store_then_appends_only_what_is_new() {
    head -c 300000 /dev/urandom >v1
    expect 0 s.srd write a <v1
    expect 0 s.srd write b small
    expect 0 s.srd backup b.srd
    err_empty
    out_is "backed up $(file_size s.srd) bytes to b.srd"
    same_file s.srd b.srd
    check "no temporary file is left" test ! -e b.srd.backup.tmp
    expect 0 b.srd read a
    same_file "$O" v1
    # Later writes: the next backup extends the earlier one.
    expect 0 s.srd write c later
    expect 0 s.srd backup b.srd
    same_file s.srd b.srd
    expect 0 b.srd read c
    out_is "later"
    # After a compaction the backup is copied whole again.
    expect 0 s.srd compact
    expect 0 s.srd backup b.srd
    same_file s.srd b.srd
    # Not a store: refused, left alone.
    printf 'my notes\n' >notes.txt
    expect_error 2 backup s.srd backup notes.txt
    check "notes.txt is unchanged" test "$(cat notes.txt)" = "my notes"
    expect_error 2 backup s.srd backup s.srd
}

case_verify_passes_a_sound_store_and_fails_a_damaged_or_torn_one() {
    head -c 3000 /dev/zero | tr '\0' 'A' >a.val
    expect 0 s.srd write first one
    expect 0 s.srd write middle <a.val
    expect 0 s.srd write last three
    expect 0 s.srd verify
    err_empty
    out_has '^result: +ok$'
    out_has '^bad entries: +0$'
    out_has '^first bad offset: none$'
    check "verify reports the file size" test "$(field 'file size')" = "$(file_size s.srd)"
    check "verify checks every entry" test "$(field 'entries checked')" = 3
    # damage one byte in the middle value
    expect 0 s.srd metadata middle
    local off
    off=$(field offset)
    cp s.srd pristine.srd
    printf 'B' | dd of=s.srd bs=1 seek=$((off + 1000)) conv=notrunc status=none
    cp s.srd damaged.srd
    expect_error 1 verify s.srd verify
    out_has '^result: +damaged$'
    out_has '^bad entries: +1$'
    check "first bad offset points into the damaged entry" test "$(field 'first bad offset')" -le $((off + 1000))
    expect_error 1 read s.srd read middle
    expect 0 s.srd read first
    out_is one
    expect 0 s.srd read last
    out_is three
    expect_error 1 metadata s.srd metadata middle
    out_has '^checksum: bad$'
    expect_error 1 compact s.srd compact
    same_file s.srd damaged.srd
    check "read-only commands and a refused compact leave the file untouched" true
    # a torn tail: garbage after the last entry
    cp pristine.srd torn.srd
    printf 'garbage!' >>torn.srd
    cp torn.srd torn.orig
    expect_error 1 verify torn.srd verify
    out_has '^torn tail: +8 bytes'
    out_has '^result: +damaged$'
    err_has 'not part of any complete entry'
    expect 0 torn.srd read last
    out_is three
    same_file torn.srd torn.orig
    # not a store at all
    echo "just some text, not a store" >text.srd
    cp text.srd text.orig
    expect_error 1 verify text.srd verify
    expect_error 1 read text.srd read k
    expect_error 1 write text.srd write k v
    same_file text.srd text.orig
}

case_salvage_recovers_the_intact_entries_of_a_store_that_cannot_be_opened() {
    expect 0 s.srd write first one
    expect 0 s.srd write middle two
    expect 0 s.srd write last three
    # Break the chain in the middle: flip a byte of the middle entry's link.
    expect 0 s.srd metadata middle
    local off
    off=$(field offset)
    # The middle value is 3 bytes; its metadata follows: hash (8), link (8).
    printf '\377' | dd of=s.srd bs=1 seek=$((off + 3 + 8)) conv=notrunc status=none
    cp s.srd damaged.orig
    expect_error 1 read s.srd read first
    err_has 'corrupt'
    expect 0 s.srd salvage saved.srd
    out_has '^entries recovered: +2$'
    out_has '^damaged regions: +1$'
    check "salvage reports the first damage" test "$(field 'first damage offset')" != none
    same_file s.srd damaged.orig
    expect 0 saved.srd read first
    out_is one
    expect 0 saved.srd read last
    out_is three
    expect 3 saved.srd read middle
    expect 0 saved.srd verify
    # The destination must not exist; the source must.
    expect_error 2 salvage s.srd salvage saved.srd
    expect_error 3 salvage missing.srd salvage other.srd
}

case_locked_store_refuses_writers_with_status_1_while_readers_continue() {
    expect 0 s.srd write existing value
    mkfifo fifo
    "${LAUNCH[@]}" "$SRD_BIN" s.srd write held <fifo >holder.out 2>holder.err &
    local holder=$!
    exec 3>fifo
    # When this 1 MiB write returns, the holder has read most of it: it has opened
    # (and locked) the store and is streaming the value.
    head -c 1048576 /dev/zero | tr '\0' 'x' >&3
    expect_error 1 write s.srd write other v
    err_has 'lock'
    expect_error 1 delete s.srd delete existing
    expect_error 1 compact s.srd compact
    expect_error 1 import s.srd import .
    expect 0 s.srd read existing
    out_is value
    expect 0 s.srd copy existing c.srd
    expect 3 s.srd exists held
    # the uncommitted streamed bytes are a write in progress, not a torn tail
    expect 0 s.srd verify
    out_has '^in progress: +[0-9]+ bytes'
    out_has '^result: +ok$'
    exec 3>&-
    wait "$holder"
    check "the holder committed its streamed value" test $? = 0
    expect 0 s.srd metadata held
    check "the streamed value is complete" test "$(field size)" = 1048576
    expect 3 s.srd exists other
    expect 0 s.srd write other v
}

make_tree() { # DIR: nested dirs, binary files, empty and single-NUL files, spaces in names
    local d="$1"
    mkdir -p "$d/docs/deep/er" "$d/bin" "$d/empty dir" "$d/with space"
    echo "top level readme" >"$d/README"
    printf 'line1\nline2\n' >"$d/docs/a.txt"
    all_bytes 5 >"$d/docs/deep/er/bytes.bin"
    head -c $((2 * 1024 * 1024 + 7)) /dev/urandom >"$d/bin/random.dat"
    head -c 65536 /dev/urandom >"$d/bin/exact-chunk.dat"
    : >"$d/docs/empty.txt"
    printf '\0' >"$d/docs/one-nul.bin"
    printf '\0\0' >"$d/docs/two-nul.bin"
    echo "spaced" >"$d/with space/file name.txt"
}

case_import_export_round_trip_of_a_directory_tree() {
    make_tree tree
    ln -s README tree/link-to-readme
    mkfifo tree/a-fifo
    expect 0 s.srd import tree
    out_has '^imported 9 files \('
    err_has 'skipped tree/a-fifo \(not a regular file\)'
    err_has 'skipped tree/link-to-readme \(not a regular file\)'
    rm tree/link-to-readme tree/a-fifo
    # every file is readable under its relative path
    expect 0 s.srd read docs/deep/er/bytes.bin
    same_file "$O" tree/docs/deep/er/bytes.bin
    expect 0 s.srd read "with space/file name.txt"
    same_file "$O" "tree/with space/file name.txt"
    expect 3 s.srd exists docs/empty.txt
    expect 0 s.srd info
    out_has '^imported: +9 paths'
    # export gives the tree back (empty directories aside: only files are stored)
    expect 0 s.srd export out
    out_has '^exported 9 files by path and 0 by key hash'
    rmdir "tree/empty dir"
    if diff -r tree out >diff.txt; then ok; else fail "exported tree differs: $(head -20 diff.txt)"; fi
    check "no by-hash directory when every entry has a path" test ! -e out/by-hash
    # entries written by hand are exported by key hash; deleted paths are not exported
    expect 0 s.srd write "hand written" "by hand"
    expect 0 s.srd metadata "hand written"
    local h
    h=$(field 'key hash')
    expect 0 s.srd delete docs/a.txt
    expect 0 s.srd write README "changed"
    expect 0 s.srd export out2
    out_has 'exported 8 files by path and 1 by key hash'
    out_has '1 imported paths are no longer in the store'
    check "deleted path is not exported" test ! -e out2/docs/a.txt
    printf 'by hand' >want
    same_file "out2/by-hash/$h.bin" want
    check "exactly one by-hash file" test "$(ls out2/by-hash | wc -l)" = 1
    printf 'changed' >want
    same_file out2/README want
    # a second import merges its paths into the manifest
    mkdir -p more/sub
    echo "more" >more/sub/m.txt
    echo "new readme" >more/README
    expect 0 s.srd import more
    expect 0 s.srd export out3
    same_file out3/sub/m.txt more/sub/m.txt
    same_file out3/README more/README
    same_file out3/docs/deep/er/bytes.bin tree/docs/deep/er/bytes.bin
    # a store inside the imported directory is not imported into itself
    mkdir self
    echo hi >self/x
    expect 0 self/s.srd import self
    err_has 'it is the store itself'
    expect 0 self/s.srd export self-out
    check "only x was imported" test "$(find self-out -type f | wc -l)" = 1
    # import of a file that became empty removes the older value
    mkdir shrink
    echo full >shrink/f
    expect 0 sh.srd import shrink
    : >shrink/f
    expect 0 sh.srd import shrink
    expect 3 sh.srd exists f
    expect 0 sh.srd export sh-out
    same_file sh-out/f shrink/f
}

case_export_refuses_unsafe_manifest_paths_and_symbolic_links() {
    mkdir -p tree/sub
    echo safe >tree/sub/ok.txt
    expect 0 s.srd import tree
    # an export directory where sub/ is a symbolic link to somewhere else
    mkdir outside dest
    ln -s ../outside dest/sub
    expect_error 1 export s.srd export dest
    check "nothing is written through a symbolic link" test -z "$(ls outside)"
    # a store whose manifest holds hostile paths
    expect 0 h.srd write ../escape bad
    expect 0 h.srd write /abs/path bad
    expect 0 h.srd write a/../../up bad
    expect 0 h.srd write fine good
    "$FORGE" h.srd "f../escape" "f/abs/path" "fa/../../up" "ffine"
    check "forged manifest written" test $? = 0
    mkdir -p jail
    expect 1 h.srd export jail/out
    err_has 'refusing the unsafe path "\.\./escape"'
    err_has 'refusing the unsafe path "/abs/path"'
    err_has 'refusing the unsafe path "a/\.\./\.\./up"'
    check "no file escaped the export directory" test ! -e jail/escape -a ! -e escape -a ! -e up
    printf 'good' >want
    same_file jail/out/fine want
}

case_progress_bar_only_when_stderr_is_a_terminal() {
    expect 0 s.srd write a 1
    expect 0 s.srd write a 2
    mkdir d
    echo x >d/f
    expect 0 s.srd import d
    err_empty
    expect 0 s.srd compact
    err_empty
    expect 0 s.srd verify
    err_empty
    expect 0 s.srd export e
    err_empty
    if ! command -v script >/dev/null; then
        echo "note: script(1) not found; terminal part skipped"
        return
    fi
    local c
    for c in compact verify "import d" "export e2"; do
        script -qec "${LAUNCH[*]} '$SRD_BIN' s.srd $c" /dev/null </dev/null >tty.out 2>&1
        check "srd $c on a terminal exits 0" test $? = 0
        if grep -q "${c%% *} \[#*\.*\] *100%" tty.out; then ok; else
            fail "no progress bar for $c on a terminal: $(head -c 300 tty.out | od -c | head -5)"
        fi
    done
}

case_read_only_commands_never_modify_the_store() {
    expect 0 s.srd write a 1
    expect 0 s.srd write a 2
    expect 0 s.srd write b 3
    expect 0 s.srd delete b
    cp s.srd orig.srd
    local c
    for c in "read a" "exists a" "exists b" "metadata a" list info verify "export out" "copy a t.srd"; do
        # shellcheck disable=SC2086
        srd s.srd $c
        same_file s.srd orig.srd
    done
    # nor does a refused write
    expect 2 s.srd write a ""
    same_file s.srd orig.srd
}

# list's first column for the line whose size is SIZE (a unique size in the test).
hash_of_size() { "${LAUNCH[@]}" "$SRD_BIN" "$1" list | awk -v n="$2" '$2 == n { print $1 }'; }

case_hash_option_reads_inspects_deletes_and_writes_entries_by_key_hash() {
    expect 0 s.srd write alpha "first"
    printf 'a\0b\nc\n' >bin.in
    expect 0 s.srd write beta <bin.in
    expect 0 s.srd metadata alpha
    local ha hb
    ha=$(field 'key hash')
    expect 0 s.srd metadata beta
    hb=$(field 'key hash')
    expect 0 s.srd list
    out_has "^$ha 5 "
    # read: bare, 0x, 0X, upper case, --hash=HEX
    local form
    for form in "$ha" "0x$ha" "0X$ha" "${ha^^}" "0x${ha^^}"; do
        expect 0 s.srd read --hash "$form"
        out_is first
        err_empty
    done
    expect 0 s.srd read --hash="$ha"
    out_is first
    expect 0 s.srd read --hash "$hb"
    same_file "$O" bin.in
    # metadata, exists by hash: the same answers as by key
    expect 0 s.srd metadata beta
    cp "$O" meta.key
    expect 0 s.srd metadata --hash "$hb"
    same_file "$O" meta.key
    expect 0 s.srd exists --hash "$ha"
    out_is ""
    expect 3 s.srd exists --hash 0000000000000000
    err_empty
    expect_error 3 read s.srd read --hash 0000000000000000
    expect_error 3 metadata s.srd metadata --hash 0000000000000000
    expect_error 3 delete s.srd delete --hash 0000000000000000
    # write by hash replaces the value of the key with that hash, from text or stdin
    expect 0 s.srd write --hash "$ha" second
    expect 0 s.srd read alpha
    out_is second
    expect 0 s.srd write --hash "0x$ha" <bin.in
    expect 0 s.srd read alpha
    same_file "$O" bin.in
    expect 0 s.srd write --hash "$ha" --value -
    expect 0 s.srd read alpha
    out_is -
    # delete by hash
    expect 0 s.srd delete --hash "$hb"
    out_is ""
    expect 3 s.srd exists beta
    expect 0 s.srd list
    check "one live key left" test "$(wc -l <"$O")" = 1
    # bad hashes: exit 2, one line, nothing changed, nothing created
    cp s.srd before.srd
    local badh
    for badh in 123 "${ha}0" "${ha:1}" 0x 0x123 "" "g${ha:1}" "0x${ha:1}z" " $ha" "$ha " "-$ha" "0x0x${ha:4}"; do
        expect_error 2 read s.srd read --hash "$badh"
        err_has 'not a key hash.*16 hex digits'
        expect_error 2 delete s.srd delete --hash "$badh"
    done
    expect_error 2 read s.srd read --hash
    err_has -- '--hash needs a value'
    expect_error 2 read s.srd read alpha --hash "$ha"
    err_has 'wrong number of arguments'
    expect_error 2 read s.srd read --hash "$ha" --hash "$ha"
    err_has 'given twice'
    expect_error 2 write s.srd write --hash "$ha" a b
    expect_error 2 write s.srd write alpha v --value w
    for c in "rename --hash $ha x" "copy --hash $ha t.srd" "move --hash $ha t.srd" "list --hash $ha" "info --hash $ha" "dump --hash $ha" "read --frobnicate alpha"; do
        # shellcheck disable=SC2086
        expect_error 2 "${c%% *}" s.srd $c
        err_has 'unknown option'
    done
    same_file s.srd before.srd
    expect_error 2 read new.srd read --hash nothex
    expect_error 2 write new.srd write --hash nothex v
    check "a refused --hash creates no store" test ! -e new.srd -a ! -e t.srd
    # a key that looks like an option still works after --
    expect 0 s.srd write -- --hash v
    expect 0 s.srd read -- --hash
    out_is v
    # the by-hash names of export are accepted as they are
    expect 0 s.srd export out
    local f
    f=$(ls out/by-hash | head -1)
    expect 0 s.srd read --hash "${f%.bin}"
    same_file "$O" "out/by-hash/$f"
}

case_dash_means_stdin_and_value_option_stores_text_literally() {
    # '-' as VALUE: stdin, binary-safe (NUL and newline bytes)
    printf '\0line one\nline two\n\0\r\n' >nl.in
    expect 0 s.srd write k - <nl.in
    expect 0 s.srd read k
    same_file "$O" nl.in
    # a value over 1 MiB through a pipe, streamed
    head -c $((1024 * 1024 + 4321)) /dev/urandom >big.in
    cat big.in | "${LAUNCH[@]}" "$SRD_BIN" s.srd write big - 2>"$E"
    check "write KEY - from a pipe exits 0" test $? = 0
    expect 0 s.srd read big
    same_file "$O" big.in
    # after --, '-' still means stdin (as for cat -- -)
    printf 'from stdin' >s.in
    expect 0 s.srd write k -- - <s.in
    expect 0 s.srd read k
    out_is "from stdin"
    # the text '-' itself, and text starting with '--', with --value
    expect 0 s.srd write k --value - </dev/null
    expect 0 s.srd read k
    out_is -
    expect 0 s.srd write k --value=--help
    expect 0 s.srd read k
    out_is --help
    expect 0 s.srd write k --value ""-x
    expect 0 s.srd read k
    out_is -x
    expect 0 s.srd write k -- --also-literal
    expect 0 s.srd read k
    out_is --also-literal
    # refusals: empty stdin, a lone 0x00, too many values, --value with VALUE
    expect_error 2 write s.srd write k - </dev/null
    printf '\0' >nul.in
    expect_error 2 write s.srd write k - <nul.in
    expect_error 2 write s.srd write k --value ""
    expect_error 2 write s.srd write k - extra
    expect_error 2 write s.srd write k - --value x
    expect_error 2 write s.srd write k --value
    expect 0 s.srd read k
    out_is --also-literal
    # unreadable stdin: nothing stored
    expect_error 1 write s.srd write dir - <.
    expect 3 s.srd exists dir
}

# dump_of STORE OUT: srd STORE dump - >OUT, checking it succeeds
dump_of() {
    "${LAUNCH[@]}" "$SRD_BIN" "$1" dump - >"$2" 2>"$E"
    check "srd $1 dump - exits 0" test $? = 0
}

case_dump_load_round_trip_through_a_pipe_binary_values_and_an_existing_store() {
    printf 'a\0b\nc\n\n' >nl.bin
    all_bytes 2 >all.bin
    head -c $((1024 * 1024 + 77)) /dev/urandom >big.bin
    printf '\0' >lead.bin
    printf 'x' >>lead.bin
    expect 0 a.srd write text "hello world"
    expect 0 a.srd write nl - <nl.bin
    expect 0 a.srd write all <all.bin
    expect 0 a.srd write big <big.bin
    expect 0 a.srd write lead <lead.bin
    expect 0 a.srd write text "newest wins"
    expect 0 a.srd write gone x
    expect 0 a.srd delete gone
    # the format: header, one record per live key in file order, end line
    expect 0 a.srd dump
    err_empty
    cp "$O" a.dump
    check "first line is the format and version" test "$(head -1 a.dump)" = "srd-dump 1"
    out_has '^created-by srd [0-9]+\.[0-9]+\.[0-9]+ \(simd-r-drive library [0-9]+\.[0-9]+\.[0-9]+\)$'
    out_has '^encoding hex$'
    out_has '^end-header$'
    check "one record per live key" test "$(grep -c '^value ' a.dump)" = 5
    out_has "^end 5 $((11 + 7 + 512 + 1024 * 1024 + 77 + 2)) [0-9a-f]{8}\$"
    check "the end line is the last line" test "$(tail -1 a.dump | cut -d' ' -f1)" = end
    check "records are in file order, as list prints them" \
        test "$(grep '^value ' a.dump | cut -d' ' -f2,3)" = "$("$SRD_BIN" a.srd list | cut -d' ' -f1,2)"
    check "data lines hold at most 128 hex digits" test "$(grep -v ' ' a.dump | awk '{ if (length($0) > m) m = length($0) } END { print m }')" = 128
    expect 0 a.srd metadata all
    local crc
    crc=$(field crc32)
    check "a record's CRC-32 is the value's, as metadata prints it" grep -q "^value [0-9a-f]* 512 $crc\$" a.dump
    # dump to FILE, and to -
    expect 0 a.srd dump a2.dump
    out_is "dumped 5 values ($((11 + 7 + 512 + 1024 * 1024 + 77 + 2)) bytes) to a2.dump"
    same_file a2.dump a.dump
    expect 0 a.srd dump -
    same_file "$O" a.dump
    # round trip through a pipe into a new store
    "${LAUNCH[@]}" "$SRD_BIN" a.srd dump - 2>dump.err | "${LAUNCH[@]}" "$SRD_BIN" b.srd load - >load.out 2>"$E"
    check "dump - | load - exits 0" test $? = 0
    check "load prints what it stored" grep -qx "loaded 5 values ($((11 + 7 + 512 + 1024 * 1024 + 77 + 2)) bytes)" load.out
    err_empty
    dump_of b.srd b.dump
    same_file b.dump a.dump
    expect 0 a.srd list
    cut -d' ' -f1,2 "$O" >a.list
    expect 0 b.srd list
    cut -d' ' -f1,2 "$O" >b.list
    same_file b.list a.list
    local k
    for k in nl all big lead; do
        expect 0 b.srd read "$k"
        same_file "$O" "$k.bin"
    done
    expect 0 b.srd read text
    out_is "newest wins"
    expect 3 b.srd exists gone
    expect 0 b.srd verify
    # load from FILE and from stdin redirected from a file
    expect 0 c.srd load a.dump
    dump_of c.srd c.dump
    same_file c.dump a.dump
    expect 0 d.srd load - <a.dump
    dump_of d.srd d.dump
    same_file d.dump a.dump
    expect 0 d2.srd load <a.dump
    dump_of d2.srd d2.dump
    same_file d2.dump a.dump
    # into an existing store: keys of the dump replaced, other keys kept
    expect 0 e.srd write text "old text"
    expect 0 e.srd write own "kept"
    expect 0 e.srd load a.dump
    expect 0 e.srd read text
    out_is "newest wins"
    expect 0 e.srd read own
    out_is kept
    expect 0 e.srd read big
    same_file "$O" big.bin
    expect 0 e.srd info
    check "the dump's 5 keys plus the store's own" test "$(field 'live keys')" = 6
    # loading the same dump again changes no answer
    expect 0 e.srd load a.dump
    expect 0 e.srd info
    check "still 6 live keys" test "$(field 'live keys')" = 6
    # an empty store gives an empty dump, which loads
    expect 0 empty.srd write k v
    expect 0 empty.srd delete k
    expect 0 empty.srd dump
    check "an empty store's dump has no record" test "$(grep -c '^value ' "$O")" = 0
    out_has '^end 0 0 [0-9a-f]{8}$'
    cp "$O" empty.dump
    expect 0 f.srd load empty.dump
    out_is "loaded 0 values (0 bytes)"
    # an imported tree keeps its manifest: export from the loaded store gives it back
    mkdir -p tree/sub
    echo one >tree/sub/one.txt
    cp nl.bin tree/nl.bin
    expect 0 t.srd import tree
    "${LAUNCH[@]}" "$SRD_BIN" t.srd dump - | "${LAUNCH[@]}" "$SRD_BIN" t2.srd load - >/dev/null 2>"$E"
    check "dump | load of an imported store" test $? = 0
    expect 0 t2.srd export out
    if diff -r tree out >diff.txt; then ok; else fail "export after load differs: $(head -5 diff.txt)"; fi
}

# refused NAME DUMPFILE: load into a new store and into an existing one is refused
# with status 1 and one error line, and changes nothing.
refused() {
    local what="$1" dumpf="$2"
    rm -f new.srd
    expect_error 1 load new.srd load "$dumpf"
    check "$what: a refused load creates no store" test ! -e new.srd
    cp existing.srd existing.before
    expect_error 1 load existing.srd load - <"$dumpf"
    same_file existing.srd existing.before
    cat "$dumpf" | "${LAUNCH[@]}" "$SRD_BIN" existing.srd load - >"$O" 2>"$E"
    check "$what: refused from a pipe too" test $? = 1
    same_file existing.srd existing.before
}

case_load_refuses_malformed_truncated_or_corrupted_dumps_and_writes_nothing() {
    expect 0 a.srd write one "first value"
    head -c 200000 /dev/urandom >big.bin
    expect 0 a.srd write big <big.bin
    expect 0 a.srd write three "third"
    dump_of a.srd good.dump
    expect 0 existing.srd write mine "mine"
    local size lines
    size=$(file_size good.dump)
    lines=$(wc -l <good.dump)
    # truncated: inside the header, inside a value, between records, the end line gone
    head -c 20 good.dump >t1.dump
    refused "cut in the header" t1.dump
    err_has 'truncated'
    head -c $((size / 2)) good.dump >t2.dump
    refused "cut inside a value" t2.dump
    err_has 'truncated'
    head -n $((lines - 1)) good.dump >t3.dump
    refused "no end line" t3.dump
    err_has "without the 'end' line"
    head -c $((size - 3)) good.dump >t4.dump
    refused "cut inside the end line" t4.dump
    # corrupted: a value digit, a key hash, the end line's count, bytes or CRC
    sed '6s/^./X/' good.dump >c1.dump
    refused "a non-hex value digit" c1.dump
    err_has 'not two hex digits'
    awk 'NR == 6 { c = substr($0, 1, 1); $0 = (c == "0" ? "1" : "0") substr($0, 2) } { print }' good.dump >c2.dump
    refused "a changed value digit" c2.dump
    err_has 'fails its CRC-32.*corrupted'
    awk 'NR == 5 { c = substr($2, 1, 1); $2 = (c == "0" ? "1" : "0") substr($2, 2) } { print }' good.dump >c3.dump
    refused "a changed key hash" c3.dump
    err_has 'dump fails its CRC-32'
    awk '/^end / { $2 = $2 + 1 } { print }' good.dump >c4.dump
    refused "a wrong record count" c4.dump
    err_has 'counts 4 records'
    awk '/^end / { $3 = $3 - 1 } { print }' good.dump >c5.dump
    refused "a wrong byte count" c5.dump
    awk '/^end / { $4 = "00000000" } { print }' good.dump >c6.dump
    refused "a wrong stream CRC" c6.dump
    awk 'NR == 5 { $3 = $3 + 1 } { print }' good.dump >c7.dump
    refused "a value length too long" c7.dump
    awk 'NR == 5 { $3 = $3 - 1 } { print }' good.dump >c8.dump
    refused "a value length too short" c8.dump
    awk 'NR == 5 { $2 = "xyz" } { print }' good.dump >c9.dump
    refused "a key hash that is not hex" c9.dump
    err_has 'not 16 hex digits'
    sed 's/$/\r/' good.dump >crlf.dump
    refused "CR LF line ends" crlf.dump
    cp good.dump extra.dump
    echo more >>extra.dump
    refused "data after the end line" extra.dump
    err_has 'after the end line'
    # headers: wrong version, not a dump, empty, unknown encoding, no encoding
    sed '1s/.*/srd-dump 2/' good.dump >v2.dump
    refused "format version 2" v2.dump
    err_has "unsupported dump format version '2'"
    sed '1s/.*/mdb-dump 1/' good.dump >v3.dump
    refused "another format" v3.dump
    err_has 'not an srd dump'
    : >empty.dump
    refused "empty input" empty.dump
    err_has 'empty'
    sed 's/^encoding hex$/encoding base64/' good.dump >e1.dump
    refused "another encoding" e1.dump
    err_has "unsupported encoding"
    grep -v '^encoding ' good.dump >e2.dump
    refused "no encoding line" e2.dump
    # records the store cannot hold (CRC-32 of "" is 0, of "\0" d202ef8d)
    printf 'srd-dump 1\nencoding hex\nend-header\nvalue 0123456789abcdef 0 00000000\n\nend 1 0 00000000\n' >z1.dump
    refused "an empty value" z1.dump
    printf 'srd-dump 1\nencoding hex\nend-header\nvalue 0123456789abcdef 1 d202ef8d\n00\nend 1 1 00000000\n' >z2.dump
    refused "a single 0x00 value" z2.dump
    err_has 'one 0x00 byte'
    # a missing dump file: status 3, nothing created
    expect_error 3 load new.srd load no-such.dump
    check "no store for a missing dump" test ! -e new.srd
    # a hand-written dump with an unknown header line and split data lines loads
    local crc
    printf 'srd-dump 1\ncomment written by hand\nencoding hex\nend-header\nvalue 0123456789abcdef 3 352441c2\n61\n6263\n' >hand.dump
    if command -v python3 >/dev/null; then
        crc=$(python3 -c 'import sys,zlib; print("%08x" % zlib.crc32(open(sys.argv[1],"rb").read()))' hand.dump)
        printf 'end 1 3 %s\n' "$crc" >>hand.dump
        expect 0 h.srd load hand.dump
        expect 0 h.srd read --hash 0123456789abcdef
        out_is abc
    fi
}

case_dump_refuses_a_damaged_store_and_its_own_store_file() {
    expect 0 s.srd write first one
    head -c 3000 /dev/zero | tr '\0' 'A' >a.val
    expect 0 s.srd write middle <a.val
    expect 0 s.srd write last three
    cp s.srd orig.srd
    # the store file itself as FILE: refused, nothing changed
    expect_error 2 dump s.srd dump s.srd
    err_has 'the store itself'
    same_file s.srd orig.srd
    # a missing store: status 3, no dump file
    expect_error 3 dump none.srd dump out.dump
    check "no dump of a missing store" test ! -e out.dump -a ! -e none.srd
    expect_error 2 dump s.srd dump a b
    # a damaged value: status 1, FILE removed, and the stdout dump has no end line
    expect 0 s.srd metadata middle
    local off
    off=$(field offset)
    printf 'B' | dd of=s.srd bs=1 seek=$((off + 1000)) conv=notrunc status=none
    expect_error 1 dump s.srd dump out.dump
    check "an incomplete dump file is removed" test ! -e out.dump
    expect 1 s.srd dump -
    check "no end line after a failure" test "$(grep -c '^end ' "$O")" = 0
    cp "$O" partial.dump
    expect_error 1 load new.srd load partial.dump
    check "the partial dump loads nothing" test ! -e new.srd
    # salvage first, then dump
    expect 0 s.srd salvage saved.srd
    expect 0 saved.srd dump saved.dump
    expect 0 back.srd load saved.dump
    expect 0 back.srd read last
    out_is three
}

# ---------------------------------------------------------------------------
if ! declare -F "case_$CASE" >/dev/null; then
    echo "unknown case: $CASE" >&2
    exit 2
fi
"case_$CASE"
if [ "$FAILED" -ne 0 ]; then
    if [ ${#LAUNCH[@]} -gt 0 ]; then
        grep -l -E 'Invalid|uninitialised|definitely lost' "$T"/.valgrind.*.log 2>/dev/null | head -3 |
            while read -r log; do echo "--- $log"; head -40 "$log"; done
    fi
    echo "$CASE: $CHECKS passed, $FAILED failed (scratch kept in $T)"
    exit 1
fi
echo "$CASE: $CHECKS checks passed"
cd / && rm -rf "$T"
exit 0
