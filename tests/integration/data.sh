#!/bin/sh
# Data integrity through the whole pipeline: a known pattern written over the
# whole export and read back, at several I/O sizes and queue depths, from two
# initiator MACs at once, at MTU 1500 and 9000 (9000 also over two NICs);
# and reads mixed with writes at random (aoebench mixverify).
. tests/lib/netns.sh

SECTORS=65536		# 32 MiB export
HALF=$((SECTORS / 2))

bench() {	# IFACE MAC SEED FIRST COUNT ARGS...  (runs in the background)
	b_if=$1; b_mac=$2; b_seed=$3; b_first=$4; b_count=$5; shift 5
	ini "$B/aoebench" -i "$b_if" -M "$b_mac" -s 7 -l 3 -p "$b_seed" -o "$b_first" \
	    -n "$b_count" "$@" > "$WORK/bench.$b_seed" 2>&1 &
}

SEED=100

# two initiators (two source MACs) write and verify disjoint halves at once
two_initiators() {	# IF_A IF_B ARGS...
	ifa=$1; ifb=$2; shift 2
	SEED=$((SEED + 2))	# new data every round, so stale data cannot pass
	seed=$SEED
	bench "$ifa" 02:00:00:00:00:0a "$seed" 0 "$HALF" "$@" writeverify
	pa=$!
	bench "$ifb" 02:00:00:00:00:0b "$((seed + 1))" "$HALF" "$HALF" "$@" writeverify
	pb=$!
	wait "$pa"; ra=$?
	wait "$pb"; rb=$?
	if [ "$ra" -ne 0 ] || [ "$rb" -ne 0 ]; then
		cat "$WORK/bench.$seed" "$WORK/bench.$((seed + 1))"
		fail "writeverify $* failed"
	fi
	# each half still holds its own pattern (no cross-talk between
	# initiators) — where the round wrote every sector, i.e. not with -r
	case " $* " in
	*" -r "*) echo "ok: two initiators, $*"; return ;;
	esac
	ini "$B/aoebench" -i "$ifa" -s 7 -l 3 -p "$seed" -o 0 -n "$HALF" -q 16 -b 65536 verify \
	    > "$WORK/v" 2>&1 || { cat "$WORK/v"; fail "re-verify of the first half"; }
	ini "$B/aoebench" -i "$ifb" -s 7 -l 3 -p "$((seed + 1))" -o "$HALF" -n "$HALF" -q 16 \
	    -b 65536 verify > "$WORK/v" 2>&1 || { cat "$WORK/v"; fail "re-verify of the second half"; }
	echo "ok: two initiators, $*: $(awk '$1 == "total" { print $6 "s", $8 " MB/s" }' "$WORK/bench.$seed")"
}

# Reads and writes at random over the same region, each read checked: the
# pattern laid down first must survive the writes in between, and the mix
# must be what -R asked for.  A wrong seed must show up as mismatches.
mixed_load() {	# IFACE
	SEED=$((SEED + 2))
	ini "$B/aoebench" -i "$1" -s 7 -l 3 -p "$SEED" -o 0 -n "$HALF" -q 16 -b 65536 \
	    write > "$WORK/m" 2>&1 || { cat "$WORK/m"; fail "mix: laying the pattern"; }
	ini "$B/aoebench" -i "$1" -s 7 -l 3 -p "$SEED" -o 0 -n "$HALF" -q 16 -r -R 70 \
	    -t 1 -j mixverify > "$WORK/m" 2>&1 || { cat "$WORK/m"; fail "mixverify"; }
	python3 - "$WORK/m" <<'PY' || fail "mixverify: not the mix asked for"
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
share = r["read_requests"] / r["requests"]
print("mix: %d reads, %d writes (%.2f reads), %d mismatches, %d errors" %
      (r["read_requests"], r["write_requests"], share, r["mismatches"], r["errors"]))
sys.exit(0 if r["requests"] >= 1000 and r["write_requests"] > 0 and
         0.6 < share < 0.8 and r["mismatches"] == 0 and r["errors"] == 0 and
         r["read_requests"] + r["write_requests"] == r["requests"] else 1)
PY
	ini "$B/aoebench" -i "$1" -s 7 -l 3 -p "$SEED" -o 0 -n "$HALF" -q 16 -b 65536 \
	    verify > "$WORK/m" 2>&1 || { cat "$WORK/m"; fail "verify after the mix"; }
	if ini "$B/aoebench" -i "$1" -s 7 -l 3 -p "$((SEED + 1))" -o 0 -n "$HALF" -q 16 \
	    -R 100 -t 0.2 mixverify > "$WORK/m" 2>&1; then
		cat "$WORK/m"
		fail "mixverify with another seed found no mismatch"
	fi
	echo "ok: mixed reads and writes keep the data"
}

net_setup 2 1500
make_image "$WORK/img" $((SECTORS / 2048))

aoede_start 7 3 t0 "$WORK/img"
for args in "-b 512 -q 8" "-b 4096 -q 16" "-b 65536 -q 4" "-b 1048576 -q 2"; do
	# shellcheck disable=SC2086
	two_initiators i0 i0 $args
done
aoede_stop

net_mtu 0 9000
net_mtu 1 9000
aoede_start 7 3 t0 t1 "$WORK/img"
for args in "-b 4096 -q 1" "-b 8192 -q 32" "-b 131072 -q 8" "-b 4096 -q 64 -r"; do
	# shellcheck disable=SC2086
	two_initiators i0 i1 $args
done
mixed_load i1
aoede_stop

# the image on disk holds what the initiators wrote: a fresh daemon reads it back
aoede_start -r 7 3 t0 "$WORK/img"
ini "$B/aoebench" -i i0 -s 7 -l 3 -q 16 -b 65536 read > "$WORK/v" 2>&1 || fail "read-only re-read"
aoede_stop
echo "data: all checks passed"
