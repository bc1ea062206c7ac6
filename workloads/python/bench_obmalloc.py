"""bench_obmalloc.py -- the microbenchmarks posted with CPython issue #144319
("huge pages for pymalloc"), reconstructed from shared/seeds/003.

The nine function bodies are the original's.  The only changes: the counts
are module-level names (scaled by --scale; 1.0 gives the original literals:
a global name costs no allocation, like the constant it replaces),
random_walk seeds with SEED (42 unless --seed is given), and the command
line of _abharness (which can print sys._debugmallocstats() right around
the call).  Run as the original: python3 bench_obmalloc.py fragmentation
"""
import sys, gc
from _abharness import parse, scaled, mallocstats

CHURN_N, BULK_N, DICT_N, MIXED_N, FRAG_N = 200_000, 1_000_000, 500_000, 500_000, 500_000
TUPLES_N, INSTANCES_N, PRESSURE_N, WALK_N = 1_000_000, 500_000, 200_000, 1_000_000
SEED = 42


def bench_small_object_churn():
    objs = []
    for _ in range(CHURN_N): objs.append(bytearray(64))
    for _ in range(CHURN_N): objs.append(bytearray(64)); objs.pop(0)

def bench_bulk_small_alloc():
    objs = [bytearray(48) for _ in range(BULK_N)]
    for o in objs: o[0] = 1

def bench_dict_churn():
    for _ in range(DICT_N): d = {"a": 1, "b": 2, "c": 3, "d": 4}; del d

def bench_mixed_sizes():
    sizes = [8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
    objs = [bytearray(sizes[i % 12]) for i in range(MIXED_N)]

def bench_fragmentation():
    objs = [bytearray(128) for _ in range(FRAG_N)]
    for i in range(0, len(objs), 2): objs[i] = None
    for i in range(0, len(objs), 2): objs[i] = bytearray(128)

def bench_list_of_tuples():
    objs = [(i, i+1, i+2) for i in range(TUPLES_N)]

def bench_class_instances():
    class Pt:
        __slots__ = ('x', 'y', 'z')
        def __init__(s, x, y, z): s.x = x; s.y = y; s.z = z
    objs = [Pt(i, i+1, i+2) for i in range(INSTANCES_N)]

def bench_arena_pressure():
    layers = [[bytearray(256) for _ in range(PRESSURE_N)] for _ in range(10)]

def bench_random_walk():
    import random; random.seed(SEED)
    objs = [bytearray(64) for _ in range(WALK_N)]
    idx = list(range(len(objs))); random.shuffle(idx)
    for i in idx: objs[i][0] = i & 0xff

BENCHMARKS = dict(small_object_churn=bench_small_object_churn,
    bulk_small_alloc=bench_bulk_small_alloc, dict_churn=bench_dict_churn,
    mixed_sizes=bench_mixed_sizes, fragmentation=bench_fragmentation,
    list_of_tuples=bench_list_of_tuples, class_instances=bench_class_instances,
    arena_pressure=bench_arena_pressure, random_walk=bench_random_walk)


def configure(scale, seed):
    g = globals()
    for name in ("CHURN_N", "BULK_N", "DICT_N", "MIXED_N", "FRAG_N", "TUPLES_N",
                 "INSTANCES_N", "PRESSURE_N", "WALK_N"):
        g[name] = scaled(g[name], scale)
    if seed is not None:
        g["SEED"] = seed


if __name__ == "__main__":
    spec, scale, seed, stats = parse(sys.argv[1:])
    if spec not in BENCHMARKS:
        sys.exit("unknown benchmark %r" % spec)
    configure(scale, seed)
    bench = BENCHMARKS[spec]
    gc.collect(); gc.disable()
    if stats: mallocstats("before")
    bench()
    if stats: mallocstats("after")
    gc.enable()
