#!/usr/bin/env python3
"""A userspace Ethernet relay for AoE frames, between two interfaces (two
veth ends in the relay's own namespace): what arrives on one is sent out of
the other, both ways, with faults injected by probability.  This kernel has
no netem; this is what the extension tests use instead.

    relay.py [options] IF_INITIATOR IF_TARGET

  --dup P        send a frame twice
  --reorder P    hold a frame back and send it after the next N frames
                 (--gap N, default 3) going the same way, or after 50 ms
  --delay P      send a frame --delay-ms later (default 20)
  --flip P       flip one bit in the sector data of a write request
                 (initiator to target only; the frame is sent once, flipped)
  --seed S       random seed (default 1)
  --stats FILE   on SIGTERM/SIGINT, write the counters there as JSON

Only EtherType 0x88A2 is relayed.  Frames the relay itself sent
(PACKET_OUTGOING) are never taken in again.
"""
import argparse
import heapq
import json
import random
import select
import signal
import socket
import sys
import time

ETH_P_AOE = 0x88A2
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
HOLD_MAX_S = 0.05


def open_sock(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_AOE))
    s.bind((ifname, ETH_P_AOE))
    ifindex = socket.if_nametoindex(ifname)
    # struct packet_mreq: int ifindex, u16 type, u16 alen, u8 addr[8]
    mreq = ifindex.to_bytes(4, sys.byteorder) + PACKET_MR_PROMISC.to_bytes(2, sys.byteorder) + \
        bytes(10)
    s.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
    s.setblocking(False)
    return s


def is_write(frame):
    # AoE ATA request (cmd 0, R clear) with the W flag
    return (len(frame) > 36 and frame[19] == 0 and not (frame[14] & 0x08)
            and (frame[24] & 0x01))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("if_ini")
    ap.add_argument("if_tgt")
    ap.add_argument("--dup", type=float, default=0)
    ap.add_argument("--reorder", type=float, default=0)
    ap.add_argument("--gap", type=int, default=3)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--delay-ms", type=float, default=20)
    ap.add_argument("--flip", type=float, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stats")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    ini = open_sock(a.if_ini)
    tgt = open_sock(a.if_tgt)
    out = {ini.fileno(): tgt, tgt.fileno(): ini}
    n = {"frames": 0, "dup": 0, "reordered": 0, "delayed": 0, "flipped": 0,
         "send_errors": 0}
    held = {ini.fileno(): [], tgt.fileno(): []}   # [frames to wait, frame, since]
    timers = []                                    # (when, seq, sock, frame)
    seq = 0

    def send(sock, frame):
        try:
            sock.send(frame)
        except OSError:
            n["send_errors"] += 1

    def stop(*_):
        if a.stats:
            with open(a.stats, "w") as f:
                json.dump(n, f)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if a.stats:
        with open(a.stats, "w") as f:
            json.dump(n, f)

    while True:
        now = time.monotonic()
        timeout = 0.05
        if timers:
            timeout = max(0.0, min(timeout, timers[0][0] - now))
        r, _, _ = select.select([ini, tgt], [], [], timeout)
        for s in r:
            while True:
                try:
                    frame, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                n["frames"] += 1
                dst = out[s.fileno()]
                frame = bytearray(frame)
                if s is ini and a.flip and is_write(frame) and rng.random() < a.flip:
                    nbytes = frame[26] * 512
                    if nbytes and len(frame) >= 36 + nbytes:
                        off = 36 + rng.randrange(nbytes)
                        frame[off] ^= 1 << rng.randrange(8)
                        n["flipped"] += 1
                copies = 2 if a.dup and rng.random() < a.dup else 1
                if copies == 2:
                    n["dup"] += 1
                # frames held back on this direction come one step closer
                q = held[s.fileno()]
                for h in q:
                    h[0] -= 1
                for i in range(copies):
                    if a.reorder and rng.random() < a.reorder:
                        n["reordered"] += 1
                        q.append([a.gap, bytes(frame), now])
                    elif a.delay and rng.random() < a.delay:
                        n["delayed"] += 1
                        seq += 1
                        heapq.heappush(timers, (now + a.delay_ms / 1000, seq, dst, bytes(frame)))
                    else:
                        send(dst, frame)
                keep = []
                for h in q:
                    if h[0] <= 0:
                        send(dst, h[1])
                    else:
                        keep.append(h)
                held[s.fileno()] = keep
        now = time.monotonic()
        while timers and timers[0][0] <= now:
            _, _, dst, frame = heapq.heappop(timers)
            send(dst, frame)
        for fd, q in held.items():
            if q and now - q[0][2] > HOLD_MAX_S:
                dst = out[fd]
                for h in q:
                    send(dst, h[1])
                held[fd] = []


if __name__ == "__main__":
    main()
