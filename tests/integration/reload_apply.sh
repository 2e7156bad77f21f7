#!/bin/sh
# aoectl reload applies a changed configuration while serving:
#   - three exports on two NICs serve aoetools and aoebench at once;
#   - under a verified aoebench load on e1.1 (t0, t1) and e1.3 (t1), a
#     reload adds e1.4 and removes e1.2: no load error, e1.4 answers,
#     e1.2 no longer does, no child was restarted;
#   - the reply comes once the change is in effect: an added export
#     answers the first query sent after it, and netd keeps its transmit
#     socket (the supervisor opens no idle one);
#   - a reload adds NIC t2 (with e1.5), another removes it again; added
#     again it takes over the slot it left (one ring, not two), also when
#     blockd was restarted in between;
#   - a netd that does not take a reload up (stopped) is named in the
#     reply after 5 s; once it runs, the export it adds answers; so is a
#     stopped blockd; one that dies instead is replaced, and the reply
#     comes once the new one has the change;
#   - a reload that changes a [global] key is refused by name and
#     changes nothing, not even the export it also adds.
. tests/lib/netns.sh

net_setup 3 1500
for f in a b c d e f; do make_image "$WORK/$f.img" 16; done

conf() {	# the exports' sections, one "NAME SLOT IMAGE NICS" per argument
	echo "# written by $0"
	for x in "$@"; do
		set -- $x
		printf '[export %s]\nshelf = 1\nslot = %s\npath = %s.img\nnics = %s\n\n' \
		    "$1" "$2" "$3" "$(echo "$4" | tr , ' ')"
	done
}
E1="both 1 a t0,t1"
E2="only-t0 2 b t0"
E3="only-t1 3 c t1"
E4="new-t0 4 d t0"
E5="on-t2 5 e t2"
E6="new-t1 6 f t1"
conf "$E1" "$E2" "$E3" > "$WORK/aoede.conf"
aoede_start -c "$WORK/aoede.conf"

# aoeping sends each request once and never again, where an initiator
# retransmits.  Under the load below a frame can be lost (a full packet
# ring while netd takes over the socket a reload hands it), so, like an
# initiator, ask up to three times.
answers() {	# SLOT IFACE: e1.SLOT answers aoeping on IFACE
	for try in 1 2 3; do
		ini timeout 3 aoeping -I 1 "$1" "$2" 2>/dev/null |
		    grep -q "^model: AoEde e1.$1" && return 0
	done
	return 1
}
first_answer() {	# SLOT IFACE: e1.SLOT answers the first aoeping
	ini timeout 3 aoeping -I 1 "$1" "$2" 2>/dev/null | grep -q "^model: AoEde e1.$1"
}
silent() {	# SLOT IFACE: e1.SLOT does not answer on IFACE
	! ini timeout 3 aoeping 1 "$1" "$2" > /dev/null 2>&1
}
bench() {	# IFACE SLOT SEED ARGS... (the command last)
	i=$1 l=$2 p=$3; shift 3
	ini "$B/aoebench" -i "$i" -s 1 -l "$l" -p "$p" -b 16384 -q 8 -j "$@"
}
clean() {	# FILE: a JSON result with no error and no mismatch
	grep -q '"errors":0,' "$1" && grep -q '"mismatches":0,' "$1" &&
	    grep -q '"aoe_errors":0,' "$1"
}

# --- three exports on two NICs, to aoetools and aoebench at once ----------
bench i0 1 11 writeverify > "$WORK/b1" 2>&1 & p1=$!
bench i0 2 12 writeverify > "$WORK/b2" 2>&1 & p2=$!
bench i1 3 13 writeverify > "$WORK/b3" 2>&1 & p3=$!
for t in "1 i0" "1 i1" "2 i0" "3 i1"; do
	# shellcheck disable=SC2086
	answers $t || fail "aoeping: e1.${t% *} does not answer on ${t#* }"
done
out=$(ini timeout 30 aoe-sancheck) || fail "aoe-sancheck: $out"
[ "$(echo "$out" | grep -c '^e1\.[123][[:space:]]')" -eq 3 ] ||
    fail "aoe-sancheck does not see e1.1, e1.2 and e1.3: $out"
for p in $p1 $p2 $p3; do wait "$p" || { cat "$WORK"/b?; fail "writeverify"; }; done
for f in b1 b2 b3; do clean "$WORK/$f" || { cat "$WORK/$f"; fail "$f: errors"; }; done
echo "ok: e1.1, e1.2, e1.3 on two NICs serve aoetools and aoebench at once"

netd0=$(child_pid netd 0) && netd1=$(child_pid netd 1) && blockd=$(child_pid blockd) ||
    fail "children missing"
same_children() {
	[ "$(child_pid netd 0)" = "$netd0" ] && [ "$(child_pid netd 1)" = "$netd1" ] &&
	    [ "$(child_pid blockd)" = "$blockd" ]
}

# --- add e1.4 and remove e1.2 under a verified load on e1.1 and e1.3 ------
bench i0 1 21 -t 6 writeverify > "$WORK/l1" 2>&1 & l1=$!
bench i1 3 23 -t 6 writeverify > "$WORK/l3" 2>&1 & l3=$!
sleep 1.5
conf "$E1" "$E3" "$E4" > "$WORK/aoede.conf"
out=$(ctl reload 2>&1) || fail "reload: $out"
echo "$out" | grep -q "added e1.4, removed e1.2" || fail "reload says: $out"
echo "$out" | grep -q "not yet in effect" && fail "reload says: $out"
first_answer 4 i0 || fail "e1.4 does not answer the first query after the reload's reply"
silent 2 i0 || fail "e1.2 still answers after the reload"
bench i0 4 14 writeverify > "$WORK/b4" 2>&1 || { cat "$WORK/b4"; fail "writeverify e1.4"; }
wait "$l1" || { cat "$WORK/l1"; fail "the load on e1.1 failed across the reload"; }
wait "$l3" || { cat "$WORK/l3"; fail "the load on e1.3 failed across the reload"; }
for f in l1 l3 b4; do clean "$WORK/$f" || { cat "$WORK/$f"; fail "$f: errors"; }; done
same_children || fail "a child was restarted by the reload"
# the transmit socket netd holds (fd 8, proto/fds.h) is still the one the
# supervisor holds: the switch opened no second, idle ring
tx=$(readlink "/proc/$netd0/fd/8") || fail "netd[t0] has no fd 8"
ls -l "/proc/$AOEDE_PID/fd" | grep -qF "$tx" ||
    fail "after the reload the supervisor no longer holds netd[t0]'s transmit socket $tx"
grep -q "reload: $WORK/aoede.conf added e1.4, removed e1.2" "$WORK/aoede.log" ||
    fail "the reload is not logged"
echo "ok: reload added e1.4 and removed e1.2 under load: no error, no restart"
bench i0 2 12 verify > /dev/null 2>&1 && fail "e1.2 still serves data"
bench i1 1 21 verify > "$WORK/v" 2>&1 || { cat "$WORK/v"; fail "e1.1 lost data"; }

# --- a NIC added, then removed -------------------------------------------
conf "$E1" "$E3" "$E4" "$E5" > "$WORK/aoede.conf"
out=$(ctl reload 2>&1) || fail "reload: $out"
echo "$out" | grep -q "added e1.5, nic t2 added" || fail "reload says: $out"
first_answer 5 i2 || fail "e1.5 does not answer on the new NIC t2 once the reload answered"
bench i2 5 15 writeverify > "$WORK/b5" 2>&1 || { cat "$WORK/b5"; fail "writeverify e1.5"; }
netd2=$(child_pid netd 2) || fail "no netd for t2"
ctl status | grep -q '^t2 ' || fail "aoectl status does not list t2: $(ctl status)"
same_children || fail "adding a NIC restarted a child"
echo "ok: reload added NIC t2 with e1.5"

conf "$E1" "$E3" "$E4" > "$WORK/aoede.conf"
out=$(ctl reload 2>&1) || fail "reload: $out"
echo "$out" | grep -q "removed e1.5, nic t2 removed" || fail "reload says: $out"
t=0
while kill -0 "$netd2" 2>/dev/null; do
	t=$((t + 1)); [ "$t" -gt 50 ] && fail "netd[t2] did not exit"; sleep 0.1
done
silent 5 i2 || fail "e1.5 still answers after t2 was removed"
ctl status | grep -q '^t2 ' && fail "aoectl status still lists t2"
grep -q "netd\[t2\].*exited with status" "$WORK/aoede.log" && fail "t2's netd stop logged as a failure"
answers 1 i0 && answers 4 i0 && answers 3 i1 || fail "the other exports stopped answering"
same_children || fail "removing a NIC restarted a child"
echo "ok: reload removed NIC t2; its netd stopped, the rest serves on"

# --- a NIC added again takes over the slot one removed left --------------
rings() {	# how many rings of t2 the supervisor holds
	ls -l "/proc/$AOEDE_PID/fd" | grep -c 'memfd:aoede-ring-t2'
}
readd_t2() {	# WHAT: add t2 with e1.5 again; its data is still there
	conf "$E1" "$E3" "$E4" "$E5" > "$WORK/aoede.conf"
	out=$(ctl reload 2>&1) || fail "reload ($1): $out"
	echo "$out" | grep -q "added e1.5, nic t2 added" || fail "reload ($1) says: $out"
	first_answer 5 i2 || fail "e1.5 does not answer on t2 added again ($1)"
	bench i2 5 15 verify > "$WORK/v5" 2>&1 || { cat "$WORK/v5"; fail "verify e1.5 ($1)"; }
	[ "$(rings)" -eq 1 ] ||
	    fail "the supervisor holds $(rings) rings of t2 ($1): the slot was not taken over"
}
remove_t2() {
	netd2=$(child_pid netd 2) || fail "no netd for t2"
	conf "$E1" "$E3" "$E4" > "$WORK/aoede.conf"
	out=$(ctl reload 2>&1) || fail "reload: $out"
	t=0
	while kill -0 "$netd2" 2>/dev/null; do
		t=$((t + 1)); [ "$t" -gt 50 ] && fail "netd[t2] did not exit"; sleep 0.1
	done
}
readd_t2 "after a removal"
remove_t2
# a blockd started now gets the retired ring too (no nic-remove reaches it)
kill -KILL "$blockd"
t=0
while [ "$(child_pid blockd)" = "$blockd" ] || ! answers 1 i0; do
	t=$((t + 1)); [ "$t" -gt 30 ] && fail "blockd was not restarted"; sleep 0.2
done
blockd=$(child_pid blockd)
readd_t2 "after a blockd restart"
remove_t2
same_children || fail "taking a slot over restarted a child"
echo "ok: t2 added again takes over its old slot, also with a blockd started since"

# --- refused: a [global] key that cannot change, nothing changes ---------
{ printf '[global]\noperator-group = root\n\n'; conf "$E1" "$E3" "$E4" "$E2"; } > "$WORK/aoede.conf"
ctl reload 2> "$WORK/err" && fail "a reload changing operator-group succeeded"
grep -q "operator-group cannot change at run time" "$WORK/err" || fail "reload: $(cat "$WORK/err")"
grep -q "nothing was changed" "$WORK/err" || fail "reload: $(cat "$WORK/err")"
silent 2 i0 || fail "the refused reload added e1.2 anyway"
answers 4 i0 || fail "the refused reload changed e1.4"
same_children || fail "the refused reload restarted a child"
echo "ok: a reload changing a [global] key is refused by name; nothing changed"

# --- a netd that does not take the reload up is named after 5 s --------
kill -STOP "$netd1"
conf "$E1" "$E3" "$E4" "$E6" > "$WORK/aoede.conf"
out=$(ctl reload 2>&1); rc=$?
kill -CONT "$netd1"
[ "$rc" -eq 0 ] || fail "reload with netd[t1] stopped: $out"
echo "$out" | grep -q "^added e1.6; not yet in effect on t1 after 5 s" ||
    fail "reload with netd[t1] stopped says: $out"
grep -q "reload: not yet in effect on t1 after 5 s" "$WORK/aoede.log" ||
    fail "the late NIC is not logged"
answers 6 i1 || fail "e1.6 does not answer once netd[t1] runs again"
same_children || fail "a stopped netd was restarted"
echo "ok: a reload that a stopped netd does not take up answers after 5 s, naming t1"

# --- blockd too: the reply waits until it has done what it was sent -----
kill -STOP "$blockd"
conf "$E1" "$E3" "$E4" > "$WORK/aoede.conf"
out=$(ctl reload 2>&1); rc=$?
kill -CONT "$blockd"
[ "$rc" -eq 0 ] || fail "reload with blockd stopped: $out"
echo "$out" | grep -q "^removed e1.6; not yet in effect on blockd after 5 s" ||
    fail "reload with blockd stopped says: $out"
silent 6 i1 || fail "e1.6 still answers after its removal"
answers 1 i1 && answers 3 i1 || fail "t1's other exports stopped answering"
same_children || fail "a stopped blockd was restarted"
echo "ok: a reload that a stopped blockd has not done answers after 5 s, naming blockd"

# a blockd that dies before it answers: its successor is asked, and answers
kill -STOP "$blockd"
conf "$E1" "$E3" "$E4" "$E6" > "$WORK/aoede.conf"
ctl reload > "$WORK/reload.out" 2>&1 & r=$!
sleep 1
kill -KILL "$blockd"
wait "$r" || fail "reload across a blockd restart: $(cat "$WORK/reload.out")"
grep -q "^added e1.6$" "$WORK/reload.out" ||
    fail "reload across a blockd restart says: $(cat "$WORK/reload.out")"
first_answer 6 i1 || fail "e1.6 does not answer after a reload across a blockd restart"
blockd=$(child_pid blockd) || fail "no blockd"
echo "ok: a reload whose blockd died answers once the restarted blockd has it all"

# --- aoectl export list --------------------------------------------------
conf "$E1" "$E3" "$E4" > "$WORK/aoede.conf"
ctl reload > /dev/null || fail "reload back"
ctl export list > "$WORK/list" || fail "aoectl export list"
[ "$(grep -c '^e1\.' "$WORK/list")" -eq 3 ] || fail "export list: $(cat "$WORK/list")"
grep -q "^e1.1 *$WORK/a.img *t0,t1 *16.0 MiB *no *sync$" "$WORK/list" ||
    fail "export list, e1.1: $(cat "$WORK/list")"
ctl export list --json > "$WORK/json" || fail "aoectl export list --json"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
x = {e["export"]: e for e in r["exports"]}
assert sorted(x) == ["e1.1", "e1.3", "e1.4"], x
assert x["e1.1"]["nics"] == ["t0", "t1"] and x["e1.1"]["size_bytes"] == 16 << 20
assert x["e1.4"]["read_only"] is False and x["e1.4"]["durability"] == "sync"
' "$WORK/json" || fail "export list --json: $(cat "$WORK/json")"
echo "ok: aoectl export list, text and JSON"

aoede_stop
echo "reload_apply: all checks passed"
