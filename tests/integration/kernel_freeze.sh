#!/bin/sh
# The real Linux initiator while its export is frozen (aoede -f, aoectl
# freeze/unfreeze, issue #8), tests/vm/README.md:
#   freeze:   the guest writes and verifies the whole export pass after pass;
#             the host freezes it (the latency is printed), checks that the
#             image's checksum stays the same for two more whole passes and
#             5 s at least, has the guest write one more pass (A) that reaches
#             the image only through the merge, unfreezes while the guest
#             writes the second half (B) and waits for "thawed". No I/O error
#             in the guest; the host finds the last pass of each half in the
#             image and the shadow directory empty.
#   freezefs: files on ext4 written while freezing, while frozen (with a
#             delete and a rename) and after the merge; e2fsck clean and every
#             file intact, in the guest and on the host.
# Both with -p: the capture shows aoede answered every request.
set -u
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: /dev/net/tun is missing: qemu cannot attach the guest to a tap interface"
	exit 77
fi
sh tests/vm/run.sh -p -s 32 -t 900 discover,freeze || exit 1
sh tests/vm/run.sh -p -t 600 discover,freezefs || exit 1
