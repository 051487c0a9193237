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
    for c in write read delete rename copy move exists metadata list info compact verify import export; do
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
