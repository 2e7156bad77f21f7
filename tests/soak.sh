#!/bin/sh
# make soak DURATION=SECONDS: a mixed verified load (writes then verify, new
# data every pass, random and sequential, several I/O sizes) against one
# export on two NICs, with faults injected at random moments: kill -9 of a
# netd, kill -9 of blockd, a link down and up, a freeze that the image
# must not change through and an unfreeze whose merge runs under the next
# passes (and their faults), and a reload that adds or removes a second
# export on both NICs (so both netds change sockets under the load).
# Prints a summary (GB verified, faults injected, errors); any error fails
# the run.
AOEDE_BUILD=${1:-build}
export AOEDE_BUILD
. tests/lib/netns.sh

DURATION=${DURATION:-600}
net_setup 2 9000
make_image "$WORK/img" 256
make_image "$WORK/extra.img" 16

conf() {	# yes|no: with the second export, e7.4
	printf '[export soak]\nshelf = 7\nslot = 3\npath = img\nnics = t0 t1\n'
	printf 'shadow-directory = shadow\n'
	[ "$1" = yes ] && printf '\n[export extra]\nshelf = 7\nslot = 4\npath = extra.img\nnics = t0 t1\n'
	return 0
}
EXTRA=no
conf $EXTRA > "$WORK/aoede.conf"
aoede_start -c "$WORK/aoede.conf"

rand() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }	# 0..65535

# A control command that blockd must answer: while blockd restarts after an
# earlier fault, or a merge from an earlier unfreeze still runs, it is
# refused for that reason; try again for up to 20 s.
ctl_retry() {	# aoectl ARGS...
	t=0
	until ctl "$@" > "$WORK/ctl.out" 2>&1; do
		t=$((t + 1))
		[ "$t" -gt 100 ] && { echo "aoectl $*: $(cat "$WORK/ctl.out")"; return 1; }
		sleep 0.2
	done
}

# Freeze: from its reply on, the image does not change while the load goes
# on; unfreeze: the merge runs in the background into the next passes.
freeze_fault() {
	ctl_retry freeze e7.3 || return 1
	before=$(image_sum "$WORK/img")
	sleep "0.$(( $(rand) % 10 ))"
	after=$(image_sum "$WORK/img")
	ctl_retry unfreeze e7.3 || return 1
	[ "$after" = "$before" ] || { echo "the image changed while e7.3 was frozen"; return 1; }
	echo "freeze, unfreeze e7.3"
}

reload_fault() {
	if [ "$EXTRA" = yes ]; then EXTRA=no; what=removed; else EXTRA=yes; what=added; fi
	conf $EXTRA > "$WORK/aoede.conf"
	ctl reload > "$WORK/ctl.out" 2>&1 || { echo "aoectl reload: $(cat "$WORK/ctl.out")"; return 1; }
	grep -q "$what e7.4" "$WORK/ctl.out" || { echo "aoectl reload said: $(cat "$WORK/ctl.out")"; return 1; }
	echo "reload: e7.4 $what"
}

# Prints what it did; on failure returns 1 and prints why.
inject_fault() {
	case $(( $(rand) % 5 )) in
	0)	p=$(child_pid netd "$(( $(rand) % 2 ))") && kill -9 "$p" && echo "kill -9 netd $p" ;;
	1)	p=$(child_pid blockd) && kill -9 "$p" && echo "kill -9 blockd $p" ;;
	2)	n=$(( $(rand) % 2 ))
		tgt ip link set "t$n" down; sleep 1; tgt ip link set "t$n" up
		echo "link t$n down for 1 s" ;;
	3)	freeze_fault ;;
	4)	reload_fault ;;
	esac
}

start=$(date +%s)
pass=0; faults=0; errors=0; bytes=0
while [ $(( $(date +%s) - start )) -lt "$DURATION" ]; do
	pass=$((pass + 1))
	case $((pass % 3)) in
	0) args="-b 4096 -q 32" ;;
	1) args="-b 65536 -q 8" ;;
	2) args="-b 8704 -q 16" ;;
	esac
	ifc=i$((pass % 2))
	# shellcheck disable=SC2086
	ini "$B/aoebench" -i "$ifc" -s 7 -l 3 -p "$pass" -w 100 $args write > "$WORK/w" 2>&1 &
	load=$!
	sleep "0.$(( $(rand) % 10 ))"
	if kill -0 "$load" 2>/dev/null; then
		if inject_fault > "$WORK/fault"; then
			cat "$WORK/fault" >> "$WORK/faults"
			faults=$((faults + 1))
		else
			errors=$((errors + 1)); echo "pass $pass: $(tail -1 "$WORK/fault")"
		fi
	fi
	if ! wait "$load"; then
		errors=$((errors + 1)); echo "pass $pass: write errors"; cat "$WORK/w"
	fi
	if ! ini "$B/aoebench" -i "$ifc" -s 7 -l 3 -p "$pass" -b 131072 -q 8 verify > "$WORK/v" 2>&1; then
		errors=$((errors + 1)); echo "pass $pass: verify failed"; tail -5 "$WORK/v"
	fi
	bytes=$((bytes + 2 * 256 * 1048576))
done
kill -0 "$AOEDE_PID" || { echo "the supervisor died"; errors=$((errors + 1)); }
# the last unfreeze's merge ends and leaves no shadow file behind
t=0
while [ "$(freeze_state e7.3)" != thawed ]; do
	t=$((t + 1))
	[ "$t" -gt 600 ] && { echo "e7.3 still not thawed after 60 s"; errors=$((errors + 1)); break; }
	sleep 0.1
done
if [ -n "$(ls -A "$WORK/shadow" 2>/dev/null)" ]; then
	echo "shadow files left: $(ls "$WORK/shadow")"; errors=$((errors + 1))
fi
aoede_stop
echo "soak: $((bytes / 1000000000)) GB written and verified in $pass passes over" \
    "$(( $(date +%s) - start )) s, $faults faults injected, $errors errors"
sort "$WORK/faults" 2>/dev/null | sed 's/ [0-9]*$//' | uniq -c | sed 's/^/   /'
[ "$errors" -eq 0 ]
