#!/bin/sh
# aoectl state / state-clear: the AoE state blockd keeps per export (config
# string, mask list, reserve list), set over the LAN, shown and cleared over
# the control socket; a cleared part stays cleared across a restart.
. tests/lib/netns.sh

net_setup 1 1500
make_image "$WORK/a.img" 4
MAC0=$(ini cat /sys/class/net/i0/address)
M3=02:00:00:00:01:03
frame() { ini python3 tests/lib/aoeframe.py i0 "$@"; }
want() {	# WHAT EXPECTED ACTUAL
	[ "$2" = "$3" ] || fail "$1: got '$3', want '$2'"
}
printf '[export open]\nshelf = 2\nslot = 1\npath = a.img\nnics = t0\n' > "$WORK/aoede.conf"
aoede_start -c "$WORK/aoede.conf"

ini timeout 5 aoecfg -c set -s "host-a" 2 1 i0 > /dev/null || fail "aoecfg -c set"
want "mask add" "error=0 merror=0 list=$MAC0,$M3" "$(frame "$MAC0" 2 1 mask-add "$MAC0" "$M3")"
want "reserve" "error=0 list=$MAC0" "$(frame "$MAC0" 2 1 rsv-set "$MAC0")"
out=$(ctl state e2.1) || fail "aoectl state: $out"
echo "$out" | grep -q "^host-a *$MAC0,$M3 *$MAC0$" || fail "aoectl state: $out"
ctl --json state e2.1 | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["config"] == "host-a" and r["config_len"] == 6, r
assert r["masks"] == [sys.argv[1], sys.argv[2]] and r["reserve"] == [sys.argv[1]], r
' "$MAC0" "$M3" || fail "aoectl --json state"
echo "ok: aoectl state shows what was set over the LAN"

out=$(ctl state-clear e2.1 config) || fail "state-clear config: $out"
echo "$out" | grep -q "^ *$MAC0,$M3 *$MAC0$" || fail "state-clear config answered: $out"
want "config read" "error=0 cs=" "$(frame "$MAC0" 2 1 cfg-read)"
grep -q "e2.1: AoE state cleared: config" "$WORK/aoede.log" || fail "the clear is not logged"
grep -q "state-clear-config e2.1: done" "$WORK/aoede.log" || fail "the command is not logged"
ctl state-clear e2.1 everything 2>/dev/null && fail "state-clear of an unknown part succeeded"
ctl state e9.9 2> "$WORK/err" && fail "state of an unknown export succeeded"
grep -q "unknown export e9.9" "$WORK/err" || fail "state e9.9: $(cat "$WORK/err")"
echo "ok: state-clear config: gone over the LAN too, the rest kept"

aoede_stop
aoede_start -c "$WORK/aoede.conf"
out=$(ctl state e2.1) || fail "aoectl state after restart: $out"
echo "$out" | grep -q "^ *$MAC0,$M3 *$MAC0$" || fail "after restart: $out"
want "config read after restart" "error=0 cs=" "$(frame "$MAC0" 2 1 cfg-read)"
ctl state-clear e2.1 > /dev/null || fail "state-clear (all)"
out=$(ctl --json state e2.1) || fail "aoectl state: $out"
echo "$out" | grep -q '"config":"","config_hex":"","config_len":0,"masks":\[\],"reserve":\[\]' ||
    fail "after state-clear all: $out"
aoede_stop
aoede_start -c "$WORK/aoede.conf"
ctl --json state e2.1 | grep -q '"masks":\[\],"reserve":\[\]' || fail "cleared state came back"
aoede_stop
echo "ok: cleared state stays cleared across restarts"
echo "state_ctl: all checks passed"
