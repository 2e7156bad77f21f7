#!/bin/sh
# AoEde side by side with Debian's vblade and the ideal reflector target.
#
# Every target runs at once in one private network namespace, each on its
# own veth pair (an idle target never sees another's traffic); aoebench runs
# in a second namespace.  For each point of the matrix
#   {seqread, seqwrite, randread, randwrite} x {QD 1, 16, 64} x {MTU 9000, 1500}
# each target is measured in turn (A, B, C, ... then again for the next
# round), the best round is kept.  Beside aoebench's figures, each run
# records the CPU time the target's processes used (utime + stime from
# /proc/PID/stat; for AoEde the supervisor and all its children) and the
# whole machine's busy time (/proc/stat).
#
# Writes bench/results.json (every run and the best of each point) and
# bench/results.md (bench/report.py).  Needs root, ip(8), taskset, python3,
# vblade, and the build (make build/aoede build/aoede-netd
# build/aoede-blockd build/aoebench build/aoe-reflector).
#
# Knobs (environment):
#   BENCH_QUICK=1        about 3 minutes: QD 1 and 16, one round of 1 s
#   BENCH_DISK=1         images on disk (BENCH_DIR, default /var/tmp) instead
#                        of a tmpfs this script mounts
#   BENCH_SECONDS        length of one run (default 2, quick 1)
#   BENCH_ROUNDS         rounds per point, best kept (default 3, quick 1)
#   BENCH_MTUS           default "9000 1500"
#   BENCH_QDS            default "1 16 64" (quick "1 16")
#   BENCH_WORKLOADS      default "seqread seqwrite randread randwrite"; also
#                        randmix (random 4 KiB, 70 % reads, 30 % writes)
#   BENCH_TARGETS        default "aoede-w vblade aoede-s vblade-s reflector"
#   BENCH_SEQ_BS         bytes per sequential request (default 131072)
#   BENCH_RAND_BS        bytes per random request (default 4096)
#   BENCH_IMAGE_MB       image size (default 1024)
#   BENCH_BUFCNT         Buffer Count of every target (default 64; vblade's
#                        own default of 16 caps the window at MTU 1500)
#   BENCH_PIN_QD1        "INITIATOR_CPU TARGET_CPU" at QD 1 (default "1 1":
#                        one CPU for both, see docs/performance.md;
#                        empty: never pin).  Other depths are not pinned.
#   BENCH_PIN            "INITIATOR_CPU TARGET_CPUS" at the other depths
#                        (default "0 1": each target gets CPU 1 to itself,
#                        aoebench CPU 0, as two hosts on a LAN would have;
#                        see docs/performance.md; empty: not pinned)
#   BENCH_OUT            where results.{json,md} go (default bench)
#   AOEDE_BUILD          the build directory (default build)
#   BENCH_VARIANTS_DIR   where other builds of AoEde live (default
#                        $AOEDE_BUILD/variants): a target "aoede-w+NAME" or
#                        "aoede-s+NAME" runs the aoede in BENCH_VARIANTS_DIR/
#                        NAME (e.g. make B=build/variants/NAME CFLAGS=...),
#                        to measure a change against its baseline in one run
set -u

B=$(cd "${AOEDE_BUILD:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${BENCH_OUT:-$HERE}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	SECS=${BENCH_SECONDS:-1}
	ROUNDS=${BENCH_ROUNDS:-1}
	QDS=${BENCH_QDS:-"1 16"}
else
	SECS=${BENCH_SECONDS:-2}
	ROUNDS=${BENCH_ROUNDS:-3}
	QDS=${BENCH_QDS:-"1 16 64"}
fi
MTUS=${BENCH_MTUS:-"9000 1500"}
WORKLOADS=${BENCH_WORKLOADS:-"seqread seqwrite randread randwrite"}
TARGETS=${BENCH_TARGETS:-"aoede-w vblade aoede-s vblade-s reflector"}
SEQ_BS=${BENCH_SEQ_BS:-131072}
RAND_BS=${BENCH_RAND_BS:-4096}
IMAGE_MB=${BENCH_IMAGE_MB:-1024}
VARIANTS_DIR=${BENCH_VARIANTS_DIR:-$B/variants}
BUFCNT=${BENCH_BUFCNT:-64}
PIN_QD1=${BENCH_PIN_QD1-"1 1"}
PIN_QDN=${BENCH_PIN-"0 1"}
DISK=${BENCH_DISK:-0}
VBLADE=${VBLADE:-/usr/sbin/vblade}
NCPU=$(nproc)
SHELF=9
SECTORS=$((IMAGE_MB * 2048))

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, AF_PACKET)"
for p in aoede aoede-netd aoede-blockd aoebench aoe-reflector aoe-switchcost; do
	[ -x "$B/$p" ] || die "$B/$p not built"
done
[ -x "$VBLADE" ] || die "$VBLADE missing (apt-get install vblade)"
for c in ip taskset python3; do
	command -v "$c" >/dev/null 2>&1 || die "$c missing"
done
sh "$HERE/../tests/lib/users.sh" || die "the aoede users are missing"

ID=$$
NS_T=aoebencht$ID
NS_I=aoebenchi$ID
WORK=$(mktemp -d /tmp/aoede-bench.XXXXXX)
MNT=
IMGDIR=
TPIDS=""		# "name:pid" of every running target

cleanup() {
	rc=$?
	for tp in $TPIDS; do kill -TERM "${tp#*:}" 2>/dev/null; done
	sleep 0.3
	for tp in $TPIDS; do kill -KILL "${tp#*:}" 2>/dev/null; done
	ip netns del "$NS_T" 2>/dev/null
	ip netns del "$NS_I" 2>/dev/null
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	[ -n "$IMGDIR" ] && [ "$DISK" = 1 ] && rm -rf "$IMGDIR"
	if [ "$rc" -ne 0 ]; then
		for f in "$WORK"/*.log; do
			[ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
		done
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- where the images live -----------------------------------------------
if [ "$DISK" = 1 ]; then
	IMGDIR=$(mktemp -d "${BENCH_DIR:-/var/tmp}/aoede-bench.XXXXXX")
	STORE="disk ($(df -T "$IMGDIR" | awk 'NR == 2 { print $2 " on " $1 }'))"
else
	MNT=$WORK/tmpfs
	mkdir "$MNT"
	mount -t tmpfs -o size=$(( (IMAGE_MB + 16) * 4 ))m aoede-bench "$MNT" ||
	    die "mount tmpfs"
	IMGDIR=$MNT
	STORE="tmpfs"
fi

# --- the network ------------------------------------------------------------
# target k listens on tK (namespace NS_T), aoebench talks to it on iK
ip netns add "$NS_T" || die "ip netns add"
ip netns add "$NS_I" || die "ip netns add"
k=0
for t in $TARGETS; do
	ip link add "t$k" netns "$NS_T" type veth peer name "i$k" netns "$NS_I" ||
	    die "veth"
	k=$((k + 1))
done
ip -n "$NS_T" link set lo up
ip -n "$NS_I" link set lo up

set_mtu() {
	k=0
	for t in $TARGETS; do
		ip -n "$NS_T" link set "t$k" down
		ip -n "$NS_I" link set "i$k" down
		ip -n "$NS_T" link set "t$k" mtu "$1" up
		ip -n "$NS_I" link set "i$k" mtu "$1" up
		k=$((k + 1))
	done
}

# --- targets ------------------------------------------------------------------
# target_start NAME K: slot K + 1 on tK; appends to TPIDS.  ip netns exec
# execs its command, so $! is the target's own pid.
target_start() {
	name=$1 k=$2 slot=$(($2 + 1)) img=$IMGDIR/$1.img log=$WORK/$1.log
	case $name in
	reflector)
		ip netns exec "$NS_T" "$B/aoe-reflector" -b "$BUFCNT" "t$k" \
		    $SHELF $slot $SECTORS 2>"$log" &
		;;
	aoede-w|aoede-s|aoede-w+*|aoede-s+*)
		mode=-w bin=$B
		case $name in aoede-s*) mode=-s ;; esac
		case $name in *+*) bin=$VARIANTS_DIR/${name#*+} ;; esac
		[ -x "$bin/aoede" ] || die "$bin/aoede not built"
		ip netns exec "$NS_T" "$bin/aoede" $mode -b "$BUFCNT" \
		    -S "$WORK/$name.sock" $SHELF $slot "t$k" "$img" 2>"$log" &
		;;
	vblade|vblade-s)
		sync=
		[ "$name" = vblade-s ] && sync=-s
		ip netns exec "$NS_T" "$VBLADE" $sync -b "$BUFCNT" $SHELF $slot \
		    "t$k" "$img" >"$log" 2>&1 &
		;;
	*)
		die "unknown target $name"
		;;
	esac
	TPIDS="$TPIDS $name:$!"
}

target_pid() {	# NAME
	for tp in $TPIDS; do
		[ "${tp%%:*}" = "$1" ] && { echo "${tp#*:}"; return; }
	done
}

# the target's processes: its own pid and its children (aoede's netd, blockd)
target_pids() {	# NAME
	p=$(target_pid "$1")
	echo "$p" $(pgrep -P "$p")
}

# CPU ticks of the target's processes, reaped children included
target_ticks() {	# NAME
	sum=0
	for p in $(target_pids "$1"); do
		t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null |
		    awk '{ print $12 + $13 + $14 + $15 }')
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

# busy ticks of the whole machine (all CPUs): everything but idle and iowait
sys_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

target_pin() {	# NAME CPULIST
	for p in $(target_pids "$1"); do
		taskset -a -p -c "$2" "$p" >/dev/null 2>&1
	done
}

targets_start() {
	TPIDS=""
	k=0
	for t in $TARGETS; do
		if [ "$t" != reflector ] && [ ! -f "$IMGDIR/$t.img" ]; then
			# written, not sparse: reads come from real pages
			dd if=/dev/zero of="$IMGDIR/$t.img" bs=1M count="$IMAGE_MB" \
			    conv=fsync status=none || die "image $t"
		fi
		target_start "$t" $k
		k=$((k + 1))
	done
	# each must answer IDENTIFY before the clock starts
	k=0
	for t in $TARGETS; do
		ip netns exec "$NS_I" "$B/aoebench" -i "i$k" -s $SHELF -l $((k + 1)) \
		    -D 15 -w 100 identify >/dev/null 2>"$WORK/identify.$t.log" ||
		    die "$t does not answer IDENTIFY"
		k=$((k + 1))
	done
}

targets_stop() {
	for tp in $TPIDS; do kill -TERM "${tp#*:}" 2>/dev/null; done
	for tp in $TPIDS; do wait "${tp#*:}" 2>/dev/null; done
	TPIDS=""
}

# --- one run ------------------------------------------------------------------
workload_args() {	# WORKLOAD
	case $1 in
	seqread)	echo "-b $SEQ_BS read" ;;
	seqwrite)	echo "-b $SEQ_BS -f write" ;;
	randread)	echo "-r -b $RAND_BS read" ;;
	randwrite)	echo "-r -b $RAND_BS -f write" ;;
	randmix)	echo "-r -b $RAND_BS -R 70 -f mix" ;;
	*)		die "unknown workload $1" ;;
	esac
}

run_one() {	# TARGET K MTU WORKLOAD QD ROUND
	t=$1 k=$2 mtu=$3 wl=$4 qd=$5 round=$6
	pin=""
	if [ "$qd" = 1 ] && [ -n "$PIN_QD1" ]; then
		set -- $PIN_QD1
		pin="-x $1"
		target_pin "$t" "$2"
	elif [ "$qd" != 1 ] && [ -n "$PIN_QDN" ]; then
		set -- $PIN_QDN
		pin="-x $1"
		target_pin "$t" "$2"
	else
		target_pin "$t" "0-$((NCPU - 1))"
	fi
	c0=$(target_ticks "$t")
	s0=$(sys_ticks)
	# shellcheck disable=SC2046
	ip netns exec "$NS_I" "$B/aoebench" -i "i$k" -s $SHELF -l $((k + 1)) \
	    -q "$qd" -t "$SECS" -D 10 -j $pin $(workload_args "$wl") \
	    >"$WORK/run.json" 2>"$WORK/run.err"
	rc=$?
	c1=$(target_ticks "$t")
	s1=$(sys_ticks)
	if [ ! -s "$WORK/run.json" ]; then
		echo "bench: $t $wl qd$qd mtu$mtu: no result (exit $rc):" \
		    "$(tail -n 1 "$WORK/run.err")" >&2
		echo '{}' >"$WORK/run.json"
	fi
	printf '{"target":"%s","mtu":%s,"workload":"%s","qd":%s,"round":%s,' \
	    "$t" "$mtu" "$wl" "$qd" "$round" >>"$WORK/runs.jsonl"
	printf '"exit":%s,"target_ticks":%s,"sys_ticks":%s,"result":%s}\n' \
	    "$rc" $((c1 - c0)) $((s1 - s0)) "$(cat "$WORK/run.json")" \
	    >>"$WORK/runs.jsonl"
	awk -v t="$t" -v w="$wl" -v q="$qd" -v m="$mtu" -v r="$round" \
	    -v c=$((c1 - c0)) 'BEGIN { RS = ","; FS = ":" }
	    $1 == "\"mbps\"" { mb = $2 } $1 == "\"iops\"" { io = $2 }
	    $1 == "\"lat_p50_us\"" { p50 = $2 }
	    END { printf "  mtu %-4s %-9s qd%-2s r%s %-9s %9.1f MB/s %8.0f IOPS p50 %5s us  cpu %s ticks\n",
	        m, w, q, r, t, mb, io, p50, c }' "$WORK/run.json"
}

# --- the matrix -----------------------------------------------------------------
# What a system call and a context switch cost on the QD 1 CPU: the bound of
# AoEde's QD 1 latency against a one-process target (bench/switchcost.c).
set -- ${PIN_QD1:-0 0}
SWITCHCOST=$("$B/aoe-switchcost" "$2") || die "aoe-switchcost failed"
{
	printf '{"date":"%s","host":"%s","nproc":%s,' "$(date -u +%FT%TZ)" \
	    "$(hostname)" "$NCPU"
	printf '"cpu":"%s","kernel":"%s",' \
	    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
	    "$(uname -r)"
	printf '"vblade":"%s","aoede_rev":"%s",' \
	    "$(dpkg-query -W -f='${Version}' vblade 2>/dev/null)" \
	    "$(git -C "$HERE/.." describe --always --dirty --abbrev=7 2>/dev/null)"
	printf '"store":"%s","seconds":%s,"rounds":%s,"seq_bs":%s,"rand_bs":%s,' \
	    "$STORE" "$SECS" "$ROUNDS" "$SEQ_BS" "$RAND_BS"
	printf '"image_mb":%s,"bufcnt":%s,"pin_qd1":"%s","pin_qdn":"%s",' \
	    "$IMAGE_MB" "$BUFCNT" "$PIN_QD1" "$PIN_QDN"
	printf '"switchcost":%s,' "$SWITCHCOST"
	printf '"quick":%s,"clk_tck":%s}\n' "$QUICK" "$(getconf CLK_TCK)"
} >"$WORK/meta.json"
: >"$WORK/runs.jsonl"

echo "bench: targets: $TARGETS; store: $STORE; $ROUNDS round(s) of $SECS s"
for mtu in $MTUS; do
	set_mtu "$mtu"
	targets_start
	echo "bench: MTU $mtu"
	for wl in $WORKLOADS; do
		for qd in $QDS; do
			r=1
			while [ "$r" -le "$ROUNDS" ]; do
				k=0
				for t in $TARGETS; do
					run_one "$t" $k "$mtu" "$wl" "$qd" $r
					k=$((k + 1))
				done
				r=$((r + 1))
			done
		done
	done
	targets_stop
done

mkdir -p "$OUT" || die "mkdir $OUT"
python3 "$HERE/report.py" --meta "$WORK/meta.json" --runs "$WORK/runs.jsonl" \
    --json "$OUT/results.json" --md "$OUT/results.md" || die "report"
echo "bench: wrote $OUT/results.md and $OUT/results.json"
