#!/bin/sh
# Link faults: the NIC going down and up under a verified load (netd idle
# while it is down), its MTU changing, and the veth removed and created
# again.  aoede keeps running, notices, announces again and serves without a
# restart of the supervisor.
. tests/lib/netns.sh

net_setup 1 9000
make_image "$WORK/img" 64
aoede_start 7 3 t0 "$WORK/img"
netd=$(child_pid netd 0) || fail "no netd"

payload() {	# what aoe-sancheck reports for e7.3
	ini timeout 20 aoe-sancheck | awk '$1 == "e7.3" { print $3 }'
}

mark() { MARK=$(wc -l < "$WORK/aoede.log"); }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }	# PID: utime + stime
MARK=0

wait_log() {	# PATTERN: a new line (since the last mark) within 5 s
	t=0
	until tail -n +"$((MARK + 1))" "$WORK/aoede.log" | grep -q "$1"; do
		t=$((t + 1)); [ "$t" -gt 50 ] && fail "no log line '$1'"; sleep 0.1
	done
}

# 1. down and up in the middle of a verified write load
ini "$B/aoebench" -i i0 -s 7 -l 3 -b 4096 -q 8 -p 5 -D 30 write > "$WORK/bench" 2>&1 &
bench=$!
sleep 0.3
kill -0 "$bench" 2>/dev/null || fail "the load finished before the link went down"
mark
tgt ip link set t0 down
wait_log 't0: link down'
# the socket reports ENETDOWN: netd must read it and sleep, not have epoll
# wake it for it again and again (a spin of a whole CPU)
t0=$(cpu_ticks "$netd")
sleep 1
t1=$(cpu_ticks "$netd")
[ $((t1 - t0)) -le 30 ] || fail "netd used $((t1 - t0)) CPU ticks in 1 s while the link was down"
mark
tgt ip link set t0 up
wait_log 't0: link up'
wait "$bench" || { cat "$WORK/bench"; fail "the load failed across link down/up"; }
ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 8 -p 5 verify > "$WORK/v" 2>&1 ||
    { cat "$WORK/v"; fail "data lost across link down/up"; }
[ "$(child_pid netd 0)" = "$netd" ] || fail "netd was restarted for a link down/up"
echo "ok: link down/up under load: load completed, data verified, no restart"

# 2. MTU 9000 -> 1500 -> 9000: the advertised payload follows, no restart
#    (the same under a verified load: mtu_under_load.sh)
[ "$(payload)" = 8704 ] || fail "payload at MTU 9000 is not 8704"
mark
net_mtu 0 1500
wait_log 't0: link up, MTU 1500'
[ "$(payload)" = 1024 ] || fail "payload after MTU 1500 is not 1024"
mark
net_mtu 0 9000
wait_log 't0: link up, MTU 9000'
[ "$(payload)" = 8704 ] || fail "payload after MTU 9000 again is not 8704"
[ "$(child_pid netd 0)" = "$netd" ] || fail "netd was restarted for an MTU change"
echo "ok: MTU 9000 -> 1500 -> 9000 followed without a restart"

# 3. the veth pair removed and created again
mark
tgt ip link del t0
wait_log 't0 is gone; exiting so that the supervisor reopens it'
sleep 0.5
ip link add t0 netns "$NS_T" type veth peer name i0 netns "$NS_I" || fail "veth"
tgt ip link set t0 mtu 9000 up
ini ip link set i0 mtu 9000 up
t=0
until ini timeout 3 aoeping -I 7 3 i0 > /dev/null 2>&1; do
	t=$((t + 1)); [ "$t" -gt 20 ] && fail "not serving on the re-created interface"
done
kill -0 "$AOEDE_PID" || fail "the supervisor died"
ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 8 -p 5 verify > "$WORK/v" 2>&1 ||
    { cat "$WORK/v"; fail "data not readable on the re-created interface"; }
echo "ok: interface removed and re-created: served again by the same supervisor"
aoede_stop
echo "link_faults: all checks passed"
