#!/usr/bin/env bash
# test_needed.sh -- link hygiene: fails when a program's dynamic section NEEDs a shared library it must not link.
# Usage: test_needed.sh PROGRAM LIB...
# Each LIB is a soname stem ("libpq" matches libpq.so.5). Prints the
# program's NEEDED list, then one line per forbidden library it found.
# Registered by tests/link.cmake; needs readelf (binutils), no services.
set -euo pipefail

prog=${1:?usage: test_needed.sh PROGRAM LIB...}
shift
[ $# -gt 0 ] || { echo "usage: test_needed.sh PROGRAM LIB..." >&2; exit 2; }
command -v readelf >/dev/null || {
	echo "FAIL - readelf not found (install binutils: deploy/local/install-deps)"
	exit 1
}

# "0x0000000000000001 (NEEDED)  Shared library: [libpq.so.5]" -> libpq.so.5
needed=$(readelf -d "$prog" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
if [ -z "$needed" ]; then
	# Every dynamically linked certfleet program needs libc at least.
	echo "FAIL - $prog: readelf -d shows no NEEDED entry"
	exit 1
fi
echo "$(basename "$prog") NEEDED:" $needed

fails=0
for lib in "$@"; do
	for n in $needed; do
		case $n in
		"$lib".so*)
			echo "FAIL - $(basename "$prog") needs $n (must not link $lib)"
			fails=$((fails + 1))
			;;
		esac
	done
done
[ "$fails" -eq 0 ] || exit 1
echo "ok   - $(basename "$prog") needs none of: $*"
