#!/bin/sh
# The MTU changing under a verified load (issue #11): 9000 -> 1500 -> 9000
# on both ends of the link while one initiator writes and another reads and
# verifies.  Frames sent at 17 sectors stop fitting; aoebench must notice
# (lost frames, its own interface refusing them, AoE errors), ask the
# target's Sector Count again, re-split what is in flight and go on, then
# grow its frames back.  No request may fail, no sector may verify wrong,
# and every acknowledged write must be on the disk afterwards; netd follows
# the MTU without a restart and its statistics show both changes.
. tests/lib/netns.sh

# The writer goes over its region once, sequentially, never wrapping
# around: each sector is written once, so a write acknowledged but lost at a
# change cannot be hidden by a later pass, and what it wrote is exactly the
# first `bytes` of its region.  4 GiB (sparse) is about 3 times what it
# writes in $SECS s here.
W_SECTORS=$((4 << 21))
R_FIRST=$W_SECTORS
R_SECTORS=32768		# the reader's 16 MiB, after it
SECS=12			# the load; the MTU changes at about 3 s and 7 s
W_SEED=31		# what the writer writes during the changes
R_SEED=32		# what the reader finds (written before)

net_setup 1 9000
make_image "$WORK/img" $(((W_SECTORS + R_SECTORS) / 2048))
aoede_start 7 3 t0 "$WORK/img"
netd=$(child_pid netd 0) || fail "no netd"
blockd=$(child_pid blockd) || fail "no blockd"

mark() { MARK=$(wc -l < "$WORK/aoede.log"); }
wait_log() {	# PATTERN: a new line (since the last mark) within 5 s
	t=0
	until tail -n +"$((MARK + 1))" "$WORK/aoede.log" | grep -q "$1"; do
		t=$((t + 1)); [ "$t" -gt 50 ] && fail "no log line '$1'"; sleep 0.1
	done
}

# one field of netd's statistics for t0 (the children report every second)
nic_stat() {	# FIELD
	ctl --json stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["nics"][0][sys.argv[1]])' "$1"
}

# one field of an aoebench -j result
field() {	# FILE FIELD
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

bench() {	# SEED FIRST COUNT ARGS...
	b_seed=$1; b_first=$2; b_count=$3; shift 3
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$b_seed" -o "$b_first" -n "$b_count" "$@"
}

# 1. the data the reader will find, written at MTU 9000
bench "$R_SEED" "$R_FIRST" "$R_SECTORS" -b 65536 -q 8 write > "$WORK/fill" 2>&1 ||
    { cat "$WORK/fill"; fail "filling the reader's region"; }
bench "$R_SEED" "$R_FIRST" 2048 -b 65536 -q 8 verify > "$WORK/fill" 2>&1 ||
    { cat "$WORK/fill"; fail "reading the reader's region back"; }
sleep 1.2
changes0=$(nic_stat link_changes) || fail "aoectl stats"
# the write acknowledgements went by the transmit ring, the jumbo frames of
# the reads (8 KiB of data each) by sendmmsg (netd.c, netd_send_small)
ring0=$(nic_stat frames_out_ring) || fail "aoectl stats"
out0=$(nic_stat frames_out) || fail "aoectl stats"
[ "$ring0" -ge $((R_SECTORS / 128)) ] ||
    fail "$ring0 frames by the transmit ring: not every write's acknowledgement"
[ $((out0 - ring0)) -ge $((2048 / 16)) ] ||
    fail "$((out0 - ring0)) frames by sendmmsg: not every jumbo read reply"
echo "ok: at MTU 9000, $ring0 of $out0 frames out by the transmit ring"

# 2. the mixed load: sequential writes of a new pattern, random verified
#    reads of the old one, each initiator from its own MAC
bench "$W_SEED" 0 "$W_SECTORS" -M 02:00:00:00:00:0a -b 65536 -q 8 -t "$SECS" -j write \
    > "$WORK/w.json" 2> "$WORK/w.err" &
writer=$!
bench "$R_SEED" "$R_FIRST" "$R_SECTORS" -M 02:00:00:00:00:0b -b 65536 -q 8 -r -t "$SECS" -j \
    verify > "$WORK/r.json" 2> "$WORK/r.err" &
reader=$!
sleep 3
kill -0 "$writer" 2>/dev/null && kill -0 "$reader" 2>/dev/null ||
    fail "the load ended before the MTU changed"
mark
net_mtu 0 1500
wait_log 't0: link up, MTU 1500'
sleep 1.2
[ "$(nic_stat mtu)" = 1500 ] || fail "aoectl stats does not show MTU 1500"
sleep 2.5
mark
net_mtu 0 9000
wait_log 't0: link up, MTU 9000'
wait "$writer"; wrc=$?
wait "$reader"; rrc=$?
for f in w r; do
	echo "--- $f: $(cat "$WORK/$f.json")"
	cat "$WORK/$f.err"
done
[ "$wrc" -eq 0 ] || fail "the writer failed across the MTU changes"
[ "$rrc" -eq 0 ] || fail "the reader failed across the MTU changes"

# 3. what each initiator went through
for f in w r; do
	j=$WORK/$f.json
	[ "$(field "$j" errors)" = 0 ] || fail "$f: failed requests"
	[ "$(field "$j" mismatches)" = 0 ] || fail "$f: verify errors"
	[ "$(field "$j" resplits)" -gt 0 ] || fail "$f: no frame was re-split"
	[ "$(field "$j" rediscoveries)" -gt 0 ] || fail "$f: never asked again"
	[ "$(field "$j" frame_sectors_first)" = 17 ] || fail "$f: did not start at 17 sectors"
	[ "$(field "$j" frame_sectors_min)" = 2 ] || fail "$f: never went down to 2 sectors"
	[ "$(field "$j" frame_sectors_last)" = 17 ] || fail "$f: did not grow back to 17 sectors"
done
written=$(( $(field "$WORK/w.json" bytes) / 512 ))
[ "$written" -lt "$W_SECTORS" ] ||
    fail "the writer wrapped around its region: the check below would prove less; make W_SECTORS larger"
echo "ok: writer $(field "$WORK/w.json" requests) requests," \
    "$(field "$WORK/w.json" resplits) frames re-split; reader" \
    "$(field "$WORK/r.json" requests) requests, $(field "$WORK/r.json" resplits) re-split"

# 4. the daemon: no restart, and its statistics saw both changes
kill -0 "$AOEDE_PID" || fail "the supervisor died"
[ "$(child_pid netd 0)" = "$netd" ] || fail "netd was restarted for an MTU change"
[ "$(child_pid blockd)" = "$blockd" ] || fail "blockd was restarted"
grep -q 'killed by signal\|exited with status' "$WORK/aoede.log" && fail "a child died"
sleep 1.2
[ "$(nic_stat mtu)" = 9000 ] || fail "aoectl stats does not show MTU 9000 again"
changes=$(( $(nic_stat link_changes) - changes0 ))
[ "$changes" -ge 2 ] || fail "netd counted $changes link changes, not 2"
echo "ok: netd $netd followed 9000 -> 1500 -> 9000 ($changes link changes), no restart"

# 5. the full verification pass: every write acknowledged (the first
#    $written sectors, each written once) holds the new pattern, the
#    reader's region the old one
bench "$W_SEED" 0 "$written" -b 65536 -q 16 verify > "$WORK/v" 2>&1 ||
    { cat "$WORK/v"; fail "an acknowledged write was lost"; }
bench "$R_SEED" "$R_FIRST" "$R_SECTORS" -b 65536 -q 16 verify > "$WORK/v" 2>&1 ||
    { cat "$WORK/v"; fail "the reader's region does not verify"; }
echo "ok: all $written sectors written under the changes verified, and the reader's region"
aoede_stop
echo "mtu_under_load: all checks passed"
