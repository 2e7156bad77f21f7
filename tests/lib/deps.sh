#!/bin/sh
# Install exactly the Debian packages that building and testing AoEde need,
# and do nothing when they are all there already.
set -eu

PKGS="
gcc make pkg-config clang libclang-rt-14-dev
libevent-dev libmsgpack-dev libsystemd-dev libcmocka-dev liburing-dev libseccomp-dev libinih-dev
iproute2 procps passwd diffutils python3 systemd binutils
nbdkit libnbd-bin fuse3 python3-fusepy cppcheck
qemu-system-x86 busybox-static cpio kmod xz-utils tcpdump e2fsprogs libc6-dev tshark
vblade aoetools
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
