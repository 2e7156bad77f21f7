#!/bin/sh
# The real Linux initiator: Debian's kernel with its aoe driver boots in qemu
# (software emulation) and discovers, writes and reads, and puts a file system
# on an aoede export, at MTU 1500 and at MTU 9000 (tests/vm/README.md).
#   1500: discover, fs, data  -> the host finds the guest's pattern in the image
#   9000: discover, data, fs  -> payload 8704; the host's e2fsck finds the fs clean
#   aoede -r: readonly        -> a write fails at once with EIO (an ATA error, not
#                                a hang), reads work, the image stays all zeros
# Each run.sh prints the guest's verdict lines and its own timing.
set -u
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: /dev/net/tun is missing: qemu cannot attach the guest to a tap interface"
	exit 77
fi
sh tests/vm/run.sh -p -m 1500 -t 240 discover,fs,data || exit 1
sh tests/vm/run.sh -p -m 9000 -t 240 discover,data,fs || exit 1
sh tests/vm/run.sh -p -a -r -t 240 discover,readonly || exit 1
