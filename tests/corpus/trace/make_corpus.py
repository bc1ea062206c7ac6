#!/usr/bin/env python3
"""Regenerate the small hand-made traces of this corpus.

An encoder written independently of harness/arenatrace/capture.c, from the
format description in workloads/trace_format.h.  Names say what a reader
must do: valid-* load, everything else is rejected with a message.
Files not written here (crash-*, real-*) are kept as found.
"""
import os
import struct
import sys

MALLOC, CALLOC, REALLOC, FREE, FREE_PRE, REALLOC_PRE, ARENA_ALLOC, ARENA_FREE, STATS, END = range(1, 11)
RAW, MEM, OBJ, NONE = range(4)


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def header(version=1, domains=0x86):
    h = bytearray(64)
    h[0:8] = b"ABTRACE\0"
    struct.pack_into("<HHBB", h, 8, version, 64, 8, domains)
    struct.pack_into("<I", h, 16, 0x030B02F0)
    h[20:26] = b"3.11.2"
    struct.pack_into("<I", h, 52, 16)
    return bytes(h)


def rec(op, dom, *fields):
    return bytes([op | dom << 4]) + b"".join(varint(f) for f in fields)


def stats(tag, total, current, classes, unused, bytes_delta=0):
    # classes: [(size, pools, in_use, avail)]
    in_blocks = sum(s * u for s, _, u, _ in classes) + bytes_delta
    fixed = [total, 0, total, current, 1 << 20, 16384, unused, 16384, in_blocks]
    body = varint(tag) + varint(len(fixed)) + b"".join(varint(f) for f in fixed)
    body += varint(len(classes))
    for c in classes:
        body += b"".join(varint(f) for f in c)
    return bytes([STATS | NONE << 4]) + body


INSTALL = [(16, 1, 22, 999), (64, 12, 2000, 1060), (512, 1, 11, 20)]


def body_all_ops():
    r = [stats(0, 2, 2, INSTALL, 100),
         rec(ARENA_ALLOC, NONE, 1 << 20),
         rec(MALLOC, OBJ, 0, 64), rec(CALLOC, OBJ, 1, 4, 8), rec(MALLOC, MEM, 2, 600),
         rec(REALLOC, MEM, 2, 1200), rec(REALLOC, OBJ, 0, 24), rec(FREE, OBJ, 1),
         rec(MALLOC, OBJ, 1, 0), rec(FREE_PRE, OBJ), rec(REALLOC_PRE, MEM, 3, 40),
         rec(MALLOC, RAW, 4, 100), rec(FREE, RAW, 4), rec(MALLOC, OBJ, 4, 512),
         rec(FREE, OBJ, 0), rec(FREE, MEM, 2), rec(ARENA_FREE, NONE, 1 << 20),
         stats(1, 3, 2, INSTALL, 100)]
    return r


def write(name, data):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "wb") as f:
        f.write(data)


def main():
    h = header()
    write("valid-minimal.trace", h + rec(END, NONE, 0))
    ops = body_all_ops()
    good = h + b"".join(ops) + rec(END, NONE, len(ops))
    write("valid-all-ops.trace", good)
    churn = [rec(MALLOC, OBJ, 0, 16)]
    for i in range(200):
        churn += [rec(MALLOC, OBJ, 1, 16 + i), rec(REALLOC, OBJ, 1, 400), rec(FREE, OBJ, 1)]
    churn.append(rec(FREE, OBJ, 0))
    write("valid-id-reuse.trace", h + b"".join(churn) + rec(END, NONE, len(churn)))

    write("corrupt-magic.trace", b"XBTRACE\0" + good[8:])
    write("corrupt-version.trace", header(version=2) + good[64:])
    write("truncated-header.trace", good[:40])
    write("truncated-no-end.trace", good[:-2])
    write("truncated-mid-varint.trace", h + b"".join(ops[:3]) + bytes([MALLOC | OBJ << 4, 0x05, 0x80]))
    write("corrupt-end-count.trace", h + b"".join(ops) + rec(END, NONE, len(ops) + 1))
    write("corrupt-trailing.trace", good + b"\0")
    dead = [rec(MALLOC, OBJ, 0, 16), rec(FREE, OBJ, 0), rec(FREE, OBJ, 0)]
    write("corrupt-double-free.trace", h + b"".join(dead) + rec(END, NONE, len(dead)))
    far = [rec(MALLOC, OBJ, 1 << 40, 16)]
    write("corrupt-id-jump.trace", h + b"".join(far) + rec(END, NONE, 1))
    huge = [rec(MALLOC, OBJ, 0, (1 << 40) + 1)]
    write("corrupt-huge-size.trace", h + b"".join(huge) + rec(END, NONE, 1))
    cal = [rec(CALLOC, OBJ, 0, 1 << 32, 1 << 32)]
    write("corrupt-calloc-overflow.trace", h + b"".join(cal) + rec(END, NONE, 1))
    over = bytes([MALLOC | OBJ << 4]) + b"\x80\x00" + varint(16)
    write("corrupt-overlong-varint.trace", h + over + rec(END, NONE, 1))
    ten = bytes([MALLOC | OBJ << 4, 0]) + b"\xff" * 9 + b"\x02"
    write("corrupt-varint-65-bits.trace", h + ten + rec(END, NONE, 1))
    bad = [stats(0, 2, 2, INSTALL, 100, bytes_delta=16)]
    write("corrupt-stats-bytes.trace", h + b"".join(bad) + rec(END, NONE, 1))
    many = [stats(0, 2, 2, [(16, 200, 300, 0)], 0)]
    write("corrupt-stats-pools.trace", h + b"".join(many) + rec(END, NONE, 1))
    write("corrupt-op.trace", h + bytes([0x2f]) + rec(END, NONE, 1))
    write("corrupt-domain.trace", h + rec(MALLOC, NONE, 0, 16) + rec(END, NONE, 1))


if __name__ == "__main__":
    sys.exit(main())
