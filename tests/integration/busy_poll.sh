#!/bin/sh
# Busy-poll ([global] busy-poll, -P): after a burst netd and blockd keep
# looking at their rings (and netd at its socket) instead of sleeping at once.
# What must hold, with the default (50 us), with a long window and with it off:
# - both children run with the window the operator chose, and status says it;
# - no request is lost across the switches between polling and sleeping:
#   bursts separated by pauses far longer than the window (both sides go back
#   to sleep and must be woken by a doorbell), queue depth 1 (every request
#   ends a poll), and a continuous verified load;
# - polling never starves the event loop: under a continuous load every
#   `aoectl stats` answers, and the counters it reports keep moving.
. tests/lib/netns.sh

command -v python3 >/dev/null || { echo "python3 is missing"; exit 77; }
net_setup 1 9000
make_image "$WORK/img" 32
SEED=300

# -P of a child, from its command line
poll_arg() {	# netd|blockd
	p=$(child_pid "$1" 0) || fail "no $1"
	tr '\0' '\n' < "/proc/$p/cmdline" | sed -n '/^-P$/{n;p;q}'
}

check_window() {	# US
	for c in netd blockd; do
		got=$(poll_arg "$c")
		[ "$got" = "$1" ] || fail "$c runs with -P '$got', want $1"
	done
	ctl --json status > "$WORK/status.json" || fail "aoectl status failed"
	python3 - "$WORK/status.json" "$1" <<'EOF' || fail "status does not say busy_poll_us $1"
import json, sys
s = json.load(open(sys.argv[1]))
assert s['busy_poll_us'] == int(sys.argv[2]), s.get('busy_poll_us')
EOF
}

wv() {	# OFFSET COUNT ARGS...: write a new pattern and read it back
	o=$1 n=$2
	shift 2
	SEED=$((SEED + 1))
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$SEED" -o "$o" -n "$n" -D 10 "$@" writeverify \
	    > "$WORK/wv" 2>&1 || { cat "$WORK/wv"; fail "writeverify $* at $o failed"; }
}

# bursts with pauses: each pause (0.2 s) is 200 times the longest window
# used here, so netd and blockd are asleep when the next burst comes
bursts() {
	for i in 1 2 3 4 5 6; do
		wv $((i * 2048)) 2048 -q 16 -b 4096
		sleep 0.2
	done
	wv 0 1024 -q 1 -b 4096
	wv 16384 8192 -q 8 -b 131072
}

# a continuous verified load while the control socket is asked for stats:
# every answer must come, the counters grow and the children's are fresh
stats_under_load() {
	SEED=$((SEED + 1))
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$SEED" -o 0 -n 65536 -q 32 -b 8192 -r -t 6 \
	    -D 10 writeverify > "$WORK/load" 2>&1 &
	lp=$!
	sleep 1
	i=0
	while [ $i -lt 8 ]; do
		timeout 5 "$B/aoectl" -S "$WORK/ctl.sock" --json stats > "$WORK/stats.$i" ||
		    fail "aoectl stats did not answer under load (round $i)"
		sleep 0.4
		i=$((i + 1))
	done
	wait "$lp" || { cat "$WORK/load"; fail "the load under stats failed"; }
	python3 - "$WORK/stats.0" "$WORK/stats.7" <<'EOF' || fail "the counters did not move under load"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
fa, fb = a['nics'][0]['frames_in'], b['nics'][0]['frames_in']
assert fb > fa, (fa, fb)
xa, xb = a['exports'][0], b['exports'][0]
assert xb['writes'] + xb['reads'] > xa['writes'] + xa['reads'], (xa, xb)
# the children pushed their counters on time (once a second): their event
# loops ran while they were polling
for p in b['processes']:
    if p['name'] in ('blockd', 'netd[t0]'):
        assert p['stats_age_ms'] < 3000, p
EOF
	echo "ok: stats answered 8 times under load; $(awk '$1 == "total" { print $8 " MB/s" }' "$WORK/load")"
}

for window in default 1000 0; do
	if [ "$window" = default ]; then
		aoede_start 7 3 t0 "$WORK/img"
		window=50
	else
		aoede_start -P "$window" 7 3 t0 "$WORK/img"
	fi
	check_window "$window"
	bursts
	stats_under_load
	aoede_stop
	echo "ok: busy-poll $window us: bursts, queue depth 1 and a verified load"
done
echo "busy_poll: all checks passed"
