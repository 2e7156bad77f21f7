#!/bin/sh
# R3/R4: a backing store whose writes fail.  The image is a FUSE file
# (nbdfuse) in front of nbdkit's memory plugin behind its error filter;
# writes fail with EIO while $WORK/fail-writes exists.  The initiator must
# get an ATA error for the failing requests (never an acknowledgement), the
# export must keep serving (reads of what was written before still verify),
# the log must name e7.3 and the byte offset, and once the errors stop,
# writes work again.  Needs nbdkit, libnbd-bin (nbdfuse) and fuse3.
. tests/lib/netns.sh

for tool in nbdkit nbdfuse fusermount3; do
	command -v "$tool" > /dev/null || { echo "skip: $tool not installed"; exit 77; }
done
[ -c /dev/fuse ] || { echo "skip: no /dev/fuse"; exit 77; }
nbdkit --dump-plugin memory > /dev/null 2>&1 || { echo "skip: no nbdkit memory plugin"; exit 77; }

# unmount before netns.sh's cleanup removes $WORK (blockd may still hold the
# file: lazy), and keep the exit status for it
trap 'rc=$?; fusermount3 -uz "$WORK/mnt" 2>/dev/null; (exit $rc); cleanup' EXIT

mkdir "$WORK/mnt"
nbdkit -U "$WORK/nbd.sock" -P "$WORK/nbdkit.pid" --filter=error memory 64M \
    error-pwrite=EIO error-pwrite-rate=100% error-pwrite-file="$WORK/fail-writes" ||
    fail "nbdkit did not start"
t=0
while [ ! -s "$WORK/nbdkit.pid" ]; do
	t=$((t + 1)); [ "$t" -gt 50 ] && fail "nbdkit did not write its pid"; sleep 0.1
done
PIDS="$PIDS $(cat "$WORK/nbdkit.pid")"
# allow_other: blockd reads and writes as its own unprivileged user
nbdfuse -o allow_other "$WORK/mnt/img" --unix "$WORK/nbd.sock" 2> "$WORK/nbdfuse.log" &
PIDS="$PIDS $!"
t=0
while [ ! -f "$WORK/mnt/img" ]; do
	t=$((t + 1)); [ "$t" -gt 50 ] && fail "nbdfuse did not mount"; sleep 0.1
done

net_setup 1 1500
bench() {	# OUT ARGS...
	out=$1; shift
	ini "$B/aoebench" -i i0 -s 7 -l 3 -w 100 -D 20 "$@" > "$WORK/$out" 2>&1
}
col() { awk -v c="$2" '$1 == "write" || $1 == "verify" || $1 == "read" { print $c }' "$WORK/$1"; }

for mode in -s -w; do
	rm -f "$WORK/fail-writes"
	aoede_start -v "$mode" 7 3 t0 "$WORK/mnt/img"
	# A: the first 8 MiB, written and verified while the store is healthy
	bench a -p 11 -o 0 -n 16384 -b 4096 -q 8 writeverify ||
	    { cat "$WORK/a"; fail "$mode: writes on a healthy store"; }

	# B: writes while the store fails: every request an ATA error
	touch "$WORK/fail-writes"
	if bench b -p 12 -o 16384 -n 2048 -b 4096 -q 8 write; then
		cat "$WORK/b"; fail "$mode: writes to a failing store were acknowledged"
	fi
	errs=$(col b 14)
	[ "${errs:-0}" -gt 0 ] || { cat "$WORK/b"; fail "$mode: no ATA errors reported"; }
	grep -q "e7.3: write of .* (byte offset [0-9]*) failed: Input/output error" \
	    "$WORK/aoede.log" || fail "$mode: the log does not name e7.3 and the offset"
	[ "$(col b 4)" = 0 ] || { cat "$WORK/b"; fail "$mode: a write to the failing store was acknowledged"; }
	grep -q "failed: ATA status 0x41 error 0x4" "$WORK/b" || fail "$mode: not an ATA ABRT"
	echo "ok: $mode: failing store: $errs requests answered with ATA ABRT, none acknowledged"

	# reads keep working meanwhile: A is intact
	bench a2 -p 11 -o 0 -n 16384 -b 65536 -q 4 verify ||
	    { cat "$WORK/a2"; fail "$mode: reads failed while writes were failing"; }

	# errors off: writes work again, and stick
	rm -f "$WORK/fail-writes"
	bench c -p 13 -o 16384 -n 2048 -b 4096 -q 8 writeverify ||
	    { cat "$WORK/c"; fail "$mode: writes after the store recovered"; }
	aoede_stop
	line=$(grep "e7.3: at exit:" "$WORK/aoede.log" | tail -1)
	ioerr=$(echo "$line" | sed -n 's/.* errors \([0-9]*\) .*/\1/p')
	[ "${ioerr:-0}" -ge "$errs" ] ||
	    fail "$mode: export counts $ioerr I/O errors for $errs failed requests"
	echo "ok: $mode: reads kept working, writes recovered; err_io $ioerr"
done
echo "storage_failing_disk: all checks passed"
