#!/bin/sh
# Exports that are block devices (a loop device: its size from
# BLKGETSIZE64), with and without O_DIRECT, and a regular image whose size is
# not a multiple of 512 (truncated, with a warning).
. tests/lib/netns.sh

net_setup 1 9000
truncate -s 64M "$WORK/backing"
LOOP=$(losetup --find --show "$WORK/backing") || { echo "SKIP: no loop device"; exit 77; }
EXTRA_CLEANUP="losetup -d $LOOP"

sectors_of() {	# what IDENTIFY says
	ini "$B/aoebench" -i i0 -s 7 -l 3 -j identify |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["sectors"])'
}

for opt in "" "-d"; do
	# shellcheck disable=SC2086
	aoede_start $opt 7 3 t0 "$LOOP"
	[ "$(sectors_of)" = 131072 ] || fail "$LOOP $opt: IDENTIFY says $(sectors_of) sectors, want 131072"
	ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 8 -p 21 writeverify > "$WORK/b" 2>&1 ||
	    { cat "$WORK/b"; fail "writeverify on $LOOP $opt"; }
	aoede_stop
	echo "ok: block device $LOOP ${opt:-(buffered)}: size from BLKGETSIZE64, data verified"
done
# what went to the device is in its backing file
aoede_start -r 7 3 t0 "$WORK/backing"
ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 8 -p 21 verify > "$WORK/b" 2>&1 ||
    { cat "$WORK/b"; fail "the backing file does not hold what was written"; }
aoede_stop

# a size that is not a multiple of 512: the tail is not exported, and said so
truncate -s $((16 * 1048576 + 100)) "$WORK/odd.img"
aoede_start 7 3 t0 "$WORK/odd.img"
grep -q "size 16777316 is not a multiple of 512; the last 100 bytes are not exported" \
    "$WORK/aoede.log" || fail "no warning for the odd size"
[ "$(sectors_of)" = 32768 ] || fail "odd image: IDENTIFY says $(sectors_of) sectors, want 32768"
aoede_stop
echo "storage_blockdev: all checks passed"
