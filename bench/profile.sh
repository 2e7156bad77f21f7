#!/bin/sh
# Where a target spends its time, for one point of the benchmark matrix:
# context switches and system calls per request of each of its processes,
# and a perf profile (software clock; this VM has no hardware counters).
#
#   bench/profile.sh TARGET MTU AOEBENCH-ARGS...
#   e.g. bench/profile.sh aoede-w 9000 -q 16 -r -b 4096 read
#
# TARGET: aoede-w, aoede-s, vblade, vblade-s, reflector.  The run is done
# three times: plain (context switches from /proc/PID/status), under
# strace -c -f (system calls; strace slows the target, count only), and
# under perf record -a -g (BENCH_PERF=0 skips it).  Output in
# bench/profile/TARGET-MTU-ARGS.txt and printed.
# Knobs: BENCH_SECONDS (default 3), BENCH_PIN ("INITIATOR TARGET" CPUs,
# default "1 1" at -q 1, none otherwise), AOEDE_BUILD, BENCH_PERF_KEEP (a
# path to keep perf.data at, for perf report -g).
set -u

[ $# -ge 3 ] || { echo "usage: $0 TARGET MTU AOEBENCH-ARGS..." >&2; exit 2; }
T=$1 MTU=$2
shift 2
B=$(cd "${AOEDE_BUILD:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SECS=${BENCH_SECONDS:-3}
case " $* " in
*" -q 1 "*)	PIN=${BENCH_PIN-"1 1"} ;;
*)		PIN=${BENCH_PIN-""} ;;
esac
ID=$$
NS_T=aoeproft$ID
NS_I=aoeprofi$ID
WORK=$(mktemp -d /tmp/aoede-prof.XXXXXX)
TPID=
NAME=$(echo "$T-$MTU-$*" | tr -c 'A-Za-z0-9_.-' '_' | sed 's/_*$//')
mkdir -p "$HERE/profile"
OUTF=$HERE/profile/$NAME.txt

cleanup() {
	[ -n "$TPID" ] && kill -TERM "$TPID" 2>/dev/null && sleep 0.3 &&
	    kill -KILL "$TPID" 2>/dev/null
	ip netns del "$NS_T" 2>/dev/null
	ip netns del "$NS_I" 2>/dev/null
	umount "$WORK/tmpfs" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

sh "$HERE/../tests/lib/users.sh" || exit 1
ip netns add "$NS_T" && ip netns add "$NS_I" || exit 1
ip link add t0 netns "$NS_T" type veth peer name i0 netns "$NS_I" || exit 1
ip -n "$NS_T" link set t0 mtu "$MTU" up
ip -n "$NS_I" link set i0 mtu "$MTU" up
mkdir "$WORK/tmpfs"
mount -t tmpfs -o size=1100m aoede-prof "$WORK/tmpfs" || exit 1
IMG=$WORK/tmpfs/img
dd if=/dev/zero of="$IMG" bs=1M count=1024 status=none
case $T in
aoede-w)   ip netns exec "$NS_T" "$B/aoede" -w -S "$WORK/ctl" 9 1 t0 "$IMG" 2>"$WORK/log" & ;;
aoede-s)   ip netns exec "$NS_T" "$B/aoede" -s -S "$WORK/ctl" 9 1 t0 "$IMG" 2>"$WORK/log" & ;;
vblade)    ip netns exec "$NS_T" /usr/sbin/vblade -b 64 9 1 t0 "$IMG" >"$WORK/log" 2>&1 & ;;
vblade-s)  ip netns exec "$NS_T" /usr/sbin/vblade -s -b 64 9 1 t0 "$IMG" >"$WORK/log" 2>&1 & ;;
reflector) ip netns exec "$NS_T" "$B/aoe-reflector" t0 9 1 2097152 2>"$WORK/log" & ;;
*)         echo "unknown target $T" >&2; exit 2 ;;
esac
TPID=$!
ip netns exec "$NS_I" "$B/aoebench" -i i0 -s 9 -l 1 -D 15 identify >/dev/null ||
    { cat "$WORK/log"; exit 1; }
PIDS="$TPID $(pgrep -P "$TPID")"
XOPT=""
if [ -n "$PIN" ]; then
	ICPU=${PIN%% *} TCPU=${PIN##* }
	XOPT="-x $ICPU"
	for p in $PIDS; do taskset -a -p -c "$TCPU" "$p" >/dev/null; done
fi

pname() { tr '\0' ' ' <"/proc/$1/cmdline" | cut -c 1-40; }
ctx() {	# PID: voluntary + involuntary context switches
	awk '/ctxt_switches/ { s += $2 } END { print s }' "/proc/$1/status"
}
field() { tr ',{}' '\n\n\n' <"$1" | sed -n "s/^\"$2\":\([0-9.]*\)$/\1/p" | head -n 1; }
bench() {	# OUTFILE ARGS...
	out=$1
	shift
	# shellcheck disable=SC2086
	ip netns exec "$NS_I" "$B/aoebench" -i i0 -s 9 -l 1 -D 15 -t "$SECS" -j \
	    $XOPT "$@" >"$out.json"
}

{
	echo "# $T, MTU $MTU, aoebench $*${PIN:+ (pinned: aoebench CPU ${PIN%% *}, target CPU ${PIN##* })}"
	echo
	echo "## plain run: context switches per request"
	for p in $PIDS; do eval "c0_$p=\$(ctx $p)"; done
} >"$OUTF"
ARGS="$*"
# shellcheck disable=SC2086
bench "$WORK/plain" $ARGS
{
	req=$(field "$WORK/plain.json" requests)
	echo "requests $req, $(field "$WORK/plain.json" iops) IOPS," \
	    "$(field "$WORK/plain.json" mbps) MB/s, p50 $(field "$WORK/plain.json" lat_p50_us) us"
	for p in $PIDS; do
		eval "c0=\$c0_$p"
		c1=$(ctx "$p")
		awk -v n="$(pname "$p")" -v d=$((c1 - c0)) -v r="$req" \
		    'BEGIN { printf "  %-40s %.2f context switches per request\n", n, d / r }'
	done
	echo
	echo "## strace -c -f (system calls per request; strace slows the target)"
} >>"$OUTF"

STRACE_PIDS=""
for p in $PIDS; do
	strace -c -f -p "$p" -o "$WORK/strace.$p" 2>/dev/null &
	STRACE_PIDS="$STRACE_PIDS $!"
done
sleep 0.5
# shellcheck disable=SC2086
bench "$WORK/strace" $ARGS
for s in $STRACE_PIDS; do kill -INT "$s" 2>/dev/null; done
for s in $STRACE_PIDS; do wait "$s" 2>/dev/null; done
req=$(field "$WORK/strace.json" requests)
for p in $PIDS; do
	{
		echo "### $(pname "$p") ($req requests, $(field "$WORK/strace.json" iops) IOPS under strace)"
		awk -v r="$req" '$1 ~ /^[0-9.]+$/ && NF >= 5 {
			name = $NF; calls = $4
			printf "  %-20s %10d calls %8.3f per request\n", name, calls, calls / r
		}' "$WORK/strace.$p"
	} >>"$OUTF"
done

if [ "${BENCH_PERF:-1}" = 1 ] && command -v perf >/dev/null 2>&1; then
	perf record -q -e cpu-clock -a -g -o "$WORK/perf.data" -- sleep "$SECS" \
	    >/dev/null 2>&1 &
	PP=$!
	# shellcheck disable=SC2086
	bench "$WORK/perf" $ARGS
	wait $PP
	{
		echo
		echo "## perf (cpu-clock, all CPUs, during the run): share of each command"
		perf report -i "$WORK/perf.data" --no-children --sort comm --stdio \
		    -g none 2>/dev/null | grep -E '^ +[0-9]' | head -n 12
		echo
		echo "## perf: top symbols per command"
		perf report -i "$WORK/perf.data" --no-children --sort comm,sym --stdio \
		    --comms aoede,aoede-netd,aoede-blockd,vblade,aoe-reflector,aoebench \
		    -g none 2>/dev/null | grep -E '^ +[0-9]' | head -n 40
	} >>"$OUTF"
	# BENCH_PERF_KEEP=FILE keeps the recording for perf report -g
	[ -n "${BENCH_PERF_KEEP:-}" ] && cp "$WORK/perf.data" "$BENCH_PERF_KEEP"
fi
cat "$OUTF"
