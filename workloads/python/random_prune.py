"""random_prune.py -- the experiment of the pymalloc fragmentation primer
(shared/seeds/001): 1M str(random.random()) strings, then keep a random half
(p = 0.5), the first half (strings[:500000]) or about 50 (p = 0.00005), and
look at the arenas while the survivors are alive.

Changes from the primer's script: it is a function whose result (the kept
strings) is alive at the "after" snapshot, as in the primer's last
sys._debugmallocstats(); random is seeded (--seed, default 42) so the C
equivalent can make the same strings; the gc is disabled instead of the
primer's gc.collect() (nothing here is cyclic, so the collection frees
nothing).

    python3 random_prune.py random_prune:MODE [--scale F] [--seed N] [--mallocstats]
    MODE = random_half | first_half | keep50
"""
import sys, gc, random
from _abharness import parse, scaled, mallocstats

N = 1_000_000
HALF_N = 500_000


def random_prune(mode):
    strings = []
    for i in range(N):
        strings.append(str(random.random()))
    if mode == "random_half":
        p = 0.5
        strings = [s for s in strings if random.random() < p]
    elif mode == "first_half":
        strings = strings[:HALF_N]
    elif mode == "keep50":
        p = 0.00005
        strings = [s for s in strings if random.random() < p]
    return strings


if __name__ == "__main__":
    spec, scale, seed, stats = parse(sys.argv[1:])
    name, _, mode = spec.partition(":")
    mode = mode or "random_half"
    if name != "random_prune" or mode not in ("random_half", "first_half", "keep50"):
        sys.exit("unknown workload %r" % spec)
    N = scaled(N, scale)
    HALF_N = scaled(HALF_N, scale)
    random.seed(42 if seed is None else seed)
    gc.collect(); gc.disable()
    if stats: mallocstats("before")
    kept = random_prune(mode)
    if stats: mallocstats("after")
    print(len(kept), sum(map(len, kept)))
    del kept
    gc.enable()
