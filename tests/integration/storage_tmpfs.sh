#!/bin/sh
# A tmpfs image is read and written through a mapping of it (blockd/memio.c),
# its group commit made at once.  Over the whole pipeline:
# - a written (fully allocated) image is mapped, and the data path over it
#   keeps the data, in both durability modes;
# - kill -9 of blockd under a write load loses no acknowledged write;
# - what was written is in the file: a daemon that reads it by system call
#   (AOEDE_NO_URING) finds it;
# - the image truncated under the mapping: reads of what is gone get ATA
#   errors, blockd lives on (no restart), the rest is still served;
# - a sparse image is not mapped, and reading it all allocates nothing.
. tests/lib/netns.sh

SECTORS=65536		# 32 MiB image

net_setup 1 9000
mkdir "$WORK/mem"
mount -t tmpfs -o size=48m tmpfs "$WORK/mem" || { echo "SKIP: cannot mount tmpfs"; exit 77; }
EXTRA_CLEANUP="umount $WORK/mem"
IMG=$WORK/mem/img
dd if=/dev/zero of="$IMG" bs=1M count=$((SECTORS / 2048)) status=none

field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
seed=$(( $(date +%s) % 100000 * 100 ))

# 1. mapped, data kept, both durability modes
for mode in -s -w; do
	aoede_start "$mode" 7 3 t0 "$IMG"
	grep -q 'e7.3: tmpfs image mapped' "$WORK/aoede.log" ||
	    { cat "$WORK/aoede.log"; fail "the written tmpfs image was not mapped"; }
	for args in "-b 4096 -q 16 -r" "-b 131072 -q 8" "-b 512 -q 4" "-b 8192 -q 1"; do
		seed=$((seed + 1))
		# shellcheck disable=SC2086
		ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -n 16384 $args writeverify \
		    > "$WORK/w" 2>&1 || { cat "$WORK/w"; fail "writeverify $mode $args"; }
	done
	echo "ok: $mode: mapped tmpfs image, writeverify at four sizes"
	aoede_stop
done

# 2. kill -9 blockd under a write load: every acknowledged write is there
lost=0
kills=0
for i in 1 2 3 4 5; do
	seed=$((seed + 1))
	aoede_start -w 7 3 t0 "$IMG"
	blockd=$(child_pid blockd) || fail "no blockd"
	# timed: passes over the region with one pattern until 0.8 s are up,
	# so the kill at 0.1-0.5 s always lands in the load
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -n "$SECTORS" -b 4096 -q 16 -w 100 \
	    -t 0.8 write > "$WORK/w" 2>&1 &
	bench=$!
	sleep "0.$i"
	kill -0 "$bench" 2>/dev/null && kill -9 "$blockd" && kills=$((kills + 1))
	wait "$bench" || { cat "$WORK/w"; fail "the write load saw errors"; }
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -n "$SECTORS" -b 65536 -q 8 verify \
	    > "$WORK/v" 2>&1
	bad=$(awk '$1 == "verify" { print $NF }' "$WORK/v")
	[ -n "$bad" ] || { cat "$WORK/v"; fail "verify did not run"; }
	lost=$((lost + bad))
	aoede_stop
done
[ "$lost" -eq 0 ] || fail "$lost acknowledged sectors lost after kill -9 of blockd"
[ "$kills" -ge 4 ] || fail "only $kills of 5 kills hit the load"
echo "ok: $kills kills of blockd under writes to the mapped image, nothing lost"

# 3. in the file: read back by system call, by a daemon that maps nothing
AOEDE_NO_URING=1 aoede_start -r 7 3 t0 "$IMG"
grep -q 'synchronous I/O requested' "$WORK/aoede.log" || fail "AOEDE_NO_URING not taken"
ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -n "$SECTORS" -b 65536 -q 8 verify \
    > "$WORK/v" 2>&1 || { cat "$WORK/v"; fail "the file does not hold what was written"; }
aoede_stop
echo "ok: the image file holds the last pattern (read by system call)"

# 4. truncated under the mapping
aoede_start -w 7 3 t0 "$IMG"
blockd=$(child_pid blockd) || fail "no blockd"
[ "$(field "$blockd" Seccomp)" = 2 ] || fail "blockd has no seccomp filter"
truncate -s 16M "$IMG"
if ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 8 -D 5 read > "$WORK/r" 2>&1; then
	cat "$WORK/r"
	fail "reading past the truncated end succeeded"
fi
grep -q 'failed: ATA status 0x41' "$WORK/r" || { cat "$WORK/r"; fail "no ATA error for the lost half"; }
grep -q 'e7.3: a read at byte .* of the mapped image faulted' "$WORK/aoede.log" ||
    { cat "$WORK/aoede.log"; fail "the fault was not logged"; }
[ "$(child_pid blockd)" = "$blockd" ] || fail "blockd was restarted (it should have caught SIGBUS)"
ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -n 32768 -b 65536 -q 8 verify > "$WORK/v" 2>&1 ||
    { cat "$WORK/v"; fail "the half still there is not served"; }
aoede_stop
echo "ok: truncated under the mapping: ATA errors past the end, blockd alive, the rest served"

# 5. a sparse image: not mapped; reading it all allocates nothing
rm -f "$IMG"
truncate -s 32M "$WORK/mem/sparse"
aoede_start -w 7 3 t0 "$WORK/mem/sparse"
grep -q 'e7.3: sparse tmpfs image' "$WORK/aoede.log" || fail "the sparse image was mapped"
ini "$B/aoebench" -i i0 -s 7 -l 3 -b 65536 -q 8 read > "$WORK/r" 2>&1 ||
    { cat "$WORK/r"; fail "reading the sparse image"; }
used=$(du -k "$WORK/mem/sparse" | cut -f1)
[ "$used" -lt 1024 ] || fail "reading the sparse image allocated ${used} KiB"
seed=$((seed + 1))
ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -n 2048 -b 4096 -q 16 -r writeverify \
    > "$WORK/w" 2>&1 || { cat "$WORK/w"; fail "writeverify on the sparse image"; }
aoede_stop
echo "ok: sparse tmpfs image served by system call; a full read allocated ${used} KiB"
echo "storage_tmpfs: all checks passed"
