#!/usr/bin/env python3
"""Send a corpus of random and mutated AoE frames at a target, for abuse
tests inside the test's own network namespaces.

usage: inject.py IFACE SRC_MAC DST_MAC COUNT SEED SHELF SLOT SAFE_LBA

Frames are mutations of the fixtures in tests/fixtures (bit flips, cuts,
extensions, random fields) plus wholly random ones, addressed to SHELF.SLOT,
to broadcast, or elsewhere.  Two kinds are never sent, because they are
legitimate protocol that would change what another initiator sees: MAC mask
list edits and reserve-list sets.  An ATA frame always addresses an LBA at or
above SAFE_LBA (a power of two), so a mutated write cannot land in the region
a verified load uses.  Prints a JSON summary: how many frames the kernel
filter drops ("filter"), how many netd must drop and why ("short",
"version"), and how many pass to blockd ("passed").
"""
import glob
import json
import os
import random
import socket
import sys
import time


def fixtures():
    here = os.path.join(os.path.dirname(__file__), "..", "fixtures")
    return [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(here, "*.bin")))]


def mutate(rng, base):
    f = bytearray(base)
    kind = rng.randrange(6)
    if kind == 0:                                   # bit flips
        for _ in range(rng.randrange(1, 8)):
            i = rng.randrange(len(f))
            f[i] ^= 1 << rng.randrange(8)
    elif kind == 1:                                 # cut short
        f = f[:rng.randrange(0, len(f) + 1)]
    elif kind == 2:                                 # extended with junk
        f += os.urandom(rng.randrange(1, 2000))
    elif kind == 3 and len(f) > 24:                 # random command byte
        f[19] = rng.randrange(256)
    elif kind == 4 and len(f) > 36:                 # random ATA registers
        f[24:36] = os.urandom(12)
    else:                                           # wholly random body
        f = f[:14] + bytearray(os.urandom(rng.randrange(0, 1500)))
    return f


def classify(f, shelf, slot, target):
    """Who must drop this frame: the kernel filter aoede attaches, netd's
    structural check (and why), or nobody ("passed")."""
    if len(f) < 19:                                  # the filter's loads fail
        return "filter"
    if f[0:6] not in (b"\xff" * 6, target):        # unicast for another host
        return "filter"
    if f[12:14] != b"\x88\xa2" or f[14] & 0x08:
        return "filter"
    major = int.from_bytes(f[16:18], "big")
    minor = f[18]
    if major not in (shelf, 0xFFFF) or minor not in (slot, 0xFF):
        return "filter"
    if len(f) < 24:
        return "short"
    if f[14] >> 4 != 1:
        return "version"
    need = {0: 36, 1: 32, 2: 28, 3: 26}.get(f[19], 24)
    if len(f) < need:
        return "short"
    return "passed"


def make_safe(f, safe_lba):
    """Keep mutated frames from changing what other initiators see."""
    if len(f) >= 26 and f[12:14] == b"\x88\xa2":
        if f[19] == 2 and f[25] != 0:        # mask list edit -> read
            f[25] = 0
        if f[19] == 3 and f[24] != 0:        # reserve set -> read
            f[24] = 0
    if len(f) >= 36 and f[19] == 0:          # ATA: an LBA above the safe line
        bit = safe_lba.bit_length() - 1      # safe_lba is a power of two
        f[28 + bit // 8] |= 1 << (bit % 8)
    return f


def main():
    ifname, src, dst, count, seed, shelf, slot, safe = sys.argv[1:9]
    count, shelf, slot, safe = int(count), int(shelf), int(slot), int(safe)
    rng = random.Random(int(seed))
    base = fixtures()
    mac = bytes.fromhex(src.replace(":", ""))
    target = bytes.fromhex(dst.replace(":", ""))
    other = b"\x02\x00\x00\x00\x00\x42"
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    sent = {"filter": 0, "short": 0, "version": 0, "passed": 0}
    for n in range(count):
        f = mutate(rng, rng.choice(base)) if rng.random() < 0.9 else bytearray(os.urandom(rng.randrange(0, 100)))
        if len(f) >= 14:
            f[0:6] = rng.choice([b"\xff" * 6, target, target, other])
            f[6:12] = mac
            if rng.random() < 0.8:
                f[12:14] = b"\x88\xa2"
        if len(f) >= 19 and rng.random() < 0.7:
            addr = rng.choice([(shelf, slot), (0xFFFF, 0xFF), (shelf, 0xFF), (0xFFFF, slot)])
            f[16:18] = addr[0].to_bytes(2, "big")
            f[18] = addr[1]
        f = make_safe(f, safe)
        if len(f) < 14:
            continue                      # the kernel will not send it
        # veth does not pad: the target sees exactly these bytes
        why = classify(bytes(f), shelf, slot, target)
        try:
            s.send(bytes(f))
        except OSError:
            continue                      # too long for the MTU, say
        sent[why] += 1
        if n % 64 == 63:
            time.sleep(0.002)             # let the daemon breathe; it is abuse, not a flood
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
