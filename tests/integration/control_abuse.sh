#!/bin/sh
# Test R7, control-socket abuse, against a serving aoede: a 5-byte header
# announcing a 16-million-element array, 100000 nested arrays, garbage, a
# string longer than the message limit, a client that sends half a message
# and stalls, one that trickles a byte at a time, 100 connections at once,
# and users who are not root: each bad connection is closed, the supervisor's
# RSS stays under 64 MB, and afterwards aoectl and aoeping still work.
#
# Credentials (the choice documented in docs/control-protocol.md): reading
# commands are for root and the socket's group, changing ones for root (or
# an operator group); anybody else is refused at accept, before a byte of
# theirs is parsed — even when the socket's mode would let them connect.
. tests/lib/netns.sh

command -v python3 >/dev/null || { echo "python3 is missing"; exit 77; }
command -v setpriv >/dev/null || { echo "setpriv is missing"; exit 77; }
net_setup 1 1500
make_image "$WORK/img" 64
aoede_start -S "$WORK/ctl.sock" 7 3 t0 "$WORK/img"
CTL="$B/aoectl -S $WORK/ctl.sock"
RSS_MAX_KB=65536

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$AOEDE_PID/status"; }
rss0=$(rss)

cat > "$WORK/abuse.py" <<'EOF'
import socket, sys, threading, time

path = sys.argv[1]
failures = []

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def until_closed(s, limit):
    """Read until EOF; the bytes read and the seconds it took."""
    s.settimeout(limit)
    start, got = time.time(), b''
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return got, time.time() - start
            got += b
    except socket.timeout:
        return None, limit
    except ConnectionResetError:
        return got, time.time() - start

def check(name, ok, detail=''):
    print('   %-28s %s %s' % (name, 'ok' if ok else 'FAILED', detail))
    if not ok:
        failures.append(name)

def send_and_expect_close(name, data, want):
    s = conn()
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass            # closed while we were still sending: fine
    got, secs = until_closed(s, 5)
    check(name, got is not None and want in got, '%r in %.1f s' % (got and got[:80], secs))
    s.close()

def stall(name, first, drip):
    """Half a message, then nothing (or a byte now and then): closed by the
    idle timeout (10 s), whatever trickles."""
    s = conn()
    s.sendall(first)
    start = time.time()
    s.settimeout(1.0)
    while time.time() - start < 20:
        try:
            if s.recv(1) == b'':
                break
        except socket.timeout:
            if drip:
                try:
                    s.send(b'\x01')
                except (BrokenPipeError, ConnectionResetError):
                    break
        except ConnectionResetError:
            break
    secs = time.time() - start
    check(name, 8 <= secs <= 14, 'closed after %.1f s' % secs)
    s.close()

# the slow ones run while the others go on
slow = [threading.Thread(target=stall, args=('half message, stalled', b'\x82\xa1v\x01', False)),
        threading.Thread(target=stall, args=('string dripping bytes',
                          b'\x81\xdb\x00\x00\xea\x60', True))]
for t in slow:
    t.start()

send_and_expect_close('huge array header', b'\xdd\x00\xff\xff\xff', b'too many elements')
send_and_expect_close('huge map header', b'\xdf\x7f\xff\xff\xff', b'too many elements')
send_and_expect_close('deep nesting', b'\x91' * 100000, b'nested too deeply')
send_and_expect_close('garbage', b'\xc1 this is not msgpack', b'not msgpack')
send_and_expect_close('string over the limit', b'\x81\xdb\x00\x01\x11\x70' + b'x' * 70000,
                      b'message too long')
send_and_expect_close('message over the limit',
                      b'\x92' + (b'\xdb\x00\x00\x9c\x40' + b'x' * 40000) * 2,
                      b'message too long')

# a well-framed but wrong request gets an error and the connection stays
s = conn()
s.sendall(b'\x82\xa1v\x02\xa3cmd\xa6status')          # version 2
s.settimeout(5)
r = s.recv(65536)
check('version mismatch', b'protocol version 2 is not supported' in r, repr(r[:90]))
s.sendall(b'\x82\xa1v\x01\xa3cmd\xa6status')          # then a good one
r = s.recv(65536)
check('same connection goes on', b'exports' in r, repr(r[:40]))
s.close()

# 100 connections at once: CONTROL_MAX_CONNS (32) minus the two slow ones
# are held, the rest are told "busy" and closed
socks = [conn() for _ in range(100)]
busy = 0
time.sleep(0.5)
for s in socks:
    s.setblocking(False)
    try:
        if b'busy' in s.recv(65536):
            busy += 1
    except BlockingIOError:
        pass
check('100 connections at once', 100 - busy <= 32 and busy >= 68, '%d refused busy' % busy)
# while they are held, a newcomer is refused, not queued forever
s = conn()
got, secs = until_closed(s, 5)
check('refused while full', got is not None and b'busy' in got, repr(got and got[:60]))
s.close()
for s in socks:
    s.close()

for t in slow:
    t.join()
sys.exit(1 if failures else 0)
EOF
python3 "$WORK/abuse.py" "$WORK/ctl.sock" || fail "a bad client was not handled"
rss1=$(rss)
echo "   supervisor RSS: $rss0 kB before, $rss1 kB after"
[ "$rss1" -lt "$RSS_MAX_KB" ] || fail "supervisor RSS $rss1 kB >= $RSS_MAX_KB kB"
[ $((rss1 - rss0)) -lt 16384 ] || fail "supervisor RSS grew by $((rss1 - rss0)) kB"

# the service goes on
sleep 0.2
$CTL --json stats > "$WORK/stats.json" || fail "aoectl stats failed after the abuse"
python3 - "$WORK/stats.json" <<'EOF' || fail "control counters do not show the abuse"
import json, sys
c = json.load(open(sys.argv[1]))['control']
print('   control counters:', c)
assert c['closed_bad'] >= 6 and c['closed_idle'] >= 2 and c['refused_busy'] >= 68, c
assert c['connections'] == 1, c
EOF
ini aoeping -I 7 3 i0 > /dev/null || fail "aoeping failed after the abuse"
echo "ok: every bad connection was closed; RSS stayed at $rss1 kB; service goes on"

# --- credentials -------------------------------------------------------------
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
expect_denied() {	# WHAT ARGS...
	what=$1; shift
	if "$@" > "$WORK/out" 2> "$WORK/err"; then
		fail "$what: succeeded"
	fi
	[ "$(wc -l < "$WORK/err")" -eq 1 ] || { cat "$WORK/err"; fail "$what: not one line"; }
	grep -q "^aoectl: permission denied" "$WORK/err" ||
	    { cat "$WORK/err"; fail "$what: not a permission error"; }
	echo "   $what: $(cat "$WORK/err")"
}
# the socket's mode (0660, root:group) stops a stranger at connect …
[ "$(stat -c %a "$WORK/ctl.sock")" = 660 ] || fail "the socket's mode is not 0660"
chmod 0711 "$WORK"
expect_denied "uid 65534 stats (mode 0660)" nobody $CTL stats
expect_denied "uid 65534 freeze (mode 0660)" nobody $CTL freeze e7.3
# … and the daemon's own check, if the mode is wider (SocketMode=0666)
chmod 0666 "$WORK/ctl.sock"
expect_denied "uid 65534 stats (mode 0666)" nobody $CTL stats
expect_denied "uid 65534 freeze (mode 0666)" nobody $CTL freeze e7.3
grep -q "control: refused uid 65534" "$WORK/aoede.log" || fail "the refusal was not logged"
# a member of the socket's group may read, not change
group=$(stat -c %g "$WORK/ctl.sock")
member() { setpriv --reuid=65534 --regid=65534 --groups="$group" "$@"; }
member $CTL stats > /dev/null || fail "a member of the socket's group cannot read stats"
expect_denied "group $group member freeze" member $CTL freeze e7.3
grep -q "freeze needs root" "$WORK/err" || fail "the refusal does not say who may"
chmod 0700 "$WORK"
echo "ok: non-members are refused, members may read, only root may change"

aoede_stop
echo "control_abuse: all checks passed"
