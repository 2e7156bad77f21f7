#!/bin/sh
# On the wire: the export announces itself at start (an unsolicited Query
# Config response to the broadcast MAC, from the NIC's own MAC), and every
# frame AoEde sends is a response, padded to the 60-byte Ethernet minimum,
# from the MAC of the port that received the request.
. tests/lib/netns.sh

net_setup 2 1500
make_image "$WORK/img" 16
tmac0=$(tgt cat /sys/class/net/t0/address)
tmac1=$(tgt cat /sys/class/net/t1/address)

for i in 0 1; do
	ini python3 tests/lib/capture.py "i$i" 4 > "$WORK/cap$i" &
	PIDS="$PIDS $!"
done
for i in 0 1; do
	t=0
	until grep -q listening "$WORK/cap$i" 2>/dev/null; do
		t=$((t + 1)); [ "$t" -gt 50 ] && fail "capture did not start"; sleep 0.1
	done
done
aoede_start 7 3 t0 t1 "$WORK/img"
ini timeout 5 aoeping -I 7 3 i0 > /dev/null || fail "aoeping on i0"
ini timeout 5 aoeping -I 7 3 i1 > /dev/null || fail "aoeping on i1"
wait $PIDS

python3 - "$WORK/cap0" "$WORK/cap1" "$tmac0" "$tmac1" <<'PY' || fail "wire checks"
import json, sys
caps = [[json.loads(l) for l in open(p) if '"listening"' not in l] for p in sys.argv[1:3]]
macs = sys.argv[3:5]
for i, frames in enumerate(caps):
    ours = [f for f in frames if f["src"] == macs[i]]
    assert ours, f"nothing from t{i}"
    ann = [f for f in ours if f["dst"] == "ff:ff:ff:ff:ff:ff" and f["cmd"] == 1]
    assert ann, f"no announcement on t{i}"
    a = ann[0]
    assert a["flags"] & 8 and not a["flags"] & 4, f"announcement flags {a['flags']}"
    assert (a["shelf"], a["slot"]) == (7, 3), "announcement address"
    for f in ours:
        assert f["len"] >= 60, f"short frame from t{i}: {f}"
        assert f["flags"] & 8, f"a non-response from t{i}: {f}"
        assert f["ver"] == 1, f"version {f['ver']}"
        assert (f["shelf"], f["slot"]) == (7, 3), f"address in {f}"
    # replies to i's requests come from t i's MAC only
    other = [f for f in frames if f["src"] == macs[1 - i]]
    assert not other, f"t{1-i} answered on link {i}"
    print(f"t{i}: {len(ours)} frames, announcement ok, all >= 60 bytes, all responses")
PY
aoede_stop
echo "announce: all checks passed"
