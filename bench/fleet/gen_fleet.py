#!/usr/bin/env python3
"""gen_fleet.py TEMPLATE OUTDIR N [--target-mb MB] -- N synthetic machine files.

Each output is TEMPLATE (a real `arenabench run` file of the default matrix)
as if another machine had run it: its own hostname and CPU, wall and CPU times
scaled by a per-machine factor, and every measured sample's memory timeline
stretched (by repeating its points with advancing timestamps) until the file
is about MB megabytes -- a default-matrix file at scale 1.0 is ~4.9 MB, most
of it timelines.  Plan, variants, workloads and checksums are the template's,
so the N files merge as one plan run on N machines.  Deterministic (seeded by
the machine number)."""
import argparse, json, os, random

def stretch(timeline, points):
    if not timeline or not timeline.get("t_ns"):
        return timeline
    n = len(timeline["t_ns"])
    keys = [k for k, v in timeline.items() if isinstance(v, list) and len(v) == n]
    step = max(1, timeline["t_ns"][-1] - timeline["t_ns"][0] + 1)
    out = {k: [] for k in keys}
    for i in range(points):
        src, lap = i % n, i // n
        for k in keys:
            v = timeline[k][src]
            out[k].append(v + lap * step if k == "t_ns" else v)
    timeline.update(out)
    return timeline

def machine_file(template, m, points, factor):
    doc = json.loads(json.dumps(template))
    mach = doc["machine"]
    mach["hostname"] = f"fleet-{m:03d}"
    mach["cpu_model"] = f"Synthetic CPU {m % 7}"
    mach["nproc"] = 2 + 2 * (m % 8)
    for cell in doc["cells"]:
        for s in cell["samples"]:
            for k in ("wall_ns", "user_ns", "sys_ns"):
                if isinstance(s.get(k), (int, float)):
                    s[k] = int(s[k] * factor)
            s["timeline"] = stretch(s.get("timeline"), points)
    return doc

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("template"); ap.add_argument("outdir"); ap.add_argument("n", type=int)
    ap.add_argument("--target-mb", type=float, default=4.9)
    a = ap.parse_args()
    template = json.load(open(a.template))
    os.makedirs(a.outdir, exist_ok=True)
    # Find the timeline length that gives the target size (size is linear in it).
    sizes = {}
    for p in (10, 200):
        sizes[p] = len(json.dumps(machine_file(template, 0, p, 1.0), separators=(",", ":")))
    per_point = (sizes[200] - sizes[10]) / 190
    points = max(10, int(10 + (a.target_mb * 1e6 - sizes[10]) / per_point))
    for m in range(a.n):
        rng = random.Random(m)
        doc = machine_file(template, m, points, 0.5 + rng.random())
        with open(os.path.join(a.outdir, f"machine-{m:03d}.json"), "w") as f:
            json.dump(doc, f, separators=(",", ":"))
    print(f"gen_fleet: {a.n} files of ~{a.target_mb} MB ({points} timeline points per sample) in {a.outdir}")

if __name__ == "__main__":
    main()
