#!/bin/sh
# Command-line mistakes: exit status non-zero and exactly one clear line,
# before anything is started (vblade printed cascades of errors instead).
. tests/lib/netns.sh

net_setup 1 1500
make_image "$WORK/img" 1
printf 'x' > "$WORK/tiny"

expect_error() {	# PATTERN ARGS...
	pattern=$1; shift
	if tgt "$B/aoede" "$@" > "$WORK/out" 2> "$WORK/err"; then
		fail "aoede $* succeeded"
	fi
	lines=$(wc -l < "$WORK/err")
	[ "$lines" -eq 1 ] || { cat "$WORK/err"; fail "aoede $*: $lines lines of error, want 1"; }
	grep -q -- "$pattern" "$WORK/err" || fail "aoede $*: '$(cat "$WORK/err")' does not say '$pattern'"
	echo "ok: aoede $* -> $(sed 's/^<[0-9]>//' "$WORK/err")"
}

expect_error "no such network interface: nosuch0" 7 3 nosuch0 "$WORK/img"
expect_error "cannot open image $WORK/missing" 7 3 t0 "$WORK/missing"
expect_error "cannot open image $WORK: Is a directory" 7 3 t0 "$WORK"
expect_error "neither a regular file nor a block device" -r 7 3 t0 /dev/null
expect_error "shelf 70000: too large" 70000 3 t0 "$WORK/img"
expect_error "slot 255: too large" 7 255 t0 "$WORK/img"
expect_error "shelf x: not a number" x 3 t0 "$WORK/img"
expect_error "-b 1: too small" -b 1 7 3 t0 "$WORK/img"
expect_error "not a MAC address: 00:11" -m 00:11 7 3 t0 "$WORK/img"
expect_error "offset 4096 is beyond the end" -o 4096 7 3 t0 "$WORK/img"
expect_error "beyond the end of the image" -o 10 -l 2040 7 3 t0 "$WORK/img"
expect_error "interface t0 named twice" 7 3 t0 t0 "$WORK/img"
expect_error "image is smaller than one sector" 7 3 t0 "$WORK/tiny"
expect_error "user nosuchuser does not exist" -U nosuchuser:aoede-blockd 7 3 t0 "$WORK/img"

# a usage error prints the usage and exits 2
tgt "$B/aoede" 7 3 > /dev/null 2> "$WORK/err"
[ $? -eq 2 ] || fail "usage error: exit status is not 2"
grep -q '^usage: aoede' "$WORK/err" || fail "usage error: no usage line"

# aoebench refuses what cannot mean anything, before it sends a frame: exit
# 2 and one line
bench_usage_error() {	# PATTERN ARGS...
	pattern=$1; shift
	ini "$B/aoebench" -i i0 "$@" > "$WORK/out" 2> "$WORK/err"
	rc=$?
	[ "$rc" -eq 2 ] || { cat "$WORK/err"; fail "aoebench $*: exit status $rc, want 2"; }
	[ "$(wc -l < "$WORK/err")" -eq 1 ] || { cat "$WORK/err"; fail "aoebench $*: not one line"; }
	grep -q -- "$pattern" "$WORK/err" || fail "aoebench $*: '$(cat "$WORK/err")' does not say '$pattern'"
	echo "ok: aoebench $* -> $(cat "$WORK/err")"
}
bench_usage_error "-R goes with mix and mixverify" -R 70 read
bench_usage_error "-R 101: too large" -R 101 mix
bench_usage_error "-f: the data written cannot be verified (mixverify)" -f mixverify
bench_usage_error "-f: the data written cannot be verified (writeverify)" -f writeverify
bench_usage_error "unknown command mixup" mixup
echo "cli_errors: all checks passed"
