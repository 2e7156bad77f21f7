#!/bin/sh
# Supervision: a crash loop is throttled and logged; when the supervisor is
# killed its children exit at once and nothing answers the LAN unsupervised;
# a new aoede serves again.
. tests/lib/netns.sh

net_setup 1 1500
make_image "$WORK/img" 16
aoede_start 7 3 t0 "$WORK/img"

wait_new_netd() {	# OLD-PID -> prints the new netd's pid
	t=0
	while :; do
		p=$(child_pid netd 0) && [ "$p" != "$1" ] && { echo "$p"; return 0; }
		t=$((t + 1))
		[ "$t" -gt 300 ] && return 1
		sleep 0.1
	done
}

# a netd that keeps dying right after its start is restarted ever more slowly
pid=$(child_pid netd 0) || fail "no netd"
i=0
while [ "$i" -lt 5 ]; do
	kill -9 "$pid"
	pid=$(wait_new_netd "$pid") || fail "netd was not restarted after death $((i + 1))"
	i=$((i + 1))
done
grep -q 'netd\[t0\] keeps dying; next restart in [0-9]* ms' "$WORK/aoede.log" ||
    fail "the crash loop was not throttled and logged"
deaths=$(grep -c 'netd\[t0\] (pid [0-9]*) was killed by signal 9' "$WORK/aoede.log")
[ "$deaths" -eq 5 ] || fail "logged $deaths netd deaths, want 5"
ini timeout 10 aoeping -I 7 3 i0 > /dev/null || fail "not serving after the crash loop"
echo "ok: crash loop throttled, logged, service back"

# kill -9 of the supervisor: the children follow within a second
netd=$(child_pid netd 0) || fail "no netd"
blockd=$(child_pid blockd) || fail "no blockd"
kill -9 "$AOEDE_PID"
wait "$AOEDE_PID" 2>/dev/null
AOEDE_PID=""
t=0
while kill -0 "$netd" 2>/dev/null || kill -0 "$blockd" 2>/dev/null; do
	t=$((t + 1))
	[ "$t" -gt 20 ] && fail "children survived the supervisor for 2 s"
	sleep 0.1
done
if ini timeout 3 aoeping 7 3 i0 > /dev/null 2>&1; then
	fail "something still answers after the supervisor died"
fi
echo "ok: children exited with the supervisor, nothing answers"

aoede_start 7 3 t0 "$WORK/img"
ini timeout 10 aoeping -I 7 3 i0 > /dev/null || fail "a new aoede does not serve"
aoede_stop
echo "supervision: all checks passed"
