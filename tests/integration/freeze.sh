#!/bin/sh
# Freeze and unfreeze under a continuous verified write load (issue #6,
# blockd/shadow.h).  An initiator (aoebench) keeps writing the region pass
# after pass, each pass with a new seed, from the first second to the last.
#
# 1. freeze (its latency under load is printed; O_DIRECT image with the read
#    cache on): the image's checksum stays
#    the same for the whole frozen period while the writes go on and read
#    back right; unfreeze: the merge runs in the background while the load
#    goes on; afterwards the image holds exactly the last pass (verified),
#    and the shadow files are gone.
# 2. kill -9 at random points while frozen and while merging, CYCLES times
#    with blockd as the victim and CYCLES times with the whole daemon: the
#    state comes back (still frozen: the image unchanged; merging: the merge
#    goes on) and no acknowledged write is lost.
# 3. Errors: no shadow directory, double freeze, unfreeze of a thawed
#    export, a full shadow file system (the writes that do not fit fail,
#    nothing acknowledged is lost), a file system without sparse files.
. tests/lib/netns.sh

: "${CYCLES:=20}"
SECTORS=32768		# the region: 16 MiB, a pass takes about half a second

net_setup 1 1500
make_image "$WORK/img" 64
SHADOW=$WORK/shadow	# created by aoede, owned by the blockd user

rand_ms() {	# a random number of milliseconds in [0, $1)
	echo $(( $(od -An -N2 -tu2 /dev/urandom) % $1 ))
}
rand_sleep() { sleep "$(awk -v ms="$(rand_ms "$1")" 'BEGIN { printf "%.3f", ms / 1000 }')"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

wait_state() {	# STATE SECONDS
	t=0
	while [ "$(freeze_state)" != "$1" ]; do
		t=$((t + 1))
		[ "$t" -gt $(($2 * 10)) ] && fail "e7.3 not $1 within $2 s (it is $(freeze_state))"
		sleep 0.1
	done
}

# --- the load: write passes, each with a new seed, until $WORK/stop --------
# Each pass that ends without error appends its seed to $WORK/passes: the
# last one is what the region must hold once the load is over.
load_start() {	# FIRST-SEED
	rm -f "$WORK/stop" "$WORK/passes"
	(
		seed=$1
		while [ ! -e "$WORK/stop" ]; do
			ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -o 0 -n "$SECTORS" \
			    -b 4096 -q 16 -w 100 write > "$WORK/load.out" 2>&1 ||
			    { cat "$WORK/load.out"; echo "load: pass $seed failed"; exit 1; }
			echo "$seed" >> "$WORK/passes"
			seed=$((seed + 1))
		done
	) &
	LOAD=$!
}
load_stop() {
	touch "$WORK/stop"
	wait "$LOAD" || fail "the write load saw errors"
	LOAD=
}
last_pass() { tail -1 "$WORK/passes"; }
verify_last() {	# WHAT
	seed=$(last_pass)
	[ -n "$seed" ] || fail "$1: no write pass completed"
	ini "$B/aoebench" -i i0 -s 7 -l 3 -p "$seed" -o 0 -n "$SECTORS" -b 65536 -q 8 \
	    verify > "$WORK/v" 2>&1
	bad=$(awk '$1 == "verify" { print $NF }' "$WORK/v")
	[ -n "$bad" ] || { cat "$WORK/v"; fail "$1: verify did not run"; }
	[ "$bad" -eq 0 ] || { tail -5 "$WORK/v"; fail "$1: $bad sectors do not hold pass $seed"; }
}
npasses() { cat "$WORK/passes" 2>/dev/null | wc -l; }
wait_passes() {	# N: until N more passes completed
	want=$(( $(npasses) + $1 ))
	t=0
	while [ "$(npasses)" -lt "$want" ]; do
		t=$((t + 1))
		[ "$t" -gt 600 ] && fail "the load made no progress in 60 s"
		sleep 0.1
	done
}

# --- 1. freeze, write on, unfreeze, merge under load --------------------------
# -d: O_DIRECT image and blockd's read cache (on by default with -d), so the
# shadow's reads, the merge's aligned copies and the cache are all in play
aoede_start -d -f "$SHADOW" 7 3 t0 "$WORK/img"
[ "$(stat -c %U "$SHADOW")" = aoede-blockd ] || fail "the shadow directory is not the blockd user's"
load_start 1000
wait_passes 1
t0=$(now_ms)
ctl freeze e7.3 > "$WORK/out" || fail "freeze failed"
t1=$(now_ms)
grep -q "e7.3 frozen: the image no longer changes" "$WORK/out" || fail "freeze said: $(cat "$WORK/out")"
echo "freeze latency under load: $((t1 - t0)) ms (aoectl to reply); blockd: $(sed 's/.*(//; s/)//' "$WORK/out")"
frozen_sum=$(image_sum)
[ -f "$SHADOW/e7.3.shadow" ] && [ -f "$SHADOW/e7.3.map" ] || fail "no shadow files while frozen"
[ "$(freeze_state)" = frozen ] || fail "stats does not say frozen"
for i in 1 2 3; do
	wait_passes 1
	[ "$(image_sum)" = "$frozen_sum" ] || fail "the image changed while frozen (after $i passes)"
done
# what was written while frozen reads back (from the shadow)
load_stop
verify_last "frozen, read through the shadow"
[ "$(image_sum)" = "$frozen_sum" ] || fail "the image changed while frozen"
shadow_bytes=$(ctl --json stats e7.3 | python3 -c 'import json,sys; print(json.load(sys.stdin)["exports"][0]["shadow_bytes"])')
echo "ok: frozen for 3+ passes: image checksum constant, shadow $shadow_bytes bytes on disk"
load_start 2000
wait_passes 1
ctl unfreeze e7.3 > "$WORK/out" || fail "unfreeze failed"
grep -q "merging .* sectors .* in the background" "$WORK/out" || fail "unfreeze said: $(cat "$WORK/out")"
wait_state thawed 120
wait_passes 1
load_stop
verify_last "after the merge"
[ -z "$(ls -A "$SHADOW")" ] || fail "shadow files left after the merge: $(ls "$SHADOW")"
aoede_stop
# the image itself, with no daemon in between: what the last pass wrote
aoede_start 7 3 t0 "$WORK/img"
verify_last "the image alone"
aoede_stop
echo "ok: unfreeze merged under load; the image holds exactly the last pass; shadow removed"

# --- 2. kill -9 while frozen and while merging ---------------------------------
lost=0
merge_hits=0
restart_daemon() {	# MODE OLD-BLOCKD: after a kill, have it all serving again
	if [ "$1" = daemon ]; then
		wait "$AOEDE_PID" 2>/dev/null
		AOEDE_PID=
		aoede_start -f "$SHADOW" 7 3 t0 "$WORK/img"
	fi
	# a new blockd, and its first report (the supervisor forgets the
	# states of a blockd that died)
	t=0
	while ! blockd=$(child_pid blockd) || [ "$blockd" = "$2" ] ||
	    [ "$(freeze_state)" = unknown ]; do
		t=$((t + 1))
		[ "$t" -gt 100 ] && fail "blockd did not come back"
		sleep 0.1
	done
}
victim() {	# MODE
	if [ "$1" = daemon ]; then echo "$AOEDE_PID"; else child_pid blockd; fi
}
map_state() {	# the state word of the map's header: 1 frozen, 2 merging
	[ -f "$SHADOW/e7.3.map" ] || { echo 0; return; }
	od -An -tu4 -j12 -N4 "$SHADOW/e7.3.map" | tr -d ' '
}
cycle() {	# MODE SEED
	aoede_start -f "$SHADOW" 7 3 t0 "$WORK/img"
	load_start "$2"
	rand_sleep 300
	ctl freeze e7.3 > /dev/null || fail "$1 cycle: freeze failed"
	frozen_sum=$(image_sum)
	rand_sleep 800
	old=$(child_pid blockd)
	kill -9 "$(victim "$1")"
	restart_daemon "$1" "$old"
	[ "$(freeze_state)" = frozen ] || fail "$1 cycle: not frozen after the kill ($(freeze_state))"
	wait_passes 1
	[ "$(image_sum)" = "$frozen_sum" ] || fail "$1 cycle: the image changed while frozen"
	# a 16 MiB merge under load lasts some 20-150 ms here; on a faster
	# disk it may end before the kill: freeze again and try sooner
	window=40
	for attempt in 1 2 3 4; do
		ctl unfreeze e7.3 > /dev/null || fail "$1 cycle: unfreeze failed"
		rand_sleep "$window"
		if [ "$(map_state)" = 2 ]; then
			old=$(child_pid blockd)
			kill -9 "$(victim "$1")"
			merge_hits=$((merge_hits + 1))
			restart_daemon "$1" "$old"
			break
		fi
		[ "$attempt" = 4 ] && break
		wait_state thawed 120
		ctl freeze e7.3 > /dev/null || fail "$1 cycle: freeze again failed"
		wait_passes 1
		window=$((window / 2))
	done
	wait_state thawed 120
	wait_passes 1
	load_stop
	verify_last "$1 cycle (seed $2)"
	[ -z "$(ls -A "$SHADOW")" ] || fail "$1 cycle: shadow files left: $(ls "$SHADOW")"
	aoede_stop
}
seed=$(( $(date +%s) % 100000 * 100 ))
for mode in blockd daemon; do
	hits_before=$merge_hits
	i=0
	while [ "$i" -lt "$CYCLES" ]; do
		seed=$((seed + 100))
		cycle "$mode" "$seed"
		i=$((i + 1))
	done
	echo "ok: $CYCLES cycles killing $mode while frozen (all) and while merging" \
	    "($((merge_hits - hits_before)) hit the merge): 0 acknowledged writes lost"
done
[ "$merge_hits" -ge $((CYCLES * 3 / 2)) ] || fail "too few kills hit a merge ($merge_hits of $((2 * CYCLES)))"

# --- 3. errors ---------------------------------------------------------------
expect_error() {	# MESSAGE ARGS...
	want=$1; shift
	if ctl "$@" > "$WORK/out" 2> "$WORK/err"; then fail "aoectl $* succeeded"; fi
	grep -qF "$want" "$WORK/err" || { cat "$WORK/err"; fail "aoectl $*: not '$want'"; }
}
aoede_start 7 3 t0 "$WORK/img"
expect_error "e7.3 has no shadow directory" freeze e7.3
expect_error "e7.3 is not frozen" unfreeze e7.3
aoede_stop
aoede_start -f "$SHADOW" 7 3 t0 "$WORK/img"
ctl freeze e7.3 > /dev/null || fail "freeze"
expect_error "e7.3 is already frozen" freeze e7.3
ctl unfreeze e7.3 > /dev/null || fail "unfreeze"
wait_state thawed 60
expect_error "e7.3 is not frozen" unfreeze e7.3
aoede_stop
echo "ok: no shadow directory, double freeze, unfreeze of a thawed export: clear errors"

# reload and freeze: a frozen export cannot be removed (its shadow holds
# acknowledged writes the image has not); an export a reload adds can be
# frozen at once (its shadow directory reaches the running blockd)
make_image "$WORK/img2" 16
conf() {	# SLOT IMAGE: one export e7.SLOT with the shadow directory
	printf '[export e7.%s]\nshelf = 7\nslot = %s\npath = %s\nnics = t0\nshadow-directory = %s\n' \
	    "$1" "$1" "$2" "$SHADOW" > "$WORK/aoede.conf"
}
conf 3 "$WORK/img"
aoede_start -c "$WORK/aoede.conf"
blockd=$(child_pid blockd)
ctl freeze e7.3 > /dev/null || fail "freeze (configuration file)"
conf 4 "$WORK/img2"
expect_error "e7.3 is frozen: unfreeze it and wait until it is thawed before removing it" reload
[ "$(freeze_state)" = frozen ] || fail "a refused reload changed the freeze"
ctl unfreeze e7.3 > /dev/null || fail "unfreeze"
wait_state thawed 60
ctl reload > "$WORK/out" || fail "reload after the thaw: $(cat "$WORK/err" 2>/dev/null)"
ctl freeze e7.4 > "$WORK/out" || fail "freeze of an export a reload added"
grep -q "e7.4 frozen" "$WORK/out" || fail "freeze e7.4 said: $(cat "$WORK/out")"
[ -f "$SHADOW/e7.4.map" ] || fail "no shadow map for the added export"
ini "$B/aoebench" -i i0 -s 7 -l 4 -p 5 -n 2048 -b 4096 -q 8 write > "$WORK/w" 2>&1 ||
    { cat "$WORK/w"; fail "write to the added, frozen export"; }
ctl unfreeze e7.4 > /dev/null || fail "unfreeze e7.4"
t=0
until [ "$(freeze_state e7.4)" = thawed ]; do
	t=$((t + 1)); [ "$t" -gt 600 ] && fail "e7.4 did not thaw"; sleep 0.1
done
ini "$B/aoebench" -i i0 -s 7 -l 4 -p 5 -n 2048 -b 4096 verify > "$WORK/v" 2>&1
[ "$(awk '$1 == "verify" { print $NF }' "$WORK/v")" = 0 ] || { cat "$WORK/v"; fail "e7.4 lost writes"; }
[ "$(child_pid blockd)" = "$blockd" ] || fail "blockd was restarted by the reload"
aoede_stop
echo "ok: a frozen export is not removed by a reload; an added one freezes at once (same blockd)"

# a full shadow file system: 4 MiB of tmpfs for a 16 MiB pass
mkdir "$WORK/small"
mount -t tmpfs -o size=4m tmpfs "$WORK/small" || fail "mount tmpfs"
EXTRA_CLEANUP="umount '$WORK/small' 2>/dev/null"
aoede_start -f "$WORK/small/shadow" 7 3 t0 "$WORK/img"
ini "$B/aoebench" -i i0 -s 7 -l 3 -p 77 -o 0 -n 4096 -b 4096 -q 8 write > "$WORK/w" 2>&1 ||
    { cat "$WORK/w"; fail "write before the freeze"; }
ctl freeze e7.3 > /dev/null || fail "freeze on tmpfs"
frozen_sum=$(image_sum)
ini "$B/aoebench" -i i0 -s 7 -l 3 -p 78 -o 0 -n 2048 -b 4096 -q 8 write > "$WORK/w" 2>&1 ||
    { cat "$WORK/w"; fail "a write that fits the shadow failed"; }
if ini "$B/aoebench" -i i0 -s 7 -l 3 -p 79 -o 8192 -n "$SECTORS" -b 4096 -q 8 -D 5 write \
    > "$WORK/w" 2>&1; then
	fail "16 MiB fitted in a 4 MiB shadow file system"
fi
grep -q "shadow file system is full" "$WORK/aoede.log" || fail "the full shadow is not logged"
[ "$(image_sum)" = "$frozen_sum" ] || fail "the image changed while frozen on a full shadow"
# what was acknowledged is there: pass 78 in the first 2048 sectors, 77 after
ini "$B/aoebench" -i i0 -s 7 -l 3 -p 78 -o 0 -n 2048 -b 4096 verify > "$WORK/v" 2>&1
[ "$(awk '$1 == "verify" { print $NF }' "$WORK/v")" = 0 ] || { cat "$WORK/v"; fail "acknowledged writes lost on a full shadow"; }
ini "$B/aoebench" -i i0 -s 7 -l 3 -p 77 -o 2048 -n 2048 -b 4096 verify > "$WORK/v" 2>&1
[ "$(awk '$1 == "verify" { print $NF }' "$WORK/v")" = 0 ] || { cat "$WORK/v"; fail "data lost on a full shadow"; }
ctl unfreeze e7.3 > /dev/null || fail "unfreeze from a full shadow"
wait_state thawed 60
ini "$B/aoebench" -i i0 -s 7 -l 3 -p 78 -o 0 -n 2048 -b 4096 verify > "$WORK/v" 2>&1
[ "$(awk '$1 == "verify" { print $NF }' "$WORK/v")" = 0 ] || { cat "$WORK/v"; fail "merge from a full shadow lost data"; }
aoede_stop
umount "$WORK/small"
echo "ok: a full shadow file system: the writes that do not fit fail, the rest is kept and merged"

# a file system without sparse files: tests/lib/nosparsefs.py, a FUSE
# pass-through that writes every gap a file is extended over with zeros, as
# vfat does (this kernel may have no vfat; the stand-in needs only FUSE)
PY=/usr/bin/python3	# Debian's, with python3-fusepy (make deps)
[ -c /dev/fuse ] || fail "no /dev/fuse: the sparse refusal cannot be tested"
"$PY" -c 'import fusepy' 2> /dev/null || "$PY" -c 'import fuse' 2> /dev/null ||
    fail "no fusepy for $PY: make deps installs python3-fusepy"
NOSPARSE=$WORK/nosparse
mkdir "$NOSPARSE" "$WORK/nosparse.back"
chown aoede-blockd: "$WORK/nosparse.back"	# the mount root reports this owner
"$PY" tests/lib/nosparsefs.py "$WORK/nosparse.back" "$NOSPARSE" > "$WORK/nosparsefs.log" 2>&1 &
FUSE_PID=$!
PIDS="$PIDS $FUSE_PID"
EXTRA_CLEANUP="umount '$NOSPARSE' 2>/dev/null || umount -l '$NOSPARSE' 2>/dev/null"
t=0
while ! mountpoint -q "$NOSPARSE"; do
	kill -0 "$FUSE_PID" 2>/dev/null || { cat "$WORK/nosparsefs.log"; fail "nosparsefs exited"; }
	t=$((t + 1))
	[ "$t" -gt 100 ] && fail "nosparsefs did not mount within 10 s"
	sleep 0.1
done
# the control: on this file system a 1-byte write at 1 MiB really takes 1 MiB
dd if=/dev/zero of="$NOSPARSE/probe" bs=1 count=1 seek=1M conv=notrunc 2> /dev/null ||
    fail "writing the probe file"
probe=$(( $(stat -c %b "$NOSPARSE/probe") * $(stat -c %B "$NOSPARSE/probe") ))
[ "$probe" -ge 1048576 ] || fail "nosparsefs left a hole: 1 byte at 1 MiB takes $probe bytes"
rm "$NOSPARSE/probe"
[ "$(stat -c %U "$NOSPARSE")" = aoede-blockd ] || fail "the FUSE mount root is not the blockd user's"
aoede_start -f "$NOSPARSE" 7 3 t0 "$WORK/img"
expect_error "without sparse files" freeze e7.3
[ -z "$(ls -A "$NOSPARSE")" ] || fail "a refused freeze left files: $(ls "$NOSPARSE")"
[ -z "$(ls -A "$WORK/nosparse.back")" ] || fail "a refused freeze left files: $(ls "$WORK/nosparse.back")"
[ "$(freeze_state)" = thawed ] || fail "a refused freeze changed the state ($(freeze_state))"
aoede_stop
umount "$NOSPARSE" || fail "umount nosparsefs"
wait "$FUSE_PID" || { cat "$WORK/nosparsefs.log"; fail "nosparsefs exited with an error"; }
PIDS=$(echo "$PIDS" | sed "s/ $FUSE_PID//")
EXTRA_CLEANUP=
echo "ok: a file system without sparse files (1 byte at 1 MiB took $probe bytes) is refused with a clear message, nothing left"
echo "freeze: all checks passed"
