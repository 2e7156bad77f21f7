#!/bin/sh
# make soak DURATION=SECONDS: a mixed verified load (writes then verify, new
# data every pass, random and sequential, several I/O sizes) against one
# export on two NICs, with faults injected at random moments: kill -9 of a
# netd, kill -9 of blockd, a link down and up.  Prints a summary (GB
# verified, faults injected, errors); any error fails the run.
AOEDE_BUILD=${1:-build}
export AOEDE_BUILD
. tests/lib/netns.sh

DURATION=${DURATION:-600}
net_setup 2 9000
make_image "$WORK/img" 256
aoede_start 7 3 t0 t1 "$WORK/img"

rand() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }	# 0..65535

inject_fault() {
	case $(( $(rand) % 3 )) in
	0)	p=$(child_pid netd "$(( $(rand) % 2 ))") && kill -9 "$p" && echo "kill -9 netd $p" ;;
	1)	p=$(child_pid blockd) && kill -9 "$p" && echo "kill -9 blockd $p" ;;
	2)	n=$(( $(rand) % 2 ))
		tgt ip link set "t$n" down; sleep 1; tgt ip link set "t$n" up
		echo "link t$n down for 1 s" ;;
	esac
}

start=$(date +%s)
pass=0; faults=0; errors=0; bytes=0
while [ $(( $(date +%s) - start )) -lt "$DURATION" ]; do
	pass=$((pass + 1))
	case $((pass % 3)) in
	0) args="-b 4096 -q 32" ;;
	1) args="-b 65536 -q 8" ;;
	2) args="-b 8704 -q 16" ;;
	esac
	ifc=i$((pass % 2))
	# shellcheck disable=SC2086
	ini "$B/aoebench" -i "$ifc" -s 7 -l 3 -p "$pass" -w 100 $args write > "$WORK/w" 2>&1 &
	load=$!
	sleep "0.$(( $(rand) % 10 ))"
	if kill -0 "$load" 2>/dev/null; then
		inject_fault >> "$WORK/faults" && faults=$((faults + 1))
	fi
	if ! wait "$load"; then
		errors=$((errors + 1)); echo "pass $pass: write errors"; cat "$WORK/w"
	fi
	if ! ini "$B/aoebench" -i "$ifc" -s 7 -l 3 -p "$pass" -b 131072 -q 8 verify > "$WORK/v" 2>&1; then
		errors=$((errors + 1)); echo "pass $pass: verify failed"; tail -5 "$WORK/v"
	fi
	bytes=$((bytes + 2 * 256 * 1048576))
done
kill -0 "$AOEDE_PID" || { echo "the supervisor died"; errors=$((errors + 1)); }
aoede_stop
echo "soak: $((bytes / 1000000000)) GB written and verified in $pass passes over" \
    "$(( $(date +%s) - start )) s, $faults faults injected, $errors errors"
sort "$WORK/faults" 2>/dev/null | sed 's/ [0-9]*$//' | uniq -c | sed 's/^/   /'
[ "$errors" -eq 0 ]
