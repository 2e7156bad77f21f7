#!/bin/sh
# blockd's userspace cache against the kernel page cache: random 4 KiB reads
# (aoebench -r) over a region that fits the cache, against an image on tmpfs
# and one on disk (ext4 here), with the cache off (-C 0) and on (-C 64), in
# buffered and O_DIRECT (-d; disk only: tmpfs has no O_DIRECT) modes.  Each
# run warms up first (one timed pass), then measures.  Prints one line per
# configuration.  Run as root:  AOEDE_BUILD=build sh bench/cache.sh  (also part of make bench)
. tests/lib/netns.sh

: "${SECONDS_RUN:=5}"
REGION=65536		# 32 MiB, fits a 64 MiB cache
DISKDIR=${DISKDIR:-/var/tmp}

net_setup 1 9000
disk=$(mktemp "$DISKDIR/aoede-bench.XXXXXX")
trap 'rc=$?; rm -f "$disk"; (exit $rc); cleanup' EXIT
dd if=/dev/urandom of="$disk" bs=1M count=64 status=none
shm=/dev/shm/aoede-bench.$$
cp "$disk" "$shm"
trap 'rc=$?; rm -f "$disk" "$shm"; (exit $rc); cleanup' EXIT

run() {	# LABEL IMAGE AOEDE-ARGS...
	label=$1; img=$2; shift 2
	aoede_start "$@" 7 3 t0 "$img"
	ini "$B/aoebench" -i i0 -s 7 -l 3 -o 0 -n "$REGION" -b 4096 -q 16 -r -t 2 read \
	    > /dev/null 2>&1
	ini "$B/aoebench" -i i0 -s 7 -l 3 -o 0 -n "$REGION" -b 4096 -q 16 -r \
	    -t "$SECONDS_RUN" read > "$WORK/r" 2>&1 || { cat "$WORK/r"; fail "$label"; }
	aoede_stop
	awk -v l="$label" '$1 == "read" { printf "%-28s %9s IOPS %8s MB/s  p50 %6s us  p99 %6s us\n", l, $7, $8, $9, $10 }' "$WORK/r"
}

run "tmpfs, no cache"		"$shm"
run "tmpfs, cache 64 MiB"	"$shm" -C 64
run "disk, no cache"		"$disk"
run "disk, cache 64 MiB"	"$disk" -C 64
run "disk O_DIRECT, no cache"	"$disk" -d
run "disk O_DIRECT, cache 64 MiB" "$disk" -d -C 64
