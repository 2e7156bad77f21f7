#!/usr/bin/env python3
"""Capture AoE frames on one interface for a while; print one JSON object per
frame (source and destination MAC, length, flags, shelf, slot, command, tag).
Used by integration tests inside their own network namespaces only."""
import json
import select
import socket
import sys
import time

ETH_P_AOE = 0x88A2


def main():
    ifname, seconds = sys.argv[1], float(sys.argv[2])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_AOE))
    s.bind((ifname, 0))
    # tell the caller we are listening before the traffic starts
    print(json.dumps({"listening": ifname}), flush=True)
    end = time.time() + seconds
    while True:
        left = end - time.time()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        f, addr = s.recvfrom(65536)
        if len(f) < 24:
            continue
        print(json.dumps({
            "dst": f[0:6].hex(":"), "src": f[6:12].hex(":"), "len": len(f),
            "outgoing": addr[2] == socket.PACKET_OUTGOING,
            "ver": f[14] >> 4, "flags": f[14] & 0x0F, "error": f[15],
            "shelf": int.from_bytes(f[16:18], "big"), "slot": f[18], "cmd": f[19],
            "tag": int.from_bytes(f[20:24], "big"),
        }), flush=True)


if __name__ == "__main__":
    main()
