#!/bin/sh
# Boot Debian's kernel in qemu (software emulation is enough) and run
# workloads of tests/vm/init with the kernel's aoe driver against aoede.
#
#   sh tests/vm/run.sh [options] WORKLOAD[,WORKLOAD...]
#     workloads: discover data fs restarts readonly freeze freezefs
#                (one boot, in this order)
#                restarts = data while the host kills aoede's children
#                readonly = writes fail at once with EIO (use with -a -r)
#                freeze   = passes of the pattern while the host freezes the
#                           export (aoede -f WORK/shadow), checks the image
#                           does not change, unfreezes, waits for "thawed"
#                freezefs = the same with files on ext4
#     -m MTU     MTU of every link, guest NIC included (default 1500)
#     -n NICS    target NICs aoede serves the export on, 1 or 2 (default 1)
#     -s MIB     image size in MiB (default 64)
#     -t SECS    give up after SECS (default 120 + 120 per workload)
#     -k vmlinux|bzimage  kernel image qemu loads (default vmlinux)
#     -c CPUS    guest CPUs (default 1)
#     -a ARGS    more arguments for aoede (e.g. -a -w)
#     -R N       kill -9 N children of aoede (netd, blockd, alternately, 3 s
#                apart) during the restarts workload (default 4)
#     -S         strict: any retransmission by the driver fails (by default one
#                whose first copy was answered late is only counted)
#     -v         show the guest's console while it runs
#     -K DIR     keep console.log and aoede.log (and the captures) in DIR
#     -p         capture AoE headers with tcpdump on tap0 (the guest's side)
#                and t0.. (aoede's side) into WORK/*.pcap (keep them with -K)
#
# Topology, all inside one private network namespace (nothing reaches the
# host's own interfaces):
#
#   qemu virtio-net -- tap0 --+-- br0 --+-- b0 ==veth== t0  <- aoede 7 3 t0 [t1] img
#                                       +-- b1 ==veth== t1     (with -n 2)
#
# aoede gets a control socket of its own (WORK/ctl.sock, aoectl -S) and a
# state directory (WORK/state). The guest's second serial port (ttyS1) reads
# what the host writes into the FIFO WORK/host.in (one word a line).
#
# Exit status: 0 when every workload printed PASS and the host's checks of
# the image agree, 77 when this machine cannot run the VM (no /dev/net/tun),
# 1 otherwise.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
: "${AOEDE_BUILD:=$TOP/build}"
B=$(cd "$AOEDE_BUILD" 2>/dev/null && pwd) || { echo "run: no build dir $AOEDE_BUILD"; exit 1; }

MTU=1500 NICS=1 MIB=64 TIMEOUT="" KIMG=vmlinux CPUS=1 VERBOSE=0 KEEP="" AARGS="" STRICT=0 PCAP=0 KILLS=4
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d'; }
while getopts hm:n:s:t:k:c:a:SvK:pR: o; do
	case $o in
	m) MTU=$OPTARG ;;
	n) NICS=$OPTARG ;;
	s) MIB=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	k) KIMG=$OPTARG ;;
	c) CPUS=$OPTARG ;;
	a) AARGS=$OPTARG ;;
	S) STRICT=1 ;;
	p) PCAP=1 ;;
	R) KILLS=$OPTARG ;;
	v) VERBOSE=1 ;;
	K) KEEP=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: run.sh [options] WORKLOAD[,WORKLOAD...]"; exit 2; }
WORKLOADS=$1
NW=$(echo "$WORKLOADS" | tr , '\n' | grep -c .)
: "${TIMEOUT:=$((120 + 120 * NW))}"

if [ ! -c /dev/net/tun ]; then
	echo "SKIP: /dev/net/tun is missing: qemu cannot get a tap interface here"
	exit 77
fi
[ -x "$B/aoede" ] || { echo "run: $B/aoede is not built"; exit 1; }
getent passwd aoede-netd >/dev/null || sh "$TOP/tests/lib/users.sh" || exit 1

CACHE=$(sh "$HERE/prepare.sh") || { echo "run: prepare.sh failed"; exit 1; }
case $KIMG in
vmlinux) KERNEL=$CACHE/kernel/vmlinux; [ -f "$KERNEL" ] || KERNEL=$CACHE/kernel/vmlinuz ;;
bzimage) KERNEL=$CACHE/kernel/vmlinuz ;;
*) echo "run: -k vmlinux|bzimage"; exit 2 ;;
esac
INITRD=$CACHE/initrd.cpio.gz

NS=aoedevm$$
WORK=$(mktemp -d /tmp/aoede-vm.XXXXXX)
QEMU_PID="" AOEDE_PID="" TAIL_PID="" DUMP_PIDS="" FREEZE_PID=""

cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	[ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null
	[ -n "$FREEZE_PID" ] && kill "$FREEZE_PID" 2>/dev/null && wait "$FREEZE_PID" 2>/dev/null
	for p in $DUMP_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "$QEMU_PID" ] && kill -9 "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
	[ -n "$AOEDE_PID" ] && kill -9 "$AOEDE_PID" 2>/dev/null && wait "$AOEDE_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		if [ "$VERBOSE" -eq 0 ] && [ -f "$WORK/console.log" ]; then
			echo "--- guest console (last 60 lines)"; tail -60 "$WORK/console.log"
		fi
		if [ -f "$WORK/aoede.log" ]; then
			echo "--- aoede log (last 30 lines)"; tail -30 "$WORK/aoede.log"
		fi
	fi
	if [ -n "$KEEP" ]; then
		mkdir -p "$KEEP" && cp "$WORK"/*.log "$WORK"/*.pcap "$KEEP/" 2>/dev/null
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() { echo "FAIL: $*"; exit 1; }
ns() { ip netns exec "$NS" "$@"; }
elapsed() { echo $(( $(date +%s) - START )); }
START=$(date +%s)

# --- the network: tap0 and the target's veth peers on one bridge
ip netns add "$NS" || fail "ip netns add"
ns ip link set lo up
ns ip link add br0 type bridge || fail "bridge"
ns ip tuntap add tap0 mode tap || fail "tap"
ns ip link set tap0 mtu "$MTU" master br0 up || fail "tap0 mtu $MTU"
i=0
while [ "$i" -lt "$NICS" ]; do
	ns ip link add "t$i" type veth peer name "b$i" || fail "veth"
	ns ip link set "b$i" mtu "$MTU" master br0 up || fail "b$i"
	ns ip link set "t$i" mtu "$MTU" up || fail "t$i"
	NICLIST="${NICLIST:-} t$i"
	i=$((i + 1))
done
ns ip link set br0 mtu "$MTU" up || fail "br0"

if [ "$PCAP" -eq 1 ]; then
	command -v tcpdump >/dev/null || fail "-p needs tcpdump"
	for ifc in tap0 $NICLIST; do
		# a simple command, so that $! is tcpdump itself (ip netns exec execs it)
		: > "$WORK/tcpdump.$ifc.log"
		ip netns exec "$NS" tcpdump -i "$ifc" -s 64 -U -w "$WORK/$ifc.pcap" \
		    ether proto 0x88a2 < /dev/null > /dev/null 2> "$WORK/tcpdump.$ifc.log" &
		DUMP_PIDS="$DUMP_PIDS $!"
		i=0
		until grep -q listening "$WORK/tcpdump.$ifc.log"; do
			i=$((i + 1)); [ "$i" -gt 50 ] && fail "tcpdump on $ifc"; sleep 0.1
		done
	done
fi

# --- the export
SIZE=$((MIB * 1048576))
truncate -s "$SIZE" "$WORK/img"
FREEZE=0 SHADOW=$WORK/shadow
case ",$WORKLOADS," in *,freeze,*|*,freezefs,*) FREEZE=1; AARGS="-f $SHADOW $AARGS" ;; esac
# shellcheck disable=SC2086
ip netns exec "$NS" "$B/aoede" -S "$WORK/ctl.sock" -D "$WORK/state" $AARGS 7 3 $NICLIST \
    "$WORK/img" 2> "$WORK/aoede.log" &
AOEDE_PID=$!
i=0
while ! grep -q serving "$WORK/aoede.log" 2>/dev/null; do
	kill -0 "$AOEDE_PID" 2>/dev/null || { AOEDE_PID=""; fail "aoede exited during start-up"; }
	i=$((i + 1))
	[ "$i" -gt 100 ] && fail "aoede did not start within 10 s"
	sleep 0.1
done

# --- aoede's side of the wire (-p): every ATA request tag answered, at most
# as often as it was asked, on the port it came in on; WIRE_DUP counts the tags
# sent twice and answered once
WIRE_DUP=0
wire_check() {	# [report]
	mode=${1:-check}
	for p in $DUMP_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	DUMP_PIDS=""
	for ifc in $NICLIST; do
		r=$(tcpdump -r "$WORK/$ifc.pcap" -nn -v 2>/dev/null | awk '
		    /Flags: \[/ { r = /Response/; next }
		    /Command: Issue ATA Command/ {
		        for (i = 1; i <= NF; i++) if ($i == "Tag:") t = $(i + 1)
		        if (r) { rsp[t]++; nr++ } else { req[t]++; nq++ } }
		    END { for (t in req) if (rsp[t] + 0 == 0) miss++; else if (rsp[t] > req[t]) bad++
		              else if (rsp[t] < req[t]) dup++
		          for (t in rsp) if (!(t in req)) bad++
		          print nq + 0, nr + 0, miss + 0, bad + 0, dup + 0 }')
		set -- $r
		# a tag sent twice (the driver put a retransmission's tag on the first
		# copy too, docs/testing-kernel.md) while the write still ran is
		# answered once: aoede drops the copy (duplicate window, docs/extensions.md)
		echo "host: $ifc carried $1 ATA requests and $2 responses;" \
		    "$3 tags unanswered, $4 answered too often or unasked," \
		    "$5 sent twice and answered once"
		WIRE_DUP=$((WIRE_DUP + $5))
		[ "$mode" = report ] && continue	# in flight when the guest stopped
		[ "$1" -gt 0 ] && [ "$4" -eq 0 ] || fail "aoede answered requests on $ifc more than once"
		[ "$3" -eq 0 ] || [ "$KILLS" -gt 0 ] || fail "aoede left requests on $ifc unanswered"
	done
}

# --- the guest
SEED=$(( ($(date +%s) + $$) % 1000000 + 1 ))
PAYLOAD=$(( (MTU - 36) / 512 * 512 ))
APPEND="console=ttyS0 quiet panic=-1 aoede.workloads=$WORKLOADS aoede.dev=e7.3"
APPEND="$APPEND aoede.size=$SIZE aoede.seed=$SEED aoede.mtu=$MTU aoede.payload=$PAYLOAD"
APPEND="$APPEND aoede.targets=$NICS aoede.strict=$STRICT"
: > "$WORK/console.log"
# the host's words to the guest: qemu reads host.in into the guest's ttyS1
# (and writes what the guest sends there, nothing, into host.out)
mkfifo "$WORK/host.in" "$WORK/host.out" || fail "mkfifo"
ip netns exec "$NS" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp "$CPUS" -m 512 \
    -display none -monitor none -serial "file:$WORK/console.log" \
    -serial "pipe:$WORK/host" -no-reboot \
    -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
    -netdev "tap,id=n0,ifname=tap0,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=n0,mac=52:54:00:a0:e0:01,host_mtu=$MTU" \
    </dev/null > "$WORK/qemu.log" 2>&1 &
QEMU_PID=$!
[ "$VERBOSE" -eq 1 ] && { tail -f "$WORK/console.log" & TAIL_PID=$!; }

# pid of a child of aoede: netd on t0 or blockd
child_pid() {
	for p in $(pgrep -P "$AOEDE_PID"); do
		if tr '\0' ' ' < "/proc/$p/cmdline" | grep -q "$1"; then
			echo "$p"; return 0
		fi
	done
	return 1
}
case ",$WORKLOADS," in *,restarts,*) ;; *) KILLS=0 ;; esac

# --- the freeze workloads' host side, in the background: freeze the export
# while the guest writes, check the image does not change, unfreeze, wait
# for the merge, and tell the guest (ttyS1) when to change what it writes
ctl() { "$B/aoectl" -S "$WORK/ctl.sock" "$@"; }
tell() { echo "$1" > "$WORK/host.in"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
image_sum() { md5sum < "$WORK/img" | cut -d' ' -f1; }
stat_field() {	# FIELD: of e7.3 in aoectl --json stats
	ctl --json stats e7.3 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["exports"][0][sys.argv[1]])' "$1" 2>/dev/null
}
guest_said() {	# WORKLOAD REGEX: how many lines "aoede-vm: WORKLOAD: REGEX..." so far
	tr -d '\r' < "$WORK/console.log" | grep -c "^aoede-vm: $1: $2"
}
hfail() { echo "host: $W: FAIL: $*"; tell abort; exit 1; }
guest_alive() { kill -0 "$QEMU_PID" 2>/dev/null || hfail "the guest ended $1"; }
host_freeze() {	# once the guest said "W: start": freeze; sets SUM0 T1
	until [ "$(guest_said "$W" start)" -gt 0 ]; do guest_alive "before $W started"; sleep 0.5; done
	sleep 2	# the guest's writers are busy now
	t0=$(now_ms)
	ctl freeze e7.3 > "$WORK/freeze.out" 2>&1 || hfail "aoectl freeze: $(cat "$WORK/freeze.out")"
	T1=$(now_ms)
	echo "$W $((T1 - t0))" >> "$WORK/freeze.ms"
	grep -q 'e7.3 frozen: the image no longer changes' "$WORK/freeze.out" ||
	    hfail "aoectl freeze said: $(cat "$WORK/freeze.out")"
	echo "host: $W: froze e7.3 under the guest's writes in $((T1 - t0)) ms (aoectl to reply):" \
	    "$(cat "$WORK/freeze.out")"
	SUM0=$(image_sum)
	[ -f "$SHADOW/e7.3.shadow" ] && [ -f "$SHADOW/e7.3.map" ] || hfail "no shadow files while frozen"
	CHECKS=0
}
host_check_frozen() {	# the image as at the freeze, stats say frozen
	[ "$(image_sum)" = "$SUM0" ] || hfail "the image changed while frozen (check $((CHECKS + 1)))"
	st=$(stat_field freeze)
	[ "$st" = frozen ] || hfail "stats says $st while frozen"
	CHECKS=$((CHECKS + 1))
}
host_thaw() {	# unfreeze, wait for "thawed", the shadow directory empty
	t2=$(now_ms)
	echo "host: $W: the image stayed identical for $(( (t2 - T1) / 1000 )) s ($CHECKS checksums)" \
	    "while the guest wrote; the shadow holds $(stat_field shadow_bytes) bytes"
	ctl unfreeze e7.3 > "$WORK/freeze.out" 2>&1 || hfail "aoectl unfreeze: $(cat "$WORK/freeze.out")"
	echo "host: $W: $(cat "$WORK/freeze.out")"
	until [ "$(stat_field freeze)" = thawed ]; do
		guest_alive "while merging"
		[ $(( $(now_ms) - t2 )) -lt 600000 ] || hfail "not thawed 600 s after unfreeze"
		sleep 1
	done
	t3=$(now_ms)
	[ -z "$(ls -A "$SHADOW")" ] || hfail "shadow files left once thawed: $(ls "$SHADOW")"
	echo "host: $W: thawed within $(( (t3 - t2 + 999) / 1000 )) s of the unfreeze;" \
	    "the shadow directory is empty"
}
# freeze: while the guest writes whole passes; frozen for two more whole
# passes and 5 s at least, then one more (A, "last") that only the merge
# brings into the image; unfreeze while the guest writes half B; "thawed"
host_freeze_data() {
	p0=$(guest_said freeze 'pass .* whole done')
	host_freeze
	said_last=0
	while [ "$(guest_said freeze 'pass .* A done')" -eq 0 ]; do
		guest_alive "while frozen"
		host_check_frozen
		if [ "$said_last" -eq 0 ] && [ "$(guest_said freeze 'pass .* whole done')" -ge $((p0 + 2)) ] &&
		    [ $(( $(now_ms) - T1 )) -ge 5000 ]; then
			tell last
			said_last=1
		fi
		sleep 2	# a checksum every 2-3 s: the host's cores also run qemu and aoede
	done
	host_check_frozen
	echo "host: freeze: the guest finished $(( $(guest_said freeze 'pass .* whole done') - p0 ))" \
	    "whole passes since the freeze (the first began before it)"
	host_thaw
	tell thawed
}
# What an operator does with a frozen image: copy it, and the copy is a file
# system.  Taken while the guest writes, it is crash-consistent: e2fsck -fy
# replays the journal (exit 0 or 1), after which e2fsck -fn must find it
# clean.
host_fsck_frozen_copy() {
	cp --sparse=always "$WORK/img" "$WORK/frozen.img" || hfail "copying the frozen image"
	[ "$(md5sum < "$WORK/frozen.img" | cut -d' ' -f1)" = "$SUM0" ] ||
	    hfail "the copy differs from the image as frozen"
	e2fsck -fy "$WORK/frozen.img" > "$WORK/fsck.frozen" 2>&1
	rc=$?
	[ "$rc" -le 1 ] || { cat "$WORK/fsck.frozen"; hfail "e2fsck -fy of the frozen copy: exit $rc"; }
	e2fsck -fn "$WORK/frozen.img" > "$WORK/fsck.frozen" 2>&1 ||
	    { cat "$WORK/fsck.frozen"; hfail "the frozen copy is not clean after journal recovery"; }
	echo "host: freezefs: the image copied while frozen is a clean ext4 (e2fsck -fy exit $rc" \
	    "(journal recovery), then -fn clean)"
	rm -f "$WORK/frozen.img"
}
# freezefs: while the guest writes files on ext4; frozen until it has
# written and synced its files and 5 s at least; "fs-thawed" after the merge
host_freeze_fs() {
	host_freeze
	host_fsck_frozen_copy
	tell fs-frozen
	while [ "$(guest_said freezefs written)" -eq 0 ] || [ $(( $(now_ms) - T1 )) -lt 5000 ]; do
		guest_alive "while frozen"
		host_check_frozen
		sleep 2
	done
	host_check_frozen
	host_thaw
	tell fs-thawed
}
freeze_host() {
	trap - EXIT INT TERM HUP
	for W in $(echo "$WORKLOADS" | tr , ' '); do
		case $W in
		freeze) host_freeze_data ;;
		freezefs) host_freeze_fs ;;
		esac
	done
	exit 0
}
if [ "$FREEZE" -eq 1 ]; then
	freeze_host &
	FREEZE_PID=$!
fi
killed=0 next_kill=""
while kill -0 "$QEMU_PID" 2>/dev/null; do
	if [ "$killed" -lt "$KILLS" ]; then
		if [ -z "$next_kill" ]; then
			grep -q 'restarts: start' "$WORK/console.log" && next_kill=$(( $(elapsed) + 1 ))
		elif [ "$(elapsed)" -ge "$next_kill" ]; then
			if [ $((killed % 2)) -eq 0 ]; then who="aoede-netd -n t0 "; else who=aoede-blockd; fi
			if p=$(child_pid "$who"); then
				kill -9 "$p"
				echo "host: killed ${who% } (pid $p) at $(elapsed)s"
				killed=$((killed + 1))
				next_kill=$(( $(elapsed) + 3 ))
			fi
		fi
	fi
	if [ "$(elapsed)" -ge "$TIMEOUT" ]; then
		grep -a '^AOEDE-VERDICT' "$WORK/console.log"
		# was a request left unanswered, or did the guest stop asking?
		[ "$PCAP" -eq 1 ] && wire_check report
		fail "timeout: the guest did not finish within ${TIMEOUT}s"
	fi
	sleep 1
done
wait "$QEMU_PID"
qrc=$?
QEMU_PID=""
[ -n "$TAIL_PID" ] && { sleep 0.2; kill "$TAIL_PID" 2>/dev/null; TAIL_PID=""; }
[ "$qrc" -eq 0 ] || { cat "$WORK/qemu.log"; fail "qemu exited with status $qrc"; }
[ "$killed" -eq "$KILLS" ] || fail "killed only $killed of $KILLS children: the workload ended first"
if [ -n "$FREEZE_PID" ]; then
	wait "$FREEZE_PID" || { FREEZE_PID=""; fail "the host's side of the freeze workload failed"; }
	FREEZE_PID=""
fi
BOOT_END=$(elapsed)

for p in $DUMP_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
DUMP_PIDS=""

# aoede must stop cleanly too
kill -TERM "$AOEDE_PID"
wait "$AOEDE_PID"
arc=$?
AOEDE_PID=""
[ "$arc" -eq 0 ] || fail "aoede exited with status $arc on SIGTERM"

# --- verdicts: one PASS per workload, in order, no FAIL
[ "$VERBOSE" -eq 1 ] || grep -a -E '^(aoede-vm|AOEDE-)' "$WORK/console.log" | tr -d '\r'
tr -d '\r' < "$WORK/console.log" > "$WORK/console.txt"
grep -q '^AOEDE-DONE' "$WORK/console.txt" || fail "the guest did not finish its workloads"
grep -q '^AOEDE-VERDICT: FAIL' "$WORK/console.txt" && fail "a workload failed in the guest"
for w in $(echo "$WORKLOADS" | tr , ' '); do
	grep -q "^AOEDE-VERDICT: PASS $w " "$WORK/console.txt" || fail "no verdict for $w"
done

# retransmissions the guest could not match with a late reply (the guest
# leaves them to the host): the capture must show aoede answered every tag
un=$(awk '/^AOEDE-UNANSWERED:/ { n += $3 } END { print n + 0 }' "$WORK/console.txt")
if [ "$un" -gt 0 ] && [ "$PCAP" -eq 0 ]; then
	fail "$un retransmissions without a late reply: run with -p to tell whether aoede answered"
fi
if [ "$PCAP" -eq 1 ]; then wire_check; fi
[ "$un" -le "$WIRE_DUP" ] || [ "$un" -eq 0 ] ||
    fail "$un retransmissions without a late reply, but only $WIRE_DUP tags went out twice"
[ "$un" -gt 0 ] && echo "host: $un retransmissions without a late reply in the guest, and the" \
    "capture shows aoede answered every tag ($WIRE_DUP went out twice and were answered" \
    "once: a copy of a write still running is dropped, docs/extensions.md)"

# --- the host's view of the image: what the guest said it must hold
last=$(grep '^AOEDE-IMAGE:' "$WORK/console.txt" | tail -1)
set -- $last
case ${2:-} in
pattern)
	[ "$3" = "$SEED" ] || fail "the guest wrote seed $3, the host chose $SEED"
	[ "$4" -eq $((SIZE / 512)) ] || fail "the guest wrote $4 sectors of $((SIZE / 512))"
	"$CACHE/aoeio" verify "$WORK/img" "$SEED" 0 "$4" 1048576 ||
	    fail "the image does not hold the pattern the guest wrote"
	echo "host: the image holds the guest's pattern (seed $SEED, $4 sectors)"
	;;
ranges)	# N SEED:START:COUNT ...: the ranges cover 0..N, each holds its seed's pattern
	[ "$3" -eq $((SIZE / 512)) ] || fail "the guest wrote $3 sectors of $((SIZE / 512))"
	n=$3 next=0
	shift 3
	for r in "$@"; do
		seed=${r%%:*} start=${r#*:}
		count=${start#*:} start=${start%%:*}
		[ "$start" -eq "$next" ] || fail "the guest's ranges leave a gap at sector $next"
		[ "$seed" -gt "$SEED" ] || fail "seed $seed: the guest's seeds are above $SEED"
		"$CACHE/aoeio" verify "$WORK/img" "$seed" "$start" "$count" 1048576 ||
		    fail "sectors $start..$((start + count - 1)) do not hold seed $seed's pattern"
		echo "host: sectors $start..$((start + count - 1)) of the image hold seed $seed's pattern"
		next=$((start + count))
	done
	[ "$next" -eq "$n" ] || fail "the guest's ranges end at sector $next of $n"
	;;
zero)
	cmp -n "$SIZE" "$WORK/img" /dev/zero || fail "the read-only export's image changed"
	echo "host: the image is still all zeros"
	;;
fs)
	e2fsck -fn "$WORK/img" > "$WORK/fsck" 2>&1 || { cat "$WORK/fsck"; fail "host e2fsck -fn"; }
	debugfs -R "cat /SUMS" "$WORK/img" 2>/dev/null > "$WORK/sums"
	[ "$(wc -l < "$WORK/sums")" -ge 300 ] || fail "host: /SUMS has $(wc -l < "$WORK/sums") lines"
	n=0
	for f in $(awk 'NR % 37 == 1 { print $2 }' "$WORK/sums"); do
		debugfs -R "dump ${f#.} $WORK/f" "$WORK/img" 2>/dev/null
		want=$(awk -v f="$f" '$2 == f { print $1 }' "$WORK/sums")
		[ "$(sha256sum < "$WORK/f" | cut -d' ' -f1)" = "$want" ] || fail "host: $f differs"
		n=$((n + 1))
	done
	echo "host: e2fsck -fn clean, $n files match the guest's checksums"
	;;
esac
if [ "$FREEZE" -eq 1 ]; then
	[ -z "$(ls -A "$SHADOW")" ] || fail "shadow files left after aoede stopped: $(ls "$SHADOW")"
	echo "host: the shadow directory is empty; freeze latency with the kernel initiator:" \
	    "$(awk '{ printf "%s%s %s ms", (NR > 1 ? ", " : ""), $1, $2 }' "$WORK/freeze.ms")"
fi
rx=$(awk '/^AOEDE-RETRANSMITS:/ { n += $3 } END { print n + 0 }' "$WORK/console.txt")
echo "PASS: $WORKLOADS (mtu $MTU, $NICS target NIC(s), ${MIB} MiB) in $(elapsed)s (guest ${BOOT_END}s), $rx retransmissions"
exit 0
