#!/bin/sh
# aoebench against Debian's vblade, in two private network namespaces joined
# by a veth pair: discovery, IDENTIFY, write/verify at MTU 1500 and 9000 and
# depths 1 and 16, two initiators sharing one interface (-M), and
# retransmission across a stopped and a restarted target.
#
# Needs root, ip(8) and /usr/sbin/vblade; exits 77 (skip) without them.
set -u

B=${AOEDE_BUILD:-build}
BENCH=$B/aoebench
VBLADE=/usr/sbin/vblade

skip() { echo "skip: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
[ -x "$BENCH" ] || skip "$BENCH not built"
[ -x "$VBLADE" ] || skip "$VBLADE not installed (apt-get install vblade)"
command -v ip >/dev/null 2>&1 || skip "ip(8) missing"

ID=$$
NSI=aoebench-i-$ID		# the initiator's namespace
NST=aoebench-t-$ID		# vblade's
IFI=abi$ID			# veth names stay under 15 characters
IFT=abt$ID
SHELF=3
SLOT=7
WORK=$(mktemp -d /tmp/aoebench_vblade.XXXXXX)
IMG=$WORK/img
VPID=
BGPIDS=
FAILED=0

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	for pid in $VPID $BGPIDS; do
		kill -CONT "$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$NSI" 2>/dev/null
	ip netns del "$NST" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

fail() { echo "FAIL: $*"; FAILED=1; }
ok() { echo "ok: $*"; }

# Run aoebench in the initiator's namespace, bounded in time.
bench() {
	timeout -k 2 40 ip netns exec "$NSI" "$BENCH" -i "$IFI" "$@"
}

# A numeric field of aoebench's JSON output (the first one: the totals).
# shellcheck disable=SC2020 # three single characters to newlines
field() {
	tr ',{}' '\n\n\n' <"$1" | sed -n "s/^\"$2\":\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" |
	    head -n 1
}

start_vblade() {
	ip netns exec "$NST" "$VBLADE" -b 16 $SHELF $SLOT "$IFT" "$IMG" \
	    >>"$WORK/vblade.log" 2>&1 &
	VPID=$!		# ip netns exec execs vblade: this is vblade's pid
	sleep 0.3
}

stop_vblade() {
	[ -n "$VPID" ] || return 0
	kill -KILL "$VPID" 2>/dev/null
	wait "$VPID" 2>/dev/null
	VPID=
}

set_mtu() {
	ip -n "$NSI" link set "$IFI" mtu "$1"
	ip -n "$NST" link set "$IFT" mtu "$1"
}

# expect_run NAME OUTFILE ARGS...: exit 0, zero errors and mismatches
expect_run() {
	name=$1 out=$2
	shift 2
	if ! bench -j "$@" >"$out" 2>"$out.err"; then
		fail "$name: exit status $? ($(tail -n 1 "$out.err"))"
		return 1
	fi
	e=$(field "$out" errors) m=$(field "$out" mismatches)
	if [ "$e" != 0 ] || [ "$m" != 0 ]; then
		fail "$name: errors=$e mismatches=$m"
		return 1
	fi
	ok "$name ($(field "$out" bytes) bytes, $(field "$out" frames) frames," \
	    "$(field "$out" retransmits) retransmissions)"
}

ip netns add "$NSI" || exit 1
ip netns add "$NST" || exit 1
ip link add "$IFI" type veth peer name "$IFT" || exit 1
ip link set "$IFI" netns "$NSI"
ip link set "$IFT" netns "$NST"
ip -n "$NSI" link set "$IFI" up
ip -n "$NST" link set "$IFT" up
truncate -s 8M "$IMG"
SECTORS=16384
HALF=8192

echo "== MTU 1500"
start_vblade

bench discover >"$WORK/disc" 2>&1
if grep -q "^e$SHELF.$SLOT .* 16 *2 *0x4019" "$WORK/disc"; then
	ok "discover: e$SHELF.$SLOT, buffer count 16, 2 sectors per frame"
else
	fail "discover: $(cat "$WORK/disc")"
fi

bench -j -s $SHELF -l $SLOT identify >"$WORK/id" 2>&1
if [ "$(field "$WORK/id" sectors)" = $SECTORS ] &&
    [ "$(field "$WORK/id" lba48)" = true ]; then
	ok "identify: $SECTORS sectors, LBA48, model $(field "$WORK/id" model)"
else
	fail "identify: $(cat "$WORK/id")"
fi

if bench -s 9 -l 9 -D 1 identify >/dev/null 2>&1; then
	fail "identify of a missing e9.9 succeeded"
else
	ok "identify of a missing e9.9 fails"
fi

expect_run "writeverify depth 1, 4 KiB" "$WORK/wv1" -q 1 -p 1 writeverify
expect_run "writeverify depth 16, 64 KiB" "$WORK/wv16" -q 16 -b 65536 -p 2 \
    writeverify
expect_run "random read depth 16" "$WORK/rr" -q 16 -r -n 4096 read

if bench -j -p 1 -n 64 verify >"$WORK/wrong" 2>/dev/null; then
	fail "verify with the wrong seed succeeded"
elif [ "$(field "$WORK/wrong" mismatches)" = 64 ]; then
	ok "verify with the wrong seed reports 64 mismatched sectors"
else
	fail "verify with the wrong seed: $(cat "$WORK/wrong")"
fi

echo "-- two initiators on one interface (-M), disjoint halves"
MACA=02:00:5e:00:00:0a
MACB=02:00:5e:00:00:0b
bench -j -M $MACA -q 16 -p 11 -o 0 -n $HALF write >"$WORK/a" 2>&1 &
PA=$!
bench -j -M $MACB -q 16 -p 12 -o $HALF -n $HALF write >"$WORK/b" 2>&1 &
PB=$!
BGPIDS="$PA $PB"
wait $PA; RA=$?
wait $PB; RB=$?
BGPIDS=
if [ $RA -eq 0 ] && [ $RB -eq 0 ] && [ "$(field "$WORK/a" errors)" = 0 ] &&
    [ "$(field "$WORK/b" errors)" = 0 ]; then
	ok "concurrent writes from $MACA and $MACB"
else
	fail "concurrent writes: exit $RA/$RB: $(cat "$WORK/a" "$WORK/b")"
fi
expect_run "verify first half (seed 11, $MACA)" "$WORK/va" -M $MACA -q 4 \
    -p 11 -o 0 -n $HALF verify
expect_run "verify second half (seed 12, $MACB)" "$WORK/vb" -M $MACB -q 4 \
    -p 12 -o $HALF -n $HALF verify
if bench -p 11 -o $HALF -n 16 verify >/dev/null 2>&1; then
	fail "the second half verifies with the first half's seed"
else
	ok "the second half does not verify with the first half's seed"
fi

echo "-- target stopped (SIGSTOP) for 1 s in the middle of a write"
bench -j -w 50 -q 16 -p 21 -t 2.5 write >"$WORK/stop" 2>"$WORK/stop.err" &
PW=$!
BGPIDS=$PW
sleep 0.6
kill -STOP "$VPID"
sleep 1
kill -CONT "$VPID"
wait $PW
RW=$?
BGPIDS=
if [ $RW -eq 0 ] && [ "$(field "$WORK/stop" errors)" = 0 ] &&
    [ "$(field "$WORK/stop" retransmits)" -gt 0 ]; then
	ok "write survived the stop: $(field "$WORK/stop" retransmits)" \
	    "retransmissions, $(field "$WORK/stop" late) late replies, 0 errors"
else
	fail "write across SIGSTOP: exit $RW: $(cat "$WORK/stop" "$WORK/stop.err")"
fi
expect_run "verify after the stop" "$WORK/stopv" -q 16 -p 21 verify

echo "-- target killed (SIGKILL) and restarted in the middle of a write"
bench -j -w 50 -q 16 -p 22 -t 2 write >"$WORK/kill" 2>"$WORK/kill.err" &
PW=$!
BGPIDS=$PW
sleep 0.5
stop_vblade
sleep 0.5
start_vblade
wait $PW
RW=$?
BGPIDS=
if [ $RW -eq 0 ] && [ "$(field "$WORK/kill" errors)" = 0 ] &&
    [ "$(field "$WORK/kill" retransmits)" -gt 0 ]; then
	ok "write survived the restart: $(field "$WORK/kill" retransmits)" \
	    "retransmissions, 0 errors"
else
	fail "write across a restart: exit $RW: $(cat "$WORK/kill" "$WORK/kill.err")"
fi
expect_run "verify after the restart" "$WORK/killv" -q 16 -p 22 verify

echo "-- target stopped longer than -D: requests fail, exit 1"
bench -j -w 50 -D 1 -p 23 -t 2.5 write >"$WORK/dead" 2>"$WORK/dead.err" &
PW=$!
BGPIDS=$PW
sleep 0.4
kill -STOP "$VPID"
sleep 1.6
kill -CONT "$VPID"
wait $PW
RW=$?
BGPIDS=
if [ $RW -eq 1 ] && [ "$(field "$WORK/dead" errors)" -gt 0 ]; then
	ok "exit 1 with $(field "$WORK/dead" errors) requests given up after 1 s"
else
	fail "-D 1 across a 1.6 s stop: exit $RW: $(cat "$WORK/dead")"
fi

echo "== MTU 9000"
stop_vblade
set_mtu 9000
start_vblade	# vblade sizes its socket buffers from the MTU at start
bench discover >"$WORK/disc9" 2>&1
if grep -q "^e$SHELF.$SLOT .* 16 *17 *0x4019" "$WORK/disc9"; then
	ok "discover: 17 sectors per frame"
else
	fail "discover at MTU 9000: $(cat "$WORK/disc9")"
fi
expect_run "writeverify depth 1, 8.5 KiB (one frame)" "$WORK/j1" -q 1 \
    -b 8704 -p 31 writeverify
expect_run "writeverify depth 16, 64 KiB" "$WORK/j16" -q 16 -b 65536 -p 32 \
    writeverify
if [ "$(field "$WORK/j1" frames)" = 1928 ]; then
	ok "one 17-sector frame per 8704-byte request"
else
	fail "frames at MTU 9000: $(field "$WORK/j1" frames), want 1928"
fi

echo "-- usage errors"
for args in "write" "-i $IFI -b 1000 write" "-i $IFI frobnicate" \
    "-i $IFI -s 1 write" "-i $IFI -M 01:00:00:00:00:01 write"; do
	# shellcheck disable=SC2086
	ip netns exec "$NSI" "$BENCH" $args >/dev/null 2>"$WORK/usage"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$WORK/usage")" -eq 1 ]; then
		ok "aoebench $args: exit 2, $(cat "$WORK/usage")"
	else
		fail "aoebench $args: exit $rc, $(cat "$WORK/usage")"
	fi
done
if bench -o $SECTORS write >/dev/null 2>&1; then
	fail "-o beyond the end accepted"
else
	ok "-o beyond the end of the export refused"
fi

stop_vblade
if [ $FAILED -ne 0 ]; then
	echo "aoebench_vblade: FAILED"
	exit 1
fi
echo "aoebench_vblade: all checks passed"
exit 0
