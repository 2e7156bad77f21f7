#!/usr/bin/env python3
"""Independent CRC8x4 vectors for tests/unit/test_proto_crc8x4.c: a generic,
bit-by-bit CRC-8 in the usual parameter model (width 8, poly 0x4D, init 0xFF,
refin/refout true, xorout 0 — what the 2014 AoEde's table computes; see
proto/crc8x4.h), run MSB first on reflected bytes, so it shares nothing with
the table-driven C code but the parameters.  Prints C initialisers."""


def reflect8(b):
    return int(f"{b:08b}"[::-1], 2)


def crc8(data, poly=0x4D, init=0xFF, refin=True, refout=True, xorout=0x00):
    c = reflect8(init) if refin else init
    for b in data:
        c ^= reflect8(b) if refin else b
        for _ in range(8):
            c = ((c << 1) ^ poly) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return (reflect8(c) if refout else c) ^ xorout


def crc8x4(stream):
    return [crc8(stream[k::4]) for k in range(4)]


def pattern(n, seed):
    x = seed
    out = bytearray()
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((x >> 16) & 0xFF)
    return bytes(out)


def main():
    cases = [
        ("empty", b""),
        ("one byte", b"\x00"),
        ("ata header only", bytes([0x40, 0, 1, 0x34, 1, 2, 3, 4, 5, 6, 0, 0])),
        ("header + zero sector", bytes([0x41, 0, 1, 0x34, 0, 0, 0, 0, 0, 0, 0, 0]) + bytes(512)),
        ("header + 2 sectors pattern", bytes([0x41, 0, 2, 0x34, 0x10, 0x20, 0, 0, 0, 0, 0, 0]) + pattern(1024, 7)),
        ("odd length 13", pattern(13, 3)),
        ("17 sectors", pattern(12 + 17 * 512, 11)),
    ]
    for name, data in cases:
        print(f"/* {name}: {len(data)} bytes, seed as in the script */")
        print(f"{{ {len(data)}, {{ {', '.join(f'0x{c:02x}' for c in crc8x4(data))} }} }},")


if __name__ == "__main__":
    main()
