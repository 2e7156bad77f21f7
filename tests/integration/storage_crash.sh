#!/bin/sh
# R1: kill -9 blockd at random moments under a verified write load.  Each
# cycle writes a region once with a new seed (aoebench write: single pass, so
# a lost write cannot be hidden by a rewrite), blockd is killed at a random
# moment during it, the supervisor restarts it, the initiator retransmits;
# the write must end with 0 errors, then every sector must hold the new
# pattern.  CYCLES per durability mode (sync: -s, kernel: -w), io_uring on;
# a few more with AOEDE_NO_URING (the synchronous fallback).
#
# Then group commit: at queue depth 16 in sync mode the export's fsyncs
# must be well below its writes (blockd -v logs its counters at exit).
. tests/lib/netns.sh

: "${CYCLES:=25}"
SECTORS=65536		# 32 MiB region: a write pass takes 100-300 ms

net_setup 1 1500
make_image "$WORK/img" 64

rand_ms() {	# a random number of milliseconds in [0, $1)
	echo $(( $(od -An -N2 -tu2 /dev/urandom) % $1 ))
}

field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

lost=0
cycles=0
kills=0
: "${KILL_MS:=200}"	# kill within this many ms of the start of the load
# One cycle: the daemon is started per cycle, so the supervisor's crash-loop
# throttle (restarts of a child that died young slow down) never kicks in.
cycle() {	# SEED AOEDE-ARGS...
	seed=$1; shift
	aoede_start "$@" 7 3 t0 "$WORK/img"
	blockd=$(child_pid blockd) || fail "no blockd"
	[ "$(field "$blockd" Seccomp)" = 2 ] || fail "blockd has no seccomp filter"
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -o 0 -n "$SECTORS" -b 4096 -q 16 \
	    -w 100 write > "$WORK/bench" 2>&1 &
	bench=$!
	sleep "0.$(printf '%03d' "$(rand_ms "$KILL_MS")")"
	if kill -0 "$bench" 2>/dev/null; then
		kill -9 "$blockd"
		kills=$((kills + 1))
	fi
	wait "$bench" || { cat "$WORK/bench"; fail "the write load saw errors ($*)"; }
	awk '$1 == "write" { print "   seed '"$seed"' " $5 " frames, " $6 " s, " $12 " retransmissions" }' "$WORK/bench"
	# the restarted blockd reads back what was acknowledged
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -o 0 -n "$SECTORS" -b 65536 -q 8 \
	    verify > "$WORK/v" 2>&1
	bad=$(awk '$1 == "verify" { print $NF }' "$WORK/v")
	[ -n "$bad" ] || { cat "$WORK/v"; fail "verify did not run ($*)"; }
	lost=$((lost + bad))
	cycles=$((cycles + 1))
	aoede_stop
}

seed=$(( $(date +%s) % 100000 * 100 ))
for mode in -s -w; do
	i=0
	while [ "$i" -lt "$CYCLES" ]; do
		seed=$((seed + 1))
		cycle "$seed" "$mode"
		i=$((i + 1))
	done
	grep -q "io_uring unavailable" "$WORK/aoede.log" &&
	    echo "note: io_uring unavailable here; the synchronous path was tested"
	echo "ok: $mode: $CYCLES kills of blockd under load, sectors lost so far: $lost"
done
# the synchronous fallback survives the same
export AOEDE_NO_URING=1
for mode in -s -w; do
	seed=$((seed + 1))
	cycle "$seed" "$mode"
	grep -q "synchronous I/O requested" "$WORK/aoede.log" ||
	    fail "AOEDE_NO_URING did not select the synchronous path"
done
unset AOEDE_NO_URING
echo "storage_crash: $cycles cycles, $kills kills during the load, $lost acknowledged sectors lost"
[ "$kills" -ge $((cycles / 2)) ] || fail "too few kills hit the load ($kills of $cycles)"
[ "$lost" -eq 0 ] || fail "acknowledged writes were lost"

# group commit: queue depth 16, sync mode
aoede_start -v -s 7 3 t0 "$WORK/img"
ini "$B/aoebench" -i i0 -s 7 -l 3 -p 1 -o 0 -n 16384 -b 4096 -q 16 write > "$WORK/bench" 2>&1 ||
    { cat "$WORK/bench"; fail "group commit load"; }
aoede_stop
line=$(grep "e7.3: at exit:" "$WORK/aoede.log" | tail -1)
[ -n "$line" ] || fail "blockd did not log its counters at exit"
writes=$(echo "$line" | sed -n 's/.* writes \([0-9]*\) .*/\1/p')
fsyncs=$(echo "$line" | sed -n 's/.* fsyncs \([0-9]*\) .*/\1/p')
echo "group commit at -q 16: $writes writes, $fsyncs fsyncs"
[ "$writes" -gt 0 ] && [ $((fsyncs * 4)) -lt "$writes" ] ||
    fail "no group commit: $fsyncs fsyncs for $writes writes"
echo "storage_crash: all checks passed"
