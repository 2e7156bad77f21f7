#!/usr/bin/env python3
"""Send one AoE Query Config, MAC Mask List or Reserve/Release request and
print the target's answer (aoetools has no client for the last two).

usage: aoeframe.py IFACE SRC_MAC SHELF SLOT COMMAND [ARG...]
  cfg-read | cfg-set STRING | cfg-fset STRING
  mask-read | mask-add MAC... | mask-del MAC...
  rsv-read | rsv-set [MAC...] | rsv-fset [MAC...]

Prints one line: "error=E cs=STRING" (config), "error=E merror=M
list=MAC,..." (mask), "error=E list=MAC,..." (reserve), or "noanswer"
(exit status 1) when nothing came back within 2 s.  SRC_MAC may be any
unicast address: the frame is sent from it on an AF_PACKET socket.
"""
import os
import socket
import struct
import sys
import time

ETH_P_AOE = 0x88A2


def mac(s):
    return bytes(int(b, 16) for b in s.split(":"))


def macstr(b):
    return ":".join("%02x" % x for x in b)


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    iface, src, shelf, slot, cmd = sys.argv[1:6]
    args = sys.argv[6:]
    src = mac(src)
    shelf, slot = int(shelf), int(slot)
    tag = struct.unpack("!I", os.urandom(4))[0] & 0x7FFFFFFF
    kind, _, op = cmd.partition("-")
    if kind == "cfg":
        ccmd = {"read": 0, "set": 3, "fset": 4}[op]
        cs = args[0].encode() if args else b""
        body = struct.pack("!HHBBH", 0, 0, 0, 0x10 | ccmd, len(cs)) + cs
        acmd = 1
    elif kind == "mask":
        mcmd, dcmd = (0, 0) if op == "read" else (1, {"add": 1, "del": 2}[op])
        body = struct.pack("!BBBB", 0, mcmd, 0, len(args) if mcmd else 0)
        for m in args if mcmd else []:
            body += struct.pack("!BB", 0, dcmd) + mac(m)
        acmd = 2
    elif kind == "rsv":
        rcmd = {"read": 0, "set": 1, "fset": 2}[op]
        body = struct.pack("!BB", rcmd, len(args)) + b"".join(mac(m) for m in args)
        acmd = 3
    else:
        sys.exit(__doc__)
    hdr = (b"\xff" * 6 + src + struct.pack("!HBBHBBI", ETH_P_AOE, 0x10, 0,
                                           shelf, slot, acmd, tag))
    frame = hdr + body
    frame += b"\0" * max(0, 60 - len(frame))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_AOE))
    s.bind((iface, ETH_P_AOE))
    s.settimeout(0.2)
    deadline = time.time() + 2
    s.send(frame)
    while time.time() < deadline:
        try:
            r = s.recv(9000)
        except socket.timeout:
            continue
        if len(r) < 24 or r[0:6] != src or not r[14] & 0x08:
            continue
        (rtag,) = struct.unpack("!I", r[20:24])
        if rtag != tag:
            continue
        err = r[15] if r[14] & 0x04 else 0
        p = r[24:]
        if acmd == 1:
            (cslen,) = struct.unpack("!H", p[6:8])
            print("error=%d cs=%s" % (err, p[8:8 + cslen].decode("latin-1")))
        elif acmd == 2:
            merr, dc = p[2], p[3]
            lst = [macstr(p[4 + 8 * i + 2:4 + 8 * i + 8]) for i in range(dc)] \
                if merr == 0 else []
            print("error=%d merror=%d list=%s" % (err, merr, ",".join(lst)))
        else:
            n = p[1]
            lst = [macstr(p[2 + 6 * i:8 + 6 * i]) for i in range(n)]
            print("error=%d list=%s" % (err, ",".join(lst)))
        return 0
    print("noanswer")
    return 1


if __name__ == "__main__":
    sys.exit(main())
