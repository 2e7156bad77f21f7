#!/bin/sh
# Run libFuzzer targets: "runs N" (at most N iterations and at most
# FUZZ_CHECK_SECONDS seconds each, for make check) or "seconds N" (make fuzz).  Each target fuzz_X starts from the seed corpus in
# tests/fuzz/corpus/X (read-only) and writes new inputs to build/fuzz/corpus/X.
# Crashes land in build/fuzz/crashes/; copy them into tests/fuzz/regress/X to
# keep them as regression fixtures (they are replayed first).
set -u
mode=$1; n=$2; shift 2
pass=0; fail=0
for f in "$@"; do
	name=$(basename "$f"); name=${name#fuzz_}
	seed=tests/fuzz/corpus/$name
	work=build/fuzz/corpus/$name
	mkdir -p "$work" build/fuzz/crashes
	[ -d "$seed" ] || seed=
	if [ -d "tests/fuzz/regress/$name" ]; then
		if ! "$f" -runs=0 "tests/fuzz/regress/$name"/* >/dev/null 2>&1; then
			echo "FUZZ $name: a regression fixture fails"; fail=$((fail + 1)); continue
		fi
	fi
	case $mode in
	runs)	lim="-runs=$n -max_total_time=${FUZZ_CHECK_SECONDS:-15}" ;;
	*)	lim="-max_total_time=$n" ;;
	esac
	echo "== fuzz $name ($mode $n)"
	if "$f" $lim -max_len=10000 -artifact_prefix=build/fuzz/crashes/"$name"- \
	    -print_final_stats=1 "$work" $seed > "build/fuzz/$name.log" 2>&1; then
		grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "build/fuzz/$name.log" | tail -2
		pass=$((pass + 1))
	else
		tail -40 "build/fuzz/$name.log"
		echo "FUZZ $name: FAILED (see build/fuzz/$name.log)"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
