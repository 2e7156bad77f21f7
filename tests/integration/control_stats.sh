#!/bin/sh
# aoectl status and stats against a serving aoede: the export, the children's
# pids (checked against pgrep -P), the NIC's MTU and MAC; and the counters
# move by what the initiator did: an IDENTIFY from aoeping, 1 MiB written and
# read back by aoebench (bytes written = what the initiator wrote, frames in
# ≥ requests).  Errors: unknown export, freeze, reload, no daemon.
. tests/lib/netns.sh

command -v python3 >/dev/null || { echo "python3 is missing"; exit 77; }
net_setup 1 1500
make_image "$WORK/img" 64
aoede_start -S "$WORK/ctl.sock" 7 3 t0 "$WORK/img"
CTL="$B/aoectl -S $WORK/ctl.sock"

# python3 -c SCRIPT FILE...: the files' JSON objects are j[0], j[1] …
check() {
	script=$1; shift
	python3 - "$@" <<EOF || fail "check failed: $script"
import json, sys
j = [json.load(open(f)) for f in sys.argv[1:]]
$script
EOF
}

# --- status ---------------------------------------------------------------
$CTL --json status > "$WORK/status.json" || fail "aoectl status failed"
blockd=$(child_pid blockd) || fail "no blockd"
netd=$(child_pid netd 0) || fail "no netd"
mac=$(tgt cat /sys/class/net/t0/address)
check "
s = j[0]
assert s['ok'] is True and s['v'] == 1, s
assert s['state'] == 'serving', s['state']
assert s['pid'] == $AOEDE_PID, s['pid']
x = s['exports']
assert len(x) == 1 and x[0]['export'] == 'e7.3', x
assert x[0]['path'] == '$WORK/img', x[0]['path']
assert x[0]['size_bytes'] == 64 << 20 and x[0]['sectors'] == 131072, x[0]
assert x[0]['nics'] == ['t0'] and x[0]['durability'] == 'sync', x[0]
assert x[0]['read_only'] is False and x[0]['frozen'] is False, x[0]
assert x[0]['freeze'] == 'thawed', x[0]
p = {q['name']: q for q in s['processes']}
assert p['supervisor']['pid'] == $AOEDE_PID, p
assert p['blockd']['pid'] == $blockd and p['blockd']['state'] == 'ready', p
assert p['netd[t0]']['pid'] == $netd and p['netd[t0]']['state'] == 'ready', p
assert p['netd[t0]']['uid'] != 0 and p['blockd']['uid'] != 0, p
n = s['nics']
assert len(n) == 1 and n[0]['name'] == 't0' and n[0]['mtu'] == 1500, n
assert n[0]['mac'] == '$mac', n
" "$WORK/status.json"
# every child in status is a child of aoede, and every child is in status
kids=$(pgrep -P "$AOEDE_PID" | sort -n | tr '\n' ' ')
[ "$kids" = "$(echo "$blockd $netd" | tr ' ' '\n' | sort -n | tr '\n' ' ')" ] ||
    fail "children by pgrep ($kids) are not blockd $blockd and netd $netd"
$CTL status > "$WORK/status.txt" || fail "aoectl status (text) failed"
grep -q "^e7.3 .*64.0 MiB" "$WORK/status.txt" || fail "text status lacks the export"
grep -q "^blockd  *$blockd " "$WORK/status.txt" || fail "text status lacks blockd"
grep -q "$mac" "$WORK/status.txt" || fail "text status lacks the MAC"
echo "ok: status shows e7.3, pids $AOEDE_PID/$blockd/$netd, MTU 1500, MAC $mac"

# --- stats move by what the initiator did -----------------------------------
sleep 1.2	# the children's first stats
$CTL --json stats > "$WORK/before.json" || fail "aoectl stats failed"
ini aoeping -I 7 3 i0 > /dev/null || fail "aoeping failed"
ini "$B/aoebench" -i i0 -s 7 -l 3 -b 4096 -q 4 -n 2048 writeverify > "$WORK/bench" 2>&1 ||
    { cat "$WORK/bench"; fail "aoebench writeverify failed"; }
sleep 1.2	# the next push of stats
$CTL --json stats > "$WORK/after.json" || fail "aoectl stats failed"
check "
b, a = j[0]['exports'][0], j[1]['exports'][0]
d = {k: a[k] - b[k] for k in b if isinstance(b[k], int)}
print('   deltas: writes %(writes)d write_bytes %(write_bytes)d reads %(reads)d '
      'read_bytes %(read_bytes)d identifies %(identifies)d' % d)
assert d['identifies'] >= 1, d
# exactly what aoebench wrote (a retransmitted write would count twice: on
# a veth pair there is none); each 4 KiB request is >= 1 AoE command
assert d['write_bytes'] == 1 << 20, d
assert d['read_bytes'] >= 1 << 20, d
assert d['writes'] >= 256 and d['reads'] >= 256, d
assert a['fsyncs'] >= 1 and a['lat_p50_us'] > 0, a
assert 'cache_hits' in a, a
nb, na = j[0]['nics'][0], j[1]['nics'][0]
requests = d['writes'] + d['reads'] + d['identifies'] + d['cfg_queries']
fin = na['frames_in'] - nb['frames_in']
fout = na['frames_out'] - nb['frames_out']
print('   frames in %d, out %d, requests %d' % (fin, fout, requests))
assert fin >= requests and fout >= requests, (fin, fout, requests)
# at MTU 1500 every reply is small: the transmit ring sends them (a slot
# the kernel still held would send one by sendmmsg; on a veth none is)
ring = na['frames_out_ring'] - nb['frames_out_ring']
print('   of them by the transmit ring %d' % ring)
assert fout // 2 <= ring <= fout, (ring, fout)
assert na['send_errors'] == 0, na
assert na['bytes_in'] - nb['bytes_in'] >= 1 << 20, (na, nb)
assert na['name'] == 't0' and na['mtu'] == 1500, na
pa = {q['name']: q for q in j[1]['processes']}
assert pa['blockd']['loops'] > 0 and pa['netd[t0]']['loops'] > 0, pa
assert pa['blockd']['busy_ns'] > 0, pa
assert pa['blockd']['stats_age_ms'] < 2000, pa
assert j[1]['control']['requests'] >= 3, j[1]['control']
" "$WORK/before.json" "$WORK/after.json"
$CTL stats > /dev/null || fail "aoectl stats (text) failed"
$CTL --json stats e7.3 > "$WORK/one.json" || fail "aoectl stats e7.3 failed"
check "
assert [x['export'] for x in j[0]['exports']] == ['e7.3'], j[0]
assert 'nics' not in j[0], j[0]
" "$WORK/one.json"
echo "ok: stats moved by the IDENTIFY and the 1 MiB written and read"

# --- errors: one line, non-zero ----------------------------------------------
expect_error() {	# MESSAGE ARGS...
	want=$1; shift
	if $CTL "$@" > "$WORK/out" 2> "$WORK/err"; then
		fail "aoectl $* succeeded"
	fi
	[ "$(wc -l < "$WORK/err")" -eq 1 ] || { cat "$WORK/err"; fail "aoectl $*: not one line"; }
	grep -qF "$want" "$WORK/err" || { cat "$WORK/err"; fail "aoectl $*: not '$want'"; }
}
expect_error "aoectl: unknown export e9.9" stats e9.9
expect_error "aoectl: unknown export e9.9" --json stats e9.9
expect_error "aoectl: e7.3 has no shadow directory (-f, or shadow-directory in aoede.conf): it cannot be frozen" freeze e7.3
expect_error "aoectl: e7.3 is not frozen" unfreeze e7.3
expect_error "aoectl: unknown export e9.9" freeze e9.9
expect_error "aoectl: no configuration file to reload" reload
expect_error "aoectl: not an export name: 7.3" stats 7.3
expect_error "aoectl: unknown command bogus" bogus
"$B/aoectl" --help | grep -q "^  stats \[eS.L\]" || fail "aoectl --help lacks stats"
# SIGHUP: logged, and aoede keeps serving
kill -HUP "$AOEDE_PID"
sleep 0.3
grep -q "no configuration file to reload" "$WORK/aoede.log" || fail "SIGHUP was not logged"
ini aoeping -I 7 3 i0 > /dev/null || fail "aoeping failed after SIGHUP"

aoede_stop
[ ! -e "$WORK/ctl.sock" ] || fail "the control socket was left behind"
"$B/aoectl" -S "$WORK/ctl.sock" status 2> "$WORK/err" && fail "aoectl worked without aoede"
grep -qF "aoectl: cannot connect to $WORK/ctl.sock: No such file or directory (is aoede running?)" \
    "$WORK/err" || { cat "$WORK/err"; fail "no clear message without aoede"; }
echo "control_stats: all checks passed"
