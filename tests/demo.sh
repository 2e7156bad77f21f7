#!/bin/sh
# make demo: AoEde doing its main job, in private network namespaces that
# this script makes and removes.  An initiator host ("ini") and a storage
# host ("tgt") joined by a veth pair; a sparse 1 GiB demo image exported as
# e1.0; the initiator discovers it, writes a pattern, reads it back and
# verifies it; then the daemon's statistics.
AOEDE_BUILD=${1:-build}
export AOEDE_BUILD
. tests/lib/netns.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "network: namespaces $NS_T (storage host) and $NS_I (initiator), veth t0 <-> i0, MTU 9000"
net_setup 1 9000
truncate -s 1G "$WORK/demo.img"
echo "demo image: $WORK/demo.img, 1 GiB, sparse ($(du -k "$WORK/demo.img" | cut -f1) KiB on disk)"

step "aoede 1 0 t0 demo.img   (supervisor + netd + blockd, privilege-separated)"
aoede_start 1 0 t0 "$WORK/demo.img"
sed 's/^<[0-9]>//' "$WORK/aoede.log"
ps -o pid,user,args --ppid "$AOEDE_PID" | sed 's/^/  /'

step "discovery from the initiator (a broadcast Query Config, as 'aoe-discover' sends)"
ini "$B/aoebench" -i i0 discover || fail "discovery"

step "aoeping -I 1 0 i0   (aoetools: IDENTIFY)"
ini timeout 5 aoeping -I 1 0 i0 | grep -E 'serial|model' || fail "aoeping"

step "write a 256 MiB pattern, read it back and verify it (16 requests in flight)"
ini "$B/aoebench" -i i0 -s 1 -l 0 -n 524288 -b 65536 -q 16 -p 42 writeverify || fail "writeverify"

step "random 4 KiB reads for 3 seconds"
ini "$B/aoebench" -i i0 -s 1 -l 0 -n 524288 -b 4096 -q 16 -r -t 3 read || fail "read"

step "aoectl stats"
sleep 1.2	# the children report every second
ctl stats || fail "aoectl stats"

step "stopping (SIGTERM: in-flight requests finish, images are flushed)"
aoede_stop
echo "demo image now holds $(du -k "$WORK/demo.img" | cut -f1) KiB; cleaning up"
step "demo finished"
