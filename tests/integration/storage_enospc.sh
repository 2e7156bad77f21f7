#!/bin/sh
# A sparse image on a file system that fills up (R4): the writes that find
# no space get an ATA error, counted and logged with eS.L and the offset;
# reads keep working; nothing is acknowledged that is not there.
. tests/lib/netns.sh

net_setup 1 9000
mkdir "$WORK/small"
mount -t tmpfs -o size=8m tmpfs "$WORK/small" || { echo "SKIP: cannot mount tmpfs"; exit 77; }
EXTRA_CLEANUP="umount $WORK/small"
truncate -s 64M "$WORK/small/img"		# sparse: 64 MiB on 8 MiB of room
aoede_start 7 3 t0 "$WORK/small/img"

ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 4 -p 9 -D 5 write > "$WORK/w" 2>&1 &&
    fail "writing 64 MiB into 8 MiB succeeded"
grep -q 'failed: ATA status 0x41' "$WORK/w" || { cat "$WORK/w"; fail "no ATA error seen by the initiator"; }
grep -q 'e7.3: write .* failed: No space left on device' "$WORK/aoede.log" ||
    fail "no log line naming e7.3 and the offset"
sleep 1.2
ctl --json stats | python3 -c '
import json, sys
x = json.load(sys.stdin)["exports"][0]
assert x["err_io"] > 0, x
print("failed writes (err_io):", x["err_io"], "- acknowledged writes:", x["writes"])' || fail "err_io not counted"

# reads keep working, over the whole export
ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 8 read > "$WORK/r" 2>&1 ||
    { cat "$WORK/r"; fail "reads fail on a full file system"; }
# what was acknowledged is there: the sectors the initiator was told were
# written hold the pattern (aoebench verify only counts mismatches; the
# failed requests' sectors may hold anything, so verify the first MiB, which
# was written before the file system filled)
ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 8 -p 9 -n 2048 verify > "$WORK/v" 2>&1 ||
    { cat "$WORK/v"; fail "the first MiB, acknowledged, is not there"; }
aoede_stop
echo "storage_enospc: all checks passed"
