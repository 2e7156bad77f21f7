#!/bin/sh
# Every frame AoEde sends decodes cleanly in Wireshark's AoE dissector: a
# capture of discovery, IDENTIFY, every config-string mode, the MTU probe,
# reads and writes, errors (out of range, read-only) and the start-up
# announcement, read back by tshark with no malformed frame and no
# error-level expert information.
. tests/lib/netns.sh

command -v tshark > /dev/null || fail "tshark is missing (make deps installs it)"
command -v tcpdump > /dev/null || fail "tcpdump is missing (make deps installs it)"
net_setup 2 9000
make_image "$WORK/img" 16
make_image "$WORK/ro" 1

ini tcpdump -i i0 -U -s 0 -w "$WORK/cap0.pcap" ether proto 0x88a2 2> "$WORK/tcpdump0" &
PIDS="$PIDS $!"
ini tcpdump -i i1 -U -s 0 -w "$WORK/cap1.pcap" ether proto 0x88a2 2> "$WORK/tcpdump1" &
PIDS="$PIDS $!"
sleep 1
cat > "$WORK/aoede.conf" <<CONF
[export rw]
shelf = 7
slot = 3
path = $WORK/img
nics = t0
[export ro]
shelf = 7
slot = 4
path = $WORK/ro
nics = t1
read-only = yes
CONF
aoede_start -c "$WORK/aoede.conf"
ini timeout 5 aoeping -I 7 3 i0 > /dev/null || fail "aoeping"
for mode in read set test prefix fset; do
	ini timeout 5 aoecfg -c "$mode" -s hello -t 1 7 3 i0 > /dev/null
done
ini timeout 20 aoe-sancheck > /dev/null
ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 8 -n 8192 writeverify > /dev/null ||
    fail "writeverify"
# an LBA beyond the end: an ATA error (IDNF) in the reply
ini "$B/aoebench" -i i0 -s 7 -l 3 -o 32760 -n 8 -b 4096 read > /dev/null 2>&1
# a write to the read-only export: ATA error (ABRT)
ini "$B/aoebench" -i i1 -s 7 -l 4 -n 8 -b 4096 write > /dev/null 2>&1 &&
    fail "a write to a read-only export succeeded"
sleep 1
aoede_stop
for p in $PIDS; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
PIDS=""

for cap in "$WORK/cap0.pcap" "$WORK/cap1.pcap"; do
	total=$(tshark -r "$cap" -Y 'aoe.response == 1' 2>/dev/null | wc -l)
	[ "$total" -gt 0 ] || fail "no AoE responses in $cap"
	malformed=$(tshark -r "$cap" -Y '_ws.malformed' 2>/dev/null | wc -l)
	[ "$malformed" -eq 0 ] || {
		tshark -r "$cap" -Y '_ws.malformed' 2>/dev/null | head -5
		fail "$malformed malformed frames in $cap"
	}
	experr=$(tshark -r "$cap" -Y '_ws.expert.severity == error' 2>/dev/null | wc -l)
	[ "$experr" -eq 0 ] || fail "$experr frames with expert errors in $cap"
	echo "ok: $(basename "$cap"): $total AoE responses, all decoded cleanly"
done
echo "wireshark: all checks passed"
