#!/bin/sh
# Boot Debian's kernel in qemu (software emulation is enough) and run
# workloads of tests/vm/init with the kernel's aoe driver against aoede.
#
#   sh tests/vm/run.sh [options] WORKLOAD[,WORKLOAD...]
#     workloads: discover data fs restarts readonly  (one boot, in this order)
#                restarts = data while the host kills aoede's children
#                readonly = writes fail at once with EIO (use with -a -r)
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
# Exit status: 0 when every workload printed PASS and the host's checks of
# the image agree, 77 when this machine cannot run the VM (no /dev/net/tun),
# 1 otherwise.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
: "${AOEDE_BUILD:=$TOP/build}"
B=$(cd "$AOEDE_BUILD" 2>/dev/null && pwd) || { echo "run: no build dir $AOEDE_BUILD"; exit 1; }

MTU=1500 NICS=1 MIB=64 TIMEOUT="" KIMG=vmlinux CPUS=1 VERBOSE=0 KEEP="" AARGS="" STRICT=0 PCAP=0 KILLS=4
while getopts m:n:s:t:k:c:a:SvK:pR: o; do
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
	*) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 2 ;;
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
QEMU_PID="" AOEDE_PID="" TAIL_PID="" DUMP_PIDS=""

cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	[ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null
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
# shellcheck disable=SC2086
ip netns exec "$NS" "$B/aoede" $AARGS 7 3 $NICLIST "$WORK/img" 2> "$WORK/aoede.log" &
AOEDE_PID=$!
i=0
while ! grep -q serving "$WORK/aoede.log" 2>/dev/null; do
	kill -0 "$AOEDE_PID" 2>/dev/null || { AOEDE_PID=""; fail "aoede exited during start-up"; }
	i=$((i + 1))
	[ "$i" -gt 100 ] && fail "aoede did not start within 10 s"
	sleep 0.1
done

# --- aoede's side of the wire (-p): every ATA request answered exactly once,
# on the port it came in on
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
		    END { for (t in req) if (rsp[t] + 0 < req[t]) miss++; else if (rsp[t] > req[t]) bad++
		          for (t in rsp) if (!(t in req)) bad++
		          print nq + 0, nr + 0, miss + 0, bad + 0 }')
		set -- $r
		echo "host: $ifc carried $1 ATA requests and $2 responses;" \
		    "$3 tags unanswered, $4 answered too often or unasked"
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
ip netns exec "$NS" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp "$CPUS" -m 512 \
    -display none -monitor none -serial "file:$WORK/console.log" -no-reboot \
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

if [ "$PCAP" -eq 1 ]; then wire_check; fi

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
rx=$(awk '/^AOEDE-RETRANSMITS:/ { n += $3 } END { print n + 0 }' "$WORK/console.txt")
echo "PASS: $WORKLOADS (mtu $MTU, $NICS target NIC(s), ${MIB} MiB) in $(elapsed)s (guest ${BOOT_END}s), $rx retransmissions"
exit 0
