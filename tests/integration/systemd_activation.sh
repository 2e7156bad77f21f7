#!/bin/sh
# aoede under (a stand-in for) systemd: socket activation by
# systemd-socket-activate with a test-made NOTIFY_SOCKET.  The first aoectl
# connection starts aoede and is served; READY=1 comes once the export
# answers (an aoeping sent the moment READY=1 arrives succeeds at once);
# STATUS= says what serves; WATCHDOG=1 comes every WATCHDOG_USEC/2 while the
# children live and stops while blockd is hung (SIGSTOP); a reload is
# wrapped in RELOADING=1 … READY=1 and fails with a clear reason; SIGTERM
# brings STOPPING=1 and exit 0.  Then the units: systemd-analyze verify is
# clean, and systemd-analyze security rates aoede.service <= 2.5.
. tests/lib/netns.sh

for c in systemd-socket-activate systemd-analyze python3; do
	command -v "$c" >/dev/null || { echo "$c is missing (Debian package systemd / python3)"; exit 77; }
done

# --- the units, offline --------------------------------------------------------
# ExecStart= names the installed path (/usr/local/sbin): "not executable"
# lines are expected before `make install`, and man: links need the pages
systemd-analyze verify units/aoede.service units/aoede.socket > "$WORK/verify" 2>&1
grep -v -e 'is not executable' -e "Command 'man " "$WORK/verify" |
    grep -E -i 'Unknown key|Unknown section|Failed to parse|error' &&
    fail "systemd-analyze verify complains about the units"
exposure=$(systemd-analyze security --offline=yes units/aoede.service 2>&1 |
    sed -n 's/.*Overall exposure level for aoede.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "no exposure level from systemd-analyze security"
python3 -c "import sys; sys.exit(0 if float('$exposure') <= 2.5 else 1)" ||
    fail "aoede.service exposure $exposure > 2.5"
echo "ok: units verify cleanly; aoede.service exposure $exposure"

# --- socket activation ----------------------------------------------------------
net_setup 1 1500
make_image "$WORK/img" 64

# the stand-in for systemd's notify socket: one line per datagram, with the
# time it arrived
cat > "$WORK/notify.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], 'a', buffering=1) as log:
    while True:
        d = s.recv(4096).decode(errors='replace')
        for line in d.split('\n'):
            log.write('%.3f %s\n' % (time.time(), line))
EOF
python3 "$WORK/notify.py" "$WORK/notify.sock" "$WORK/notify.log" &
PIDS="$PIDS $!"
while [ ! -S "$WORK/notify.sock" ]; do sleep 0.05; done

ip netns exec "$NS_T" systemd-socket-activate -l "$WORK/ctl.sock" --fdname=control \
    -E NOTIFY_SOCKET="$WORK/notify.sock" -E WATCHDOG_USEC=2000000 \
    "$B/aoede" -S "$WORK/unused.sock" 7 3 t0 "$WORK/img" 2> "$WORK/aoede.log" &
AOEDE_PID=$!		# systemd-socket-activate execs aoede in this process
t=0
while [ ! -S "$WORK/ctl.sock" ]; do
	t=$((t + 1)); [ "$t" -gt 100 ] && fail "systemd-socket-activate made no socket"
	sleep 0.05
done
sleep 0.2
pgrep -P "$AOEDE_PID" > /dev/null && fail "aoede started before the first connection"

# the first connection starts aoede, and is answered
"$B/aoectl" -S "$WORK/ctl.sock" --json status > "$WORK/status.json" ||
    fail "the first aoectl status (which starts aoede) failed"
python3 -c "
import json, sys
s = json.load(open('$WORK/status.json'))
assert s['pid'] == $AOEDE_PID, s
assert s['exports'][0]['export'] == 'e7.3', s
" || fail "the first status is wrong"
[ -e "$WORK/unused.sock" ] && fail "aoede made its own socket although systemd passed one"
# (aoede's own /proc/PID/environ shows what it was started with, not what it
# unset: look at its children, which must inherit nothing of systemd's)
sleep 0.5
for p in $(pgrep -P "$AOEDE_PID"); do
	[ -s "/proc/$p/environ" ] && fail "child $p inherited an environment"
done

# READY=1: the export answers the moment it arrives
t=0
while ! grep -q ' READY=1$' "$WORK/notify.log"; do
	t=$((t + 1)); [ "$t" -gt 200 ] && fail "no READY=1 within 10 s"
	sleep 0.05
done
ini aoeping -s 2 7 3 i0 > /dev/null || fail "READY=1 came before the export answered"
t_ping=$(date +%s.%N)
t_ready=$(awk '$2 == "READY=1" { print $1; exit }' "$WORK/notify.log")
python3 -c "import sys; sys.exit(0 if $t_ready <= $t_ping else 1)" || fail "READY=1 after aoeping?"
grep -q ' STATUS=serving' "$WORK/notify.log" || fail "no STATUS=serving"
sleep 1.5
grep -q ' STATUS=serving e7.3 ' "$WORK/notify.log" || fail "no STATUS= naming the export"
echo "ok: activated by the first connection; READY=1 at $t_ready, aoeping answered at $t_ping"

# WATCHDOG=1 every second while the children live …
sleep 1
n0=$(grep -c ' WATCHDOG=1$' "$WORK/notify.log")
[ "$n0" -ge 2 ] || fail "only $n0 WATCHDOG=1 in 3 s (WATCHDOG_USEC=2 s)"
# … and none while blockd is hung
blockd=$(child_pid blockd) || fail "no blockd"
kill -STOP "$blockd"
sleep 4.5	# its last stats age past 3 s
n1=$(grep -c ' WATCHDOG=1$' "$WORK/notify.log")
sleep 2
n2=$(grep -c ' WATCHDOG=1$' "$WORK/notify.log")
kill -CONT "$blockd"
[ "$n2" -eq "$n1" ] || fail "WATCHDOG=1 went on while blockd was hung ($n1 → $n2)"
grep -q ' STATUS=degraded: blockd silent' "$WORK/notify.log" || fail "no STATUS=degraded"
sleep 2.5
n3=$(grep -c ' WATCHDOG=1$' "$WORK/notify.log")
[ "$n3" -gt "$n2" ] || fail "WATCHDOG=1 did not resume after blockd did"
echo "ok: WATCHDOG=1 while alive ($n0 in 3 s), withheld while blockd was stopped"

# reload: RELOADING=1 … READY=1 around it, and a clear failure
"$B/aoectl" -S "$WORK/ctl.sock" reload 2> "$WORK/err" && fail "reload succeeded"
grep -qF "aoectl: no configuration file to reload (aoede was started from the command line)" \
    "$WORK/err" || { cat "$WORK/err"; fail "reload did not say why"; }
sleep 0.3	# the listener writes what it got
awk '$2 == "RELOADING=1" { r = NR } r && NR > r && $2 == "READY=1" { ok = 1 } END { exit !ok }' \
    "$WORK/notify.log" || fail "no RELOADING=1 then READY=1 around the reload"
echo "ok: reload wrapped in RELOADING=1 … READY=1"

# SIGTERM: STOPPING=1, exit 0
aoede_stop
grep -q ' STOPPING=1$' "$WORK/notify.log" || fail "no STOPPING=1"
echo "systemd_activation: all checks passed"
