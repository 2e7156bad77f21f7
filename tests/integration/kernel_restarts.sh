#!/bin/sh
# The real Linux initiator while aoede's children die: the guest writes and
# verifies the whole export while the host kills netd and blockd (kill -9,
# twice each); the supervisor restarts them, the driver's retransmissions
# carry the load with no I/O error, and the image holds every write — with
# durable writes (-s, the default) and with vblade's write-back (-w).
set -u
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: /dev/net/tun is missing: qemu cannot attach the guest to a tap interface"
	exit 77
fi
sh tests/vm/run.sh -p -R 4 -t 240 discover,restarts || exit 1
sh tests/vm/run.sh -p -R 4 -t 240 -a -w discover,restarts || exit 1
