#!/bin/sh
# kill -9 of a netd and of blockd in the middle of a verified write load: the
# supervisor restarts each, the initiator's retransmissions carry the load
# through with no error, and every acknowledged write is in the image — in
# both durability modes.
. tests/lib/netns.sh

net_setup 1 1500
make_image "$WORK/img" 256

run_mode() {	# SEED AOEDE-ARGS...
	seed=$1; shift
	aoede_start "$@" 7 3 t0 "$WORK/img"
	netd_old=$(child_pid netd 0) || fail "no netd"
	# one single pass (no -t): a write lost and then rewritten cannot hide
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -b 4096 -q 8 -w 100 write \
	    > "$WORK/bench" 2>&1 &
	bench=$!
	sleep 0.3
	kill -0 "$bench" 2>/dev/null || fail "the load finished before netd was killed"
	kill -9 "$netd_old"
	sleep 0.5
	kill -0 "$bench" 2>/dev/null || fail "the load finished before blockd was killed"
	blockd_old=$(child_pid blockd) || fail "no blockd"
	kill -9 "$blockd_old"
	wait "$bench" || { cat "$WORK/bench"; fail "the load saw errors ($*)"; }
	netd_new=$(child_pid netd 0) || fail "netd was not restarted"
	blockd_new=$(child_pid blockd) || fail "blockd was not restarted"
	[ "$netd_new" != "$netd_old" ] && [ "$blockd_new" != "$blockd_old" ] ||
	    fail "children were not replaced"
	grep -q "netd\[t0\] (pid $netd_old) was killed by signal 9" "$WORK/aoede.log" ||
	    fail "netd's death was not logged"
	grep -q "blockd (pid $blockd_old) was killed by signal 9" "$WORK/aoede.log" ||
	    fail "blockd's death was not logged"
	awk '$1 == "write" { print "   " $0 }' "$WORK/bench"
	aoede_stop
	# every acknowledged write is in the image: read it back through a new daemon
	aoede_start -r 7 3 t0 "$WORK/img"
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -b 65536 -q 16 verify > "$WORK/v" 2>&1 ||
	    { cat "$WORK/v"; fail "acknowledged writes missing from the image ($*)"; }
	aoede_stop
	echo "ok: kill -9 netd and blockd under load ($*): no error, nothing lost"
}

run_mode 11 -s
run_mode 12 -w
echo "restarts: all checks passed"
