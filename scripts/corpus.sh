#!/usr/bin/env bash
# corpus.sh DIR — count every Pabulib file under DIR with `pbledger corpus` and print the table of
# docs/CORPUS.md: files, read, compared with the official winners, equal, per rule and vote type, the files
# that differ or are refused, and the slowest files.
#
# Unpack the library outside the repository first, e.g.
#   mkdir -p /tmp/pabulib && tar --zstd -xf ../shared/data/pabulib-corpus.tar.zst -C /tmp/pabulib
#   scripts/corpus.sh /tmp/pabulib
#
# Ties are broken by the order of each file's PROJECTS section (--tie-break list-order: the order the city
# published, which explains every split tie of the library), and the greedy-exclusive files get the
# exclusion groups their META comments describe (scripts/corpus-exclusions.txt). See docs/CORPUS.md.
set -euo pipefail
if [ $# -lt 1 ]; then
	echo "usage: $0 DIR [pbledger corpus flags...]" >&2
	exit 2
fi
dir=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$here/.." && go build -o "$bin/pbledger" ./cmd/pbledger)
"$bin/pbledger" corpus --tie-break list-order --exclusions "$here/corpus-exclusions.txt" "$@" "$dir"
