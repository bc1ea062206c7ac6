"""Shared command line of the Python originals (arenabench validate runs them).

    python3 SCRIPT.py SPEC [--scale F] [--seed N] [--mallocstats]

SPEC is the workload name (name[:param]).  --scale multiplies the
original's counts (1.0 = the literals of the seed).  --mallocstats prints
sys._debugmallocstats() to stderr right before and right after the
measured call, each preceded by a line "=== arenabench before" / "===
arenabench after", so that the deltas cover exactly the call.
Everything here runs before the "before" snapshot.
"""
import sys


def parse(argv):
    spec, scale, seed, stats = None, 1.0, None, False
    it = iter(argv)
    for a in it:
        if a == "--scale":
            scale = float(next(it))
        elif a == "--seed":
            seed = int(next(it))
        elif a == "--mallocstats":
            stats = True
        elif spec is None:
            spec = a
        else:
            sys.exit("unexpected argument %r" % a)
    if spec is None:
        sys.exit("usage: %s SPEC [--scale F] [--seed N] [--mallocstats]" % sys.argv[0])
    if scale <= 0:
        sys.exit("--scale must be positive")
    return spec, scale, seed, stats


def scaled(n, scale):
    """The C side's ab_wl_scaled(): round(n * scale), never below 1."""
    v = n * scale
    return 1 if v < 1.0 else int(v + 0.5)


def mallocstats(label):
    sys.stderr.write("=== arenabench %s\n" % label)
    sys.stderr.flush()
    sys._debugmallocstats()
    sys.stderr.flush()
