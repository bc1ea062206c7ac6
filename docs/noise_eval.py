#!/usr/bin/python3
"""noise_eval.py -- the measurements behind docs/noise.md.

Input: results files of A/A runs, each with two variants that are the same
allocator under two names (e.g. `run --variants 4k,pymalloc:pages=4k`).
For each comparison shape it counts, over all cells of wall_ns:
  - A/A false verdicts (better or worse) -- should be <= 5%;
  - detection of a slowdown injected by multiplying the new side's
    samples by 1.05 or 1.10 -- the share of cells called "worse".

Shapes:
  within   compare FILE --base-variant A --new-variant B     (new binary:
           its default statistics, and --test paired-t)
  within-unpaired  the same cells split into two files, compared as two
           files with --test mwu (what main's compare did with interleaved
           cells: an unpaired test)
  runs-1v1 compare RUN_i RUN_j for disjoint pairs of runs (both variants)
  runs-3v3 compare R1 R2 R3 --vs R4 R5 R6 for disjoint triples

usage: noise_eval.py NEW_ARENABENCH OLD_ARENABENCH A B FILE...
  OLD_ARENABENCH is a build of main before issue 11 (its default compare).
"""
import json, os, subprocess, sys, tempfile

new_ab, old_ab, var_a, var_b = sys.argv[1:5]
files = sys.argv[5:]
tmp = tempfile.mkdtemp(prefix="noise-eval-")


def load(p):
    with open(p) as f:
        return json.load(f)


def save(doc, name):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        json.dump(doc, f)
    return p


def scaled(doc, variant, factor):
    d = json.loads(json.dumps(doc))
    for c in d["cells"]:
        if variant is None or c["variant"] == variant:
            for s in c["samples"]:
                if isinstance(s.get("wall_ns"), (int, float)):
                    s["wall_ns"] = s["wall_ns"] * factor
    return d


def only(doc, variant, rename=None):
    d = json.loads(json.dumps(doc))
    d["cells"] = [c for c in d["cells"] if c["variant"] == variant]
    for c in d["cells"]:
        c["variant"] = rename or variant
    d["config"]["variants"] = [rename or variant]
    return d


def verdicts(ab, args):
    r = subprocess.run([ab, "compare"] + args + ["--metrics", "wall_ns"], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit("compare failed: %s\n%s" % (args, r.stderr))
    for line in r.stdout.splitlines():
        if line.startswith("wall_ns "):
            nums = [int(x) for x in line.split()[1:]]
            return nums[0], nums[1], sum(nums)   # better, worse, cells
    raise SystemExit("no wall_ns summary row:\n" + r.stdout)


def tally(name, results):
    for factor, (bad, cells) in sorted(results.items()):
        what = "A/A false verdicts" if factor == 1.0 else "%.0f%% slowdown detected" % (100 * (factor - 1))
        print("%-16s %-26s %4d / %-4d = %5.1f%%" % (name, what, bad, cells, 100.0 * bad / max(cells, 1)))


docs = [load(p) for p in files]
factors = (1.0, 1.05, 1.10)

for label, extra in (("within (auto)", []), ("within paired-t", ["--test", "paired-t"])):
    res = {f: [0, 0] for f in factors}
    for i, d in enumerate(docs):
        for f in factors:
            p = save(scaled(d, var_b, f), "w%d.json" % i)
            b, w, n = verdicts(new_ab, [p, "--base-variant", var_a, "--new-variant", var_b] + extra)
            res[f][0] += (b + w) if f == 1.0 else w
            res[f][1] += n
    tally(label, res)

for label, ab, extra in (("within-unpaired", old_ab, []),):
    res = {f: [0, 0] for f in factors}
    for i, d in enumerate(docs):
        pa = save(only(d, var_a), "ua%d.json" % i)
        for f in factors:
            pb = save(only(scaled(d, var_b, f), var_b, rename=var_a), "ub%d.json" % i)
            b, w, n = verdicts(ab, [pa, pb] + extra)
            res[f][0] += (b + w) if f == 1.0 else w
            res[f][1] += n
    tally(label, res)

for label, ab in (("runs-1v1 main", old_ab), ("runs-1v1 new", new_ab)):
    res = {f: [0, 0] for f in factors}
    for i in range(0, len(docs) - 1, 2):
        pa = save(docs[i], "ra.json")
        for f in factors:
            pb = save(scaled(docs[i + 1], None, f), "rb.json")
            b, w, n = verdicts(ab, [pa, pb])
            res[f][0] += (b + w) if f == 1.0 else w
            res[f][1] += n
    tally(label, res)

res = {f: [0, 0] for f in factors}
for i in range(0, len(docs) - 5, 6):
    pa = [save(docs[i + k], "ma%d.json" % k) for k in range(3)]
    for f in factors:
        pb = [save(scaled(docs[i + 3 + k], None, f), "mb%d.json" % k) for k in range(3)]
        b, w, n = verdicts(new_ab, pa + ["--vs"] + pb)
        res[f][0] += (b + w) if f == 1.0 else w
        res[f][1] += n
tally("runs-3v3 new", res)
