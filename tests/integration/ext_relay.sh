#!/bin/sh
# The 2014 extensions through the daemon, with faults injected by a
# userspace relay (tests/lib/relay.py; this kernel has no netem):
#
#   initiator ns (i0) <-veth-> relay ns (ri | rt) <-veth-> target ns (t0)
#
# 1. duplicated, reordered and delayed frames under a verified aoebench
#    write load: 0 corruptions, duplicates counted by the daemon;
# 2. the same with crc8x4 negotiated (aoebench -X crc8x4) and a relay that
#    flips bits in write frames: the damaged writes are refused (crc_errors),
#    aoebench retries them, and a clean re-read verifies every sector.
. tests/lib/netns.sh

SECTORS=16384		# 8 MiB export
NS_R=aoeder$ID
RELAY_PID=""
EXTRA_CLEANUP='ip netns del "$NS_R" 2>/dev/null'

rly() { ip netns exec "$NS_R" "$@"; }

ext_net_setup() {
	ip netns add "$NS_T" || fail "ip netns add"
	ip netns add "$NS_I" || fail "ip netns add"
	ip netns add "$NS_R" || fail "ip netns add"
	ip link add t0 netns "$NS_T" type veth peer name rt netns "$NS_R" || fail "veth"
	ip link add i0 netns "$NS_I" type veth peer name ri netns "$NS_R" || fail "veth"
	tgt ip link set t0 up
	ini ip link set i0 up
	rly ip link set rt up
	rly ip link set ri up
	for ns in "$NS_T" "$NS_I" "$NS_R"; do ip netns exec "$ns" ip link set lo up; done
}

relay_start() {	# relay options...
	rm -f "$WORK/relay.json"
	# a simple command, so that $! is the relay itself
	ip netns exec "$NS_R" python3 tests/lib/relay.py --stats "$WORK/relay.json" \
	    "$@" ri rt 2> "$WORK/relay.log" &
	RELAY_PID=$!
	PIDS="$PIDS $RELAY_PID"
	t=0
	while [ ! -s "$WORK/relay.json" ]; do
		kill -0 "$RELAY_PID" 2>/dev/null || { cat "$WORK/relay.log"; fail "relay died"; }
		t=$((t + 1)); [ "$t" -gt 50 ] && fail "relay did not start"
		sleep 0.1
	done
}

relay_stop() {
	kill -TERM "$RELAY_PID"
	wait "$RELAY_PID" 2>/dev/null
	RELAY_PID=""
}

stat_of() {	# FIELD: the export's counter, from aoectl
	sleep 1.2	# the children report every second
	ctl --json stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["exports"][0][sys.argv[1]])' "$1"
}

relay_stat() {	# FIELD
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
	    "$WORK/relay.json" "$1"
}

bench() {	# SEED ARGS... COMMAND
	seed=$1; shift
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -n "$SECTORS" -w 100 "$@" \
	    > "$WORK/bench" 2>&1 || { cat "$WORK/bench"; fail "aoebench -p $seed $*"; }
}

ext_net_setup
make_image "$WORK/img" $((SECTORS / 2048))
aoede_start 7 3 t0 "$WORK/img"

# --- 1. duplicates, reordering, delays: no corruption, duplicates counted ---
relay_start --dup 0.1 --reorder 0.05 --gap 3 --delay 0.05 --delay-ms 15 --seed 11
bench 201 -b 4096 -q 8 writeverify
bench 202 -b 65536 -q 4 writeverify
relay_stop
dups=$(stat_of duplicates) || fail "aoectl stats"
rdup=$(relay_stat dup)
echo "   relay duplicated $rdup frames, reordered $(relay_stat reordered), delayed $(relay_stat delayed); daemon duplicates: $dups"
[ "$rdup" -gt 0 ] || fail "the relay duplicated nothing"
[ "$dups" -gt 0 ] || fail "no duplicate write counted"
[ "$(stat_of crc_errors)" -eq 0 ] || fail "crc errors without crc8x4"
echo "ok: duplicated/reordered/delayed frames, 0 corruptions, $dups duplicate writes not run again"

# --- 2. crc8x4 and bit flips in write frames ----------------------------------
relay_start --flip 0.05 --dup 0.05 --seed 12
bench 303 -X crc8x4 -b 4096 -q 8 writeverify
bench 304 -X crc8x4 -b 65536 -q 4 write
relay_stop
crc=$(stat_of crc_errors) || fail "aoectl stats"
flips=$(relay_stat flipped)
echo "   relay flipped a bit in $flips write frames; daemon crc_errors: $crc"
[ "$flips" -gt 0 ] || fail "the relay flipped nothing"
[ "$crc" -ge "$flips" ] && [ "$crc" -le $((2 * flips)) ] ||
    fail "crc_errors $crc, flipped frames $flips"
# a clean path: every sector holds what the initiator meant to write
relay_start
bench 304 -X crc8x4 -b 65536 -q 4 verify
bench 304 -b 65536 -q 4 verify
relay_stop
grep -q 'bad CRC' "$WORK/aoede.log" || fail "no crc error logged"
echo "ok: crc8x4: $crc damaged writes refused and retried, the image verifies"

aoede_stop
echo "ext_relay: all checks passed"
