#!/bin/sh
# One daemon, a configuration file, three exports on two NICs:
#   e1.1  a.img  on t0 and t1
#   e1.2  b.img  on t0 only, mac-allow = i0's MAC (and one other)
#   e1.3  c.img  on t1 only, durability = kernel
# aoetools find each export where it is and only there; aoebench writes a
# different pattern through each and reads every one back, so data that
# landed in the wrong image would not verify.
. tests/lib/netns.sh

net_setup 2 1500
for f in a b c; do make_image "$WORK/$f.img" 16; done
MAC0=$(ini cat /sys/class/net/i0/address)

cat > "$WORK/aoede.conf" <<EOF
# written by $0
[nic t1]
bufcnt = 32

[export both]
shelf = 1
slot = 1
path = a.img
nics = t0 t1

[export only-t0]
shelf = 1
slot = 2
path = b.img
nics = t0
mac-allow = $MAC0, 02:00:00:00:00:77

[export only-t1]
shelf = 1
slot = 3
path = c.img
nics = t1
durability = kernel
EOF

tgt "$B/aoede" -n -c "$WORK/aoede.conf" || fail "aoede -n refuses the test's configuration"
aoede_start -c "$WORK/aoede.conf"
grep -q 'serving 3 exports on 2 interfaces' "$WORK/aoede.log" ||
    fail "the start-up line does not say 3 exports on 2 interfaces"

# each export answers on its NICs, and only there
for t in "1 1 i0" "1 1 i1" "1 2 i0" "1 3 i1"; do
	# shellcheck disable=SC2086
	out=$(ini timeout 5 aoeping -I $t) || fail "aoeping -I $t"
	set -- $t
	echo "$out" | grep -q "^model: AoEde e$1.$2" || fail "aoeping -I $t: $out"
done
for t in "1 2 i1" "1 3 i0"; do
	# shellcheck disable=SC2086
	ini timeout 3 aoeping $t > /dev/null 2>&1 && fail "aoeping $t: answered where it is not exported"
done
echo "ok: aoeping finds e1.1 on i0 and i1, e1.2 on i0, e1.3 on i1, and nothing else"

# aoe-sancheck: three devices, with as many target MACs as NICs
out=$(ini timeout 30 aoe-sancheck) || fail "aoe-sancheck failed: $out"
for want in "e1.1 2" "e1.2 1" "e1.3 1"; do
	set -- $want
	line=$(echo "$out" | grep "^$1[[:space:]]") || fail "aoe-sancheck did not find $1: $out"
	set -- $line
	[ "$2" = "${want#* }" ] || fail "aoe-sancheck: $1 has $2 MACs, want ${want#* }: $out"
done
[ "$(echo "$out" | grep -c '^e[0-9]')" -eq 3 ] || fail "aoe-sancheck: want 3 devices: $out"
echo "ok: aoe-sancheck sees e1.1 (2 MACs), e1.2 (1), e1.3 (1)"

# mac-allow: a MAC not on e1.2's list gets no answer; one on it does
ini "$B/aoebench" -i i0 -M 02:00:00:00:00:66 -s 1 -l 2 -D 2 identify > "$WORK/v" 2>&1 &&
    fail "e1.2 answered a MAC that is not in its mac-allow list"
ini "$B/aoebench" -i i0 -M 02:00:00:00:00:77 -s 1 -l 2 -D 5 identify > "$WORK/v" 2>&1 ||
    { cat "$WORK/v"; fail "e1.2 did not answer a MAC of its mac-allow list"; }
echo "ok: e1.2 answers only the MACs of its mac-allow list"

# a different pattern through each export, at once
bench() {	# IFACE SLOT SEED COMMAND
	ini "$B/aoebench" -i "$1" -s 1 -l "$2" -p "$3" -b 65536 -q 8 "$4" > "$WORK/bench.$2" 2>&1
}
bench i0 1 11 writeverify & p1=$!
bench i0 2 12 writeverify & p2=$!
bench i1 3 13 writeverify & p3=$!
for p in $p1 $p2 $p3; do
	wait "$p" || { cat "$WORK"/bench.*; fail "writeverify failed"; }
done
echo "ok: writeverify on e1.1, e1.2 and e1.3 at once"

# read each back (e1.1 through its other NIC); a wrong seed must not verify
bench i1 1 11 verify || { cat "$WORK/bench.1"; fail "verify e1.1 through i1"; }
bench i0 2 12 verify || { cat "$WORK/bench.2"; fail "verify e1.2"; }
bench i1 3 13 verify || { cat "$WORK/bench.3"; fail "verify e1.3"; }
bench i0 2 11 verify && fail "e1.2 verifies with e1.1's pattern: the data went to the wrong image"
bench i1 3 12 verify && fail "e1.3 verifies with e1.2's pattern: the data went to the wrong image"
echo "ok: each export holds its own pattern"

# reload: an unchanged file is a no-op; an invalid one is refused with its
# FILE:LINE reason; a changed one is applied (tests/integration/reload_apply.sh
# has the rest) — and in every case the running exports keep serving
ctl reload || fail "reload of the unchanged file failed"
cp "$WORK/aoede.conf" "$WORK/good.conf"
printf '[export broken]\nshelf = 1\n' >> "$WORK/aoede.conf"
ctl reload 2> "$WORK/err" && fail "reload of an invalid file succeeded"
grep -q "^aoectl: $WORK/aoede.conf:[0-9]*: " "$WORK/err" || fail "reload: $(cat "$WORK/err")"
ini timeout 5 aoeping -I 1 1 i0 > /dev/null || fail "not serving after the refused reload"
sed 's/^slot = 3$/slot = 4/' "$WORK/good.conf" > "$WORK/aoede.conf"
out=$(ctl reload 2>&1) || fail "reload of a changed file failed: $out"
echo "$out" | grep -qF "added e1.4, removed e1.3" || fail "reload: $out"
ini timeout 5 aoeping -I 1 4 i1 > /dev/null || fail "e1.4 does not answer after the reload"
cp "$WORK/good.conf" "$WORK/aoede.conf"
ctl reload > /dev/null || fail "reload back to the first file failed"
kill -HUP "$AOEDE_PID"
sleep 0.3
grep -q "reload: $WORK/aoede.conf unchanged" "$WORK/aoede.log" || fail "SIGHUP did not reload"
kill -0 "$AOEDE_PID" || fail "aoede died on SIGHUP"
ini timeout 5 aoeping -I 1 3 i1 > /dev/null || fail "not serving after the reloads"
echo "ok: reload: unchanged accepted, invalid refused, changed applied, still serving"
aoede_stop
# and on disk: three different images, none of them still empty
for f in a b c; do
	cmp -s -n 1048576 "$WORK/$f.img" /dev/zero && fail "$f.img was not written"
done
cmp -s "$WORK/a.img" "$WORK/b.img" && fail "a.img and b.img are equal"
cmp -s "$WORK/b.img" "$WORK/c.img" && fail "b.img and c.img are equal"
echo "config_serve: all checks passed"
