#!/bin/sh
# The configuration file against golden files (tests/config/README): every
# valid file prints exactly its .ok with `aoede -nv` and that output parses
# back to itself; every invalid file fails with exit status 1 and exactly the
# one line of its .err.  Then every file in examples/ must pass `aoede -n`.
# With GOLDEN_UPDATE=1 the .ok/.err/.warn files are rewritten from the output
# (review the diff before committing it).
. tests/lib/netns.sh

SRC=$(pwd)
net_setup 2 1500

D=$WORK/config
mkdir -p "$D/img"
cp tests/config/*.conf "$D/"
for f in a b c golden; do make_image "$D/img/$f.img" 8; done
ln "$D/img/a.img" "$D/img/a-link.img"
printf 'x' > "$D/img/tiny"

# aoede -nv in the target namespace, from $D; stdout in $WORK/out, stderr
# (without the <N> priority prefixes) in $WORK/err, @DIR@ for $D
run_nv() {	# CONF
	(cd "$D" && tgt "$B/aoede" -nv -c "$1") > "$WORK/out.raw" 2> "$WORK/err.raw"
	rc=$?
	sed "s|$D|@DIR@|g" "$WORK/out.raw" > "$WORK/out"
	sed -e 's/^<[0-9]>//' -e "s|$D|@DIR@|g" "$WORK/err.raw" > "$WORK/err"
	return $rc
}

# GOLDEN_UPDATE=1: write what we got; else compare
golden() {	# GOT WANT-FILE WHAT
	if [ -n "${GOLDEN_UPDATE:-}" ]; then
		cp "$1" "$2"
		return 0
	fi
	diff -u "$2" "$1" || fail "$3 differs from $(basename "$2")"
}

nvalid=0; ninvalid=0
for conf in tests/config/*.conf; do
	name=$(basename "$conf" .conf)
	if [ -f "tests/config/$name.ok" ] || [ "${name#v}" != "$name" ]; then
		run_nv "$name.conf" || { cat "$WORK/err"; fail "$name: exit status $rc, want 0"; }
		golden "$WORK/out" "$SRC/tests/config/$name.ok" "$name: output"
		if [ -f "tests/config/$name.warn" ] || [ -s "$WORK/err" ]; then
			golden "$WORK/err" "$SRC/tests/config/$name.warn" "$name: warnings"
		fi
		# the canonical form is a configuration file that prints itself
		cp "$WORK/out.raw" "$D/canonical.conf"
		run_nv canonical.conf || fail "$name: its canonical form does not parse: $(cat "$WORK/err")"
		sed "s|$D|@DIR@|g" "$D/canonical.conf" | diff -u - "$WORK/out" ||
		    fail "$name: the canonical form does not print itself"
		nvalid=$((nvalid + 1))
		echo "ok: $name"
	else
		run_nv "$name.conf"
		[ "$rc" -eq 1 ] || { cat "$WORK/out" "$WORK/err"; fail "$name: exit status $rc, want 1"; }
		[ "$(wc -l < "$WORK/err")" -eq 1 ] || { cat "$WORK/err"; fail "$name: want one line"; }
		[ -s "$WORK/out" ] && fail "$name: printed something on stdout"
		golden "$WORK/err" "$SRC/tests/config/$name.err" "$name: error"
		ninvalid=$((ninvalid + 1))
		echo "ok: $name -> $(cat "$WORK/err")"
	fi
done
[ "$nvalid" -ge 6 ] && [ "$ninvalid" -ge 15 ] ||
    fail "want at least 6 valid and 15 invalid golden files ($nvalid, $ninvalid)"

# the examples, as an operator would write them: their interfaces (eth0 …)
# are made as interfaces of MTU 9000 in the target namespace, their
# images as sparse files — an absolute path P becomes $E/P
for ex in examples/*.conf; do
	[ -f "$ex" ] || continue
	E=$WORK/examples
	rm -rf "$E"
	mkdir -p "$E"
	sed 's|^\([[:space:]]*path[[:space:]]*=[[:space:]]*\)/|\1'"$E"'/|' "$ex" > "$E/$(basename "$ex")"
	sed -n 's/^[[:space:]]*path[[:space:]]*=[[:space:]]*\([^;#[:space:]]*\).*/\1/p' "$E/$(basename "$ex")" |
	while read -r img; do
		case $img in /*) ;; *) img=$E/$img ;; esac
		mkdir -p "$(dirname "$img")"
		[ -f "$img" ] || truncate -s 2T "$img"
	done
	{
		sed -n 's/^[[:space:]]*\[nic[[:space:]]*\([^]]*\)\].*/\1/p' "$ex"
		sed -n 's/^[[:space:]]*nics[[:space:]]*=\([^;#]*\).*/\1/p' "$ex" | tr ', ' '\n\n'
	} | sort -u | while read -r nic; do
		[ -n "$nic" ] || continue
		tgt ip link show "$nic" > /dev/null 2>&1 && continue
		# veth: this kernel may have no dummy driver
		tgt ip link add "$nic" mtu 9000 type veth peer name "x$nic" mtu 9000 ||
		    fail "$ex: ip link add $nic"
	done
	out=$(cd "$E" && tgt "$B/aoede" -n -c "$(basename "$ex")" 2>&1) ||
	    fail "$ex does not parse: $out"
	[ -z "$out" ] || fail "$ex: aoede -n said: $out"
	echo "ok: $ex"
done

# a file given on the command line overrides nothing but -S and -U
out=$(cd "$D" && tgt "$B/aoede" -nv -S /run/x.sock -c v01-minimal.conf) || fail "-S with -c"
echo "$out" | grep -qx 'control-socket = /run/x.sock' || fail "-S does not override the file"
out=$(cd "$D" && tgt "$B/aoede" -n -r -c v01-minimal.conf 2>&1) && fail "-r with -c succeeded"
echo "$out" | grep -q -- '-r is for a command-line export' || fail "-r with -c: $out"
out=$(cd "$D" && tgt "$B/aoede" -n -c v01-minimal.conf 1 2 t0 img/a.img 2>&1) &&
    fail "-c with a command-line export succeeded"
echo "$out" | grep -q 'cannot be combined' || fail "-c with an export: $out"
# -nv turns the vblade command line into a file
(cd "$D" && tgt "$B/aoede" -nv -b 8 -r 7 3 t0 t1 img/a.img) > "$WORK/cli.conf" || fail "-nv positional"
grep -q '^\[export e7.3\]$' "$WORK/cli.conf" && grep -qx 'nics = t0 t1' "$WORK/cli.conf" &&
    grep -qx 'bufcnt = 8' "$WORK/cli.conf" && grep -qx 'read-only = yes' "$WORK/cli.conf" ||
    fail "-nv of the command line: $(cat "$WORK/cli.conf")"
(cd "$D" && tgt "$B/aoede" -n -c "$WORK/cli.conf") || fail "-nv's output of the command line does not parse"
echo "config_golden: $nvalid valid and $ninvalid invalid files, all checks passed"
