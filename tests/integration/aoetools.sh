#!/bin/sh
# aoetools (Debian's aoeping, aoecfg, aoe-sancheck) against aoede, at MTU
# 1500 and 9000, with the export on one NIC and on two.
. tests/lib/netns.sh

expect_eq() {	# WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

check_setup() {	# NNICS MTU
	nnics=$1; mtu=$2
	echo "-- $nnics NIC(s), MTU $mtu"
	nics=""; i=0
	while [ "$i" -lt "$nnics" ]; do nics="$nics t$i"; i=$((i + 1)); done
	# a state directory of its own: the config string set by the previous
	# round persists (as it should), and each round starts from none
	AOEDE_STATE_DIR="$WORK/state-$nnics-$mtu"
	# shellcheck disable=SC2086
	aoede_start 7 3 $nics "$WORK/img"

	# aoeping -I: broadcast discovery, then IDENTIFY, from every initiator port
	i=0
	while [ "$i" -lt "$nnics" ]; do
		out=$(ini timeout 5 aoeping -I 7 3 "i$i") || fail "aoeping -I on i$i"
		echo "$out" | grep -q '^model: AoEde e7.3' || fail "aoeping: model missing: $out"
		echo "$out" | grep -q '^serial_number: 7.3:' || fail "aoeping: serial missing"
		i=$((i + 1))
	done

	# aoe-sancheck: one device, one MAC per target NIC, the payload the MTU carries
	payload=$(( (mtu - 36) / 512 * 512 ))
	out=$(ini timeout 20 aoe-sancheck) || fail "aoe-sancheck failed"
	line=$(echo "$out" | grep '^e7.3') || fail "aoe-sancheck did not find e7.3: $out"
	set -- $line
	expect_eq "aoe-sancheck MACs" "$2" "$nnics"
	expect_eq "aoe-sancheck payload" "$3" "$payload"
	echo "$out" | grep -q 'not set optimally\|only capable' && fail "aoe-sancheck complains: $out"

	# aoecfg, every -c mode (each port sees the same state)
	last=i$((nnics - 1))
	expect_eq "read (empty)" "$(ini timeout 5 aoecfg -c read -t 1 7 3 i0)" ""
	expect_eq "set" "$(ini timeout 5 aoecfg -c set -s hello -t 1 7 3 i0)" "hello"
	expect_eq "read" "$(ini timeout 5 aoecfg -c read -t 1 7 3 $last)" "hello"
	expect_eq "test (match)" "$(ini timeout 5 aoecfg -c test -s hello -t 1 7 3 $last)" "hello"
	expect_eq "test (no match: no answer)" "$(ini timeout 5 aoecfg -c test -s hellx -t 1 7 3 i0)" ""
	expect_eq "prefix (match)" "$(ini timeout 5 aoecfg -c prefix -s hel -t 1 7 3 i0)" "hello"
	expect_eq "prefix (no match: no answer)" "$(ini timeout 5 aoecfg -c prefix -s help -t 1 7 3 i0)" ""
	expect_eq "set over another string" "$(ini timeout 5 aoecfg -c set -s other -t 1 7 3 i0)" "*badcfg*"
	expect_eq "read after refused set" "$(ini timeout 5 aoecfg -c read -t 1 7 3 i0)" "hello"
	expect_eq "fset" "$(ini timeout 5 aoecfg -c fset -s other -t 1 7 3 i0)" "other"
	expect_eq "read after fset" "$(ini timeout 5 aoecfg -c read -t 1 7 3 $last)" "other"
	aoede_stop
}

net_setup 2 1500
make_image "$WORK/img" 64
check_setup 1 1500
check_setup 2 1500
net_mtu 0 9000
net_mtu 1 9000
check_setup 1 9000
check_setup 2 9000
echo "aoetools: all checks passed"
