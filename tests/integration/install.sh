#!/bin/sh
# make install honours PREFIX and DESTDIR, and the installed supervisor finds
# its children in LIBEXECDIR.
set -u
DEST=$(mktemp -d /tmp/aoede-install.XXXXXX)
trap 'rm -rf "$DEST"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# a build of its own: LIBEXECDIR (from PREFIX) is compiled into aoede
make -s B="$DEST/build" PREFIX=/opt/aoede DESTDIR="$DEST" install > "$DEST.log" 2>&1 ||
    { cat "$DEST.log"; rm -f "$DEST.log"; fail "make install"; }
rm -f "$DEST.log"
for f in sbin/aoede sbin/aoectl sbin/aoebench libexec/aoede/aoede-netd \
    libexec/aoede/aoede-blockd lib/sysusers.d/aoede.conf share/man/man8/aoede.8 \
    share/man/man8/aoectl.8 share/man/man5/aoede.conf.5 lib/systemd/system/aoede.service \
    lib/systemd/system/aoede.socket share/doc/aoede/examples/single-disk.conf; do
	[ -f "$DEST/opt/aoede/$f" ] || fail "missing $f"
done
[ -x "$DEST/opt/aoede/sbin/aoede" ] || fail "aoede is not executable"
# the installed binary looks for its children next to itself, then in LIBEXECDIR
strings "$DEST/opt/aoede/sbin/aoede" | grep -q '^/opt/aoede/libexec/aoede$' ||
    fail "aoede does not look for its children in /opt/aoede/libexec/aoede"
# full RELRO and PIE, as the build promises
readelf -h "$DEST/opt/aoede/sbin/aoede" | grep -q 'DYN' || fail "aoede is not PIE"
readelf -d "$DEST/opt/aoede/sbin/aoede" | grep -q 'BIND_NOW' || fail "aoede lacks full RELRO"
readelf -l "$DEST/opt/aoede/sbin/aoede" | grep -q 'GNU_RELRO' || fail "aoede lacks RELRO"
echo "install: all checks passed"
