#!/bin/sh
# Raw-frame abuse: thousands of random and mutated frames into a netd's NIC
# while another initiator runs a verified load on the same NIC: no crash, no
# restart, the load sees no error, and netd's drop counters account for
# every frame it had to drop.
. tests/lib/netns.sh

COUNT=${ABUSE_FRAMES:-20000}
net_setup 1 1500
make_image "$WORK/img" 64		# 131072 sectors; the load uses the first half
aoede_start 7 3 t0 "$WORK/img"
netd=$(child_pid netd 0) || fail "no netd"
blockd=$(child_pid blockd) || fail "no blockd"

netd_drops() {	# netd's structural drops (short + bad version), from aoectl
	sleep 1.2	# the children report every second
	ctl --json stats | python3 -c '
import json, sys
nic = json.load(sys.stdin)["nics"][0]
print(nic["drop_short"] + nic["drop_version"])'
}

before=$(netd_drops) || fail "aoectl stats"
ini "$B/aoebench" -i i0 -M 02:00:00:00:00:0a -s 7 -l 3 -n 65536 -b 4096 -q 8 -p 77 \
    -w 100 writeverify > "$WORK/bench" 2>&1 &
bench=$!
tmac=$(tgt cat /sys/class/net/t0/address)
ini python3 tests/lib/inject.py i0 02:00:00:00:00:99 "$tmac" "$COUNT" 1234 7 3 65536 \
    > "$WORK/inject" || fail "injector failed"
wait "$bench" || { cat "$WORK/bench"; fail "the verified load saw errors under abuse"; }
echo "injected: $(cat "$WORK/inject")"
kill -0 "$AOEDE_PID" || fail "aoede died"
[ "$(child_pid netd 0)" = "$netd" ] || fail "netd was restarted"
[ "$(child_pid blockd)" = "$blockd" ] || fail "blockd was restarted"
grep -q 'killed by signal\|exited with status' "$WORK/aoede.log" && fail "a child died"

after=$(netd_drops) || fail "aoectl stats"
must=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["short"]+d["version"])' "$WORK/inject")
echo "netd had to drop $must frames (short or bad version); its counters grew by $((after - before))"
# the kernel filter drops the rest before netd sees them; what reaches netd
# and is malformed is counted, each frame once
[ "$((after - before))" -eq "$must" ] || fail "netd's drop counters do not account for the bad frames"
ini timeout 5 aoeping -I 7 3 i0 > /dev/null || fail "not serving after the abuse"
aoede_stop
echo "abuse_frames: all checks passed"
