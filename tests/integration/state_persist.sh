#!/bin/sh
# The AoE protocol state of an export — config string, MAC mask list,
# reserve list — set over the LAN survives a stop and start of aoede and a
# kill -9 of blockd (the state directory, atomic replace); a corrupt state
# file is ignored with a warning naming it; with the lan-* switches off a
# forced change or a mask edit is refused, changes nothing, also after a
# restart; a frame from a MAC off the configured mac-allow list changes
# nothing at all.  Mask and reserve frames are made by tests/lib/aoeframe.py
# (aoetools has no client for them).
. tests/lib/netns.sh

net_setup 1 1500
make_image "$WORK/a.img" 4
make_image "$WORK/b.img" 4
MAC0=$(ini cat /sys/class/net/i0/address)
M1=02:00:00:00:01:01
M2=02:00:00:00:01:02
M3=02:00:00:00:01:03
frame() { ini python3 tests/lib/aoeframe.py i0 "$@"; }
want() {	# WHAT EXPECTED ACTUAL
	[ "$2" = "$3" ] || fail "$1: got '$3', want '$2'"
}

cat > "$WORK/aoede.conf" <<EOF
[export open]
shelf = 2
slot = 1
path = a.img
nics = t0

[export locked]
shelf = 2
slot = 2
path = b.img
nics = t0
mac-allow = $M1, $M2
lan-mask-edit = no
lan-force-reserve = no
lan-force-config = no
EOF

aoede_start -c "$WORK/aoede.conf"
[ "$(stat -c '%a %U' "$WORK/state")" = "700 aoede-blockd" ] ||
    fail "state directory: $(stat -c '%a %U' "$WORK/state"), want 700 aoede-blockd"

# --- e2.1 (switches on): set everything over the LAN
ini timeout 5 aoecfg -c set -s "host-a" 2 1 i0 > /dev/null || fail "aoecfg -c set"
want "config read" "error=0 cs=host-a" "$(frame "$MAC0" 2 1 cfg-read)"
want "mask add" "error=0 merror=0 list=$MAC0,$M3" "$(frame "$MAC0" 2 1 mask-add "$MAC0" "$M3")"
want "reserve" "error=0 list=$M1,$MAC0" "$(frame "$MAC0" 2 1 rsv-set "$M1" "$MAC0")"
grep -q "e2.1: config string set to 6 bytes by $MAC0" "$WORK/aoede.log" ||
    fail "the config string change is not logged with its MAC"
grep -q "e2.1: mask list: added $M3 by $MAC0" "$WORK/aoede.log" ||
    fail "the mask list change is not logged with its MAC"
[ -f "$WORK/state/e2.1.state" ] || fail "no e2.1.state after LAN changes"
echo "ok: config string, mask list and reservation set over the LAN, saved"

check_e21() {	# WHEN
	want "$1: config" "error=0 cs=host-a" "$(frame "$MAC0" 2 1 cfg-read)"
	want "$1: mask" "error=0 merror=0 list=$MAC0,$M3" "$(frame "$MAC0" 2 1 mask-read)"
	want "$1: reserve" "error=0 list=$M1,$MAC0" "$(frame "$MAC0" 2 1 rsv-read)"
}

# --- e2.2 (switches off, mac-allow M1 M2)
# a MAC off the list gets no answer and changes nothing
frame "$M3" 2 2 cfg-fset "intruder" > /dev/null && fail "e2.2 answered a MAC off mac-allow"
frame "$M3" 2 2 rsv-fset "$M3" > /dev/null && fail "e2.2 answered a MAC off mac-allow"
frame "$M3" 2 2 mask-add "$M3" > /dev/null && fail "e2.2 answered a MAC off mac-allow"
# a listed MAC: plain set works; forced set over another is refused
want "locked: set" "error=0 cs=locked-by-1" "$(frame "$M1" 2 2 cfg-set "locked-by-1")"
want "locked: fset" "error=4 cs=locked-by-1" "$(frame "$M2" 2 2 cfg-fset "mine")"
want "locked: reserve" "error=0 list=$M1" "$(frame "$M1" 2 2 rsv-set "$M1")"
want "locked: force reserve" "error=6 list=$M1" "$(frame "$M2" 2 2 rsv-fset "$M2")"
want "locked: mask edit" "error=0 merror=1 list=" "$(frame "$M1" 2 2 mask-add "$M3")"
want "locked: mask" "error=0 merror=0 list=$M1,$M2" "$(frame "$M1" 2 2 mask-read)"
grep -q "e2.2: forced reserve by $M2 refused" "$WORK/aoede.log" ||
    fail "a refused forced reserve is not logged"
echo "ok: e2.2 with the lan-* switches off refuses forced sets and mask edits"

check_e22() {	# WHEN
	want "$1: locked config" "error=0 cs=locked-by-1" "$(frame "$M1" 2 2 cfg-read)"
	want "$1: locked mask" "error=0 merror=0 list=$M1,$M2" "$(frame "$M1" 2 2 mask-read)"
	want "$1: locked reserve" "error=0 list=$M1" "$(frame "$M1" 2 2 rsv-read)"
}

# --- restart of aoede
aoede_stop
aoede_start -c "$WORK/aoede.conf"
grep -q "e2.1: AoE state restored from e2.1.state" "$WORK/aoede.log" ||
    fail "no 'restored' line for e2.1"
check_e21 "after a restart"
check_e22 "after a restart"
echo "ok: everything is back after aoede stops and starts"

# --- kill -9 of blockd, after one more change
want "release" "error=0 list=" "$(frame "$MAC0" 2 1 rsv-fset)"
want "reserve again" "error=0 list=$M1,$MAC0" "$(frame "$MAC0" 2 1 rsv-set "$M1" "$MAC0")"
old=$(child_pid blockd) || fail "no blockd"
kill -9 "$old"
t=0
until [ "$(grep -c 'e2.1: AoE state restored' "$WORK/aoede.log")" -ge 2 ]; do
	t=$((t + 1))
	[ "$t" -gt 100 ] && fail "blockd not back within 10 s"
	sleep 0.1
done
sleep 1
check_e21 "after kill -9 of blockd"
check_e22 "after kill -9 of blockd"
echo "ok: everything is back after blockd is killed"

# --- a corrupt file is ignored with a warning; the export starts empty
aoede_stop
printf 'aoede-state 1\nconfig 41\nsum 00000000\n' > "$WORK/state/e2.1.state"
aoede_start -c "$WORK/aoede.conf"
grep -q "e2.1: state file e2.1.state ignored: checksum mismatch" "$WORK/aoede.log" ||
    fail "no warning naming the corrupt state file"
want "corrupt: config" "error=0 cs=" "$(frame "$MAC0" 2 1 cfg-read)"
want "corrupt: reserve" "error=0 list=" "$(frame "$MAC0" 2 1 rsv-read)"
check_e22 "next to a corrupt file"
aoede_stop
echo "ok: a corrupt state file is ignored with a warning, the export starts empty"
echo "state_persist: all checks passed"
