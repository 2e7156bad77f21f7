#!/bin/sh
# The real Linux initiator against one export served on two target NICs
# (aoede 7 3 t0 t1 img): the driver must see two target ports (MACs) for e7.3,
# stripe its I/O over both, and the data must come back intact, at MTU 9000.
set -u
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: /dev/net/tun is missing: qemu cannot attach the guest to a tap interface"
	exit 77
fi
sh tests/vm/run.sh -p -n 2 -m 9000 -t 240 discover,data,fs || exit 1
