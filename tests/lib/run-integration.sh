#!/bin/sh
# Run every tests/integration/*.sh against the programs in build dir $1.
# A test exits 0 (pass), 77 (skip, with a reason on stdout) or anything else.
set -u
B=$(cd "${1:-build}" && pwd)
export AOEDE_BUILD="$B"
pass=0; fail=0; skip=0
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	echo "== $t"
	start=$(date +%s)
	timeout -k 10 900 sh "$t"
	rc=$?
	dur=$(( $(date +%s) - start ))
	case $rc in
	0)  pass=$((pass + 1)); echo "PASS $t (${dur}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $t" ;;
	*)  fail=$((fail + 1)); echo "FAIL $t (exit $rc, ${dur}s)" ;;
	esac
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
