#!/bin/sh
# Prepare what tests/vm/run.sh boots: Debian's kernel (fetched with
# `apt-get download`, never installed on the host) and a small initramfs with
# busybox, the aoe driver and its dependencies, e2fsprogs, tests/vm/aoeio and
# tests/vm/init. Everything is cached in $AOEDE_VM_CACHE (default
# /var/cache/aoede-vm); a second run only checks that the cache is current.
#
#   sh tests/vm/prepare.sh          prints the cache directory on success
#
# Host packages it installs when missing: qemu-system-x86 busybox-static cpio
# kmod xz-utils e2fsprogs gcc libc6-dev tcpdump.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${AOEDE_VM_CACHE:-/var/cache/aoede-vm}
PKGS="qemu-system-x86 busybox-static cpio kmod xz-utils e2fsprogs gcc libc6-dev tcpdump"

log() { echo "prepare: $*" >&2; }
die() { echo "prepare: $*" >&2; exit 1; }

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" -eq 0 ] || die "missing Debian packages:$missing (run as root)"
	log "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
export PATH="$PATH:/sbin:/usr/sbin"

mkdir -p "$CACHE"
# one preparation at a time (make check may run two kernel tests at once)
exec 9>"$CACHE/.lock"
flock 9

# --- the kernel: the version linux-image-amd64 points at now
if [ -n "${AOEDE_VM_KVER:-}" ]; then
	kver=$AOEDE_VM_KVER
elif [ -f "$CACHE/kver" ] && [ -z "${AOEDE_VM_REFRESH:-}" ]; then
	kver=$(cat "$CACHE/kver")	# no apt-cache lookup on every run
else
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	    sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
	[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 (apt-get update?)"
	kver=${kpkg#linux-image-}
fi
KDIR="$CACHE/kernel-$kver"
if [ ! -f "$KDIR/ok" ]; then
	log "fetching linux-image-$kver"
	rm -rf "$KDIR" "$CACHE/dl"
	mkdir -p "$CACHE/dl" "$KDIR/modules"
	# _apt cannot write into root's directories: download from a temp dir it may use
	(cd "$CACHE/dl" && chmod 777 . && apt-get download -q "linux-image-$kver" >/dev/null) ||
	    die "apt-get download linux-image-$kver failed"
	dpkg-deb -x "$CACHE"/dl/linux-image-"$kver"_*.deb "$CACHE/dl/x"
	cp "$CACHE/dl/x/boot/vmlinuz-$kver" "$KDIR/vmlinuz"
	cp "$CACHE/dl/x/boot/config-$kver" "$KDIR/config"
	# the uncompressed kernel (ELF with a PVH note): qemu loads it without the
	# bzImage's xz decompression, which costs seconds under TCG
	off=$(LC_ALL=C grep -abo "$(printf '\3757zXZ')" "$KDIR/vmlinuz" | head -1 | cut -d: -f1)
	if [ -n "$off" ]; then
		tail -c +"$((off + 1))" "$KDIR/vmlinuz" | xz -dc --single-stream > "$KDIR/vmlinux" 2>/dev/null ||
		    rm -f "$KDIR/vmlinux"
	fi
	depmod -b "$CACHE/dl/x" "$kver"
	# the modules the guest loads, in dependency order
	for m in virtio_pci virtio_net aoe crc32c_generic ext4; do
		modprobe -d "$CACHE/dl/x" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' > "$CACHE/dl/order"
	: > "$KDIR/modules.list"
	while read -r ko; do
		cp "$ko" "$KDIR/modules/"
		basename "$ko" >> "$KDIR/modules.list"
	done < "$CACHE/dl/order"
	rm -rf "$CACHE/dl"
	echo "$kver" > "$CACHE/kver"
	touch "$KDIR/ok"
fi

# --- the initramfs: rebuilt when its inputs change
INPUTS="$HERE/init $HERE/aoeio.c $HERE/prepare.sh /bin/busybox /sbin/mke2fs /sbin/e2fsck"
# shellcheck disable=SC2086
stamp=$( (echo "$kver"; cat $INPUTS) | sha256sum | cut -c1-16)
INITRD="$CACHE/initrd-$stamp.cpio.gz"
if [ ! -f "$INITRD" ] || [ ! -x "$CACHE/aoeio" ]; then
	log "building initramfs $INITRD"
	R="$CACHE/root.$$"
	rm -rf "$R"
	mkdir -p "$R/bin" "$R/sbin" "$R/etc" "$R/lib/modules" "$R/proc" "$R/sys" "$R/dev" \
	    "$R/tmp" "$R/mnt" "$R/run"
	cp /bin/busybox "$R/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
	done
	gcc -static -O2 -Wall -Wextra -o "$R/bin/aoeio" "$HERE/aoeio.c"
	cp "$R/bin/aoeio" "$CACHE/aoeio.new"	# the host checks the image with it
	mv -f "$CACHE/aoeio.new" "$CACHE/aoeio"
	for b in mke2fs e2fsck debugfs; do
		cp "/sbin/$b" "$R/sbin/$b"
		# shared libraries, at the paths the dynamic loader looks at
		ldd "/sbin/$b" | awk '/=> \// { print $3 } /^[ \t]*\/lib/ { print $1 }' |
		while read -r lib; do
			mkdir -p "$R$(dirname "$lib")"
			[ -e "$R$lib" ] || cp -L "$lib" "$R$lib"
		done
	done
	ln -s mke2fs "$R/sbin/mkfs.ext4"
	cp /etc/mke2fs.conf "$R/etc/"
	cp "$KDIR"/modules/*.ko "$R/lib/modules/"
	cp "$KDIR/modules.list" "$R/lib/modules/"
	cp "$HERE/init" "$R/init"
	chmod 755 "$R/init"
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$R"
	# keep only the current initramfs
	for f in "$CACHE"/initrd-*.cpio.gz; do
		[ "$f" = "$INITRD" ] || rm -f "$f"
	done
fi
ln -sf "initrd-$stamp.cpio.gz" "$CACHE/initrd.cpio.gz.new" && mv -f "$CACHE/initrd.cpio.gz.new" "$CACHE/initrd.cpio.gz"
ln -sfn "kernel-$kver" "$CACHE/kernel.new" && mv -Tf "$CACHE/kernel.new" "$CACHE/kernel"
echo "$CACHE"
