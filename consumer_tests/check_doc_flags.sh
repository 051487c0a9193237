#!/bin/sh
# check_doc_flags.sh HEADER DOC
#
# Every open flag the header defines (#define SRD_OPEN_*) has a row in DOC's flag table
# (docs/getting-started-c.md §Opening flags).
set -u
header=$1
doc=$2
missing=0
for f in $(sed -n 's/^#define \(SRD_OPEN_[A-Z_]*\) .*/\1/p' "$header"); do
    if grep -q "^| \`$f\` |" "$doc"; then
        echo "ok: $f"
    else
        echo "FAILED: $doc does not list $f" >&2
        missing=$((missing + 1))
    fi
done
[ "$missing" = 0 ]
