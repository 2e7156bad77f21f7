# Sourced by the integration tests: private network namespaces joined by veth
# pairs, an aoede instance in one of them, initiators in the other, and a trap
# that removes everything the test made — on success, failure or interrupt.
#
#   net_setup NNICS [MTU]   target ns $NS_T with t0..tN-1, initiator ns $NS_I
#                           with i0..iN-1; ti <-> ii are veth pairs
#   aoede_start ARGS...     run aoede in $NS_T (stderr in $WORK/aoede.log,
#                           control socket $WORK/ctl.sock, state directory
#                           $AOEDE_STATE_DIR or $WORK/state), wait until it
#                           serves; $AOEDE_PID
#   ctl ARGS...             aoectl on that control socket
#   aoede_stop              SIGTERM, wait, check exit status 0
#   ini CMD...              run CMD in the initiator namespace
#   tgt CMD...              run CMD in the target namespace
#   fail MSG                print and exit 1
#   child_pid ROLE [NIC]    pid of aoede's netd (on tNIC) or blockd

: "${AOEDE_BUILD:=build}"
B=$(cd "$AOEDE_BUILD" && pwd)
ID=$$
NS_T=aoedet$ID
NS_I=aoedei$ID
WORK=$(mktemp -d /tmp/aoede-test.XXXXXX)
PIDS=""
AOEDE_PID=""

cleanup() {
	rc=$?
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	if [ -n "$AOEDE_PID" ]; then kill -9 "$AOEDE_PID" 2>/dev/null; fi
	# whatever still runs in our namespaces (an initiator a failed test
	# left behind) was started by this test
	for p in $(ip netns pids "$NS_I" 2>/dev/null) $(ip netns pids "$NS_T" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$NS_T" 2>/dev/null
	ip netns del "$NS_I" 2>/dev/null
	# whatever else the test set up (loop devices, mounts): $EXTRA_CLEANUP
	if [ -n "${EXTRA_CLEANUP:-}" ]; then eval "$EXTRA_CLEANUP"; fi
	if [ "$rc" -ne 0 ] && [ -f "$WORK/aoede.log" ]; then
		echo "--- aoede log (last 40 lines)"; tail -40 "$WORK/aoede.log"
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "FAIL: $*"
	exit 1
}

ini() { ip netns exec "$NS_I" "$@"; }
ctl() { "$B/aoectl" -S "$WORK/ctl.sock" "$@"; }
tgt() { ip netns exec "$NS_T" "$@"; }

net_setup() {
	n=$1; mtu=${2:-1500}
	ip netns add "$NS_T" || fail "ip netns add"
	ip netns add "$NS_I" || fail "ip netns add"
	i=0
	while [ "$i" -lt "$n" ]; do
		ip link add "t$i" netns "$NS_T" type veth peer name "i$i" netns "$NS_I" ||
		    fail "veth"
		tgt ip link set "t$i" mtu "$mtu" up
		ini ip link set "i$i" mtu "$mtu" up
		i=$((i + 1))
	done
	tgt ip link set lo up
	ini ip link set lo up
}

net_mtu() {	# NIC MTU
	tgt ip link set "t$1" mtu "$2"
	ini ip link set "i$1" mtu "$2"
}

aoede_start() {
	# a simple command, so that $! is aoede itself (ip netns exec execs it)
	# a control socket of its own, so tests running side by side never meet;
	# the log emptied first: the wait below must not see an earlier start's
	: > "$WORK/aoede.log"
	ip netns exec "$NS_T" "$B/aoede" -S "$WORK/ctl.sock" -D "${AOEDE_STATE_DIR:-$WORK/state}" \
	    "$@" 2>"$WORK/aoede.log" &
	AOEDE_PID=$!
	t=0
	while ! grep -q 'serving' "$WORK/aoede.log" 2>/dev/null; do
		kill -0 "$AOEDE_PID" 2>/dev/null || fail "aoede exited during start-up"
		t=$((t + 1))
		[ "$t" -gt 100 ] && fail "aoede did not start within 10 s"
		sleep 0.1
	done
}

aoede_stop() {
	kill -TERM "$AOEDE_PID"
	wait "$AOEDE_PID"
	rc=$?
	AOEDE_PID=""
	[ "$rc" -eq 0 ] || fail "aoede exited with status $rc on SIGTERM"
}

# md5 of the image file (default $WORK/img), as the daemon left it
image_sum() {	# [PATH]
	md5sum < "${1:-$WORK/img}" | cut -d' ' -f1
}

# an export's freeze state as aoectl stats says it (thawed, frozen,
# merging; unknown until a restarted blockd reports; empty when it
# cannot be asked)
freeze_state() {	# [EXPORT]
	ctl --json stats "${1:-e7.3}" 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["exports"][0]["freeze"])' 2>/dev/null
}

# pid of a child of aoede by its command line
child_pid() {
	case $1 in
	netd)	pattern="aoede-netd -n t$2 " ;;
	blockd)	pattern="aoede-blockd" ;;
	esac
	for p in $(pgrep -P "$AOEDE_PID"); do
		if tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "$pattern"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

make_image() {	# PATH MiB
	truncate -s "$2M" "$1"
}
