#!/usr/bin/python3
"""make_fixtures.py -- write the small hand-made results files the report
tests read (tests/data/*.json), following the README schema (version 1).

They stand in for `arenabench run` output so table/plot/compare can be tested
without running a benchmark: 4 variants x 4 workloads x 5 samples, page
faults counted, dTLB/cycles not supported (a PMU-less VM), one failed sample,
timelines for every ok sample.  small-a.json and small-b.json are independent
resamples of the *same* distributions (the A/A pair); nothing else differs.

Regenerate with:  /usr/bin/python3 tests/data/make_fixtures.py tests/data
"""
import json, random, sys, os

VARIANTS = ["4k", "hugetlb", "thp", "noreclaim"]
WORKLOADS = ["list_of_tuples", "fragmentation", "random_prune", "evan_jones"]
EVENTS = ["cycles", "dTLB-load-misses", "dTLB-store-misses", "page-faults"]
MIB = 1 << 20
REPS = 5

# (wall ms, arenas highwater, arenas current at end, page faults) per workload
# for the 4k variant; other variants scale these below.
BASE = {
    "list_of_tuples": (172.0, 60, 60, 15500),
    "fragmentation": (162.0, 64, 64, 16600),
    "random_prune": (95.0, 48, 20, 12300),
    "evan_jones": (120.0, 40, 9, 10300),
}
# wall-time factor, page-fault factor, arena size, reclaim keeps empties?
VAR = {
    "4k": (1.00, 1.00, MIB, False),
    "hugetlb": (0.75, 0.06, 2 * MIB, False),
    "thp": (0.80, 0.07, 2 * MIB, False),
    "noreclaim": (1.01, 1.00, MIB, True),
}


def checksum(workload):
    """Same for every variant of a workload, as the runner guarantees."""
    return "%016x" % (sum(ord(c) * 1000003 ** i for i, c in enumerate(workload)) & 0xFFFFFFFFFFFFFFFF)


def timeline(rng, wall_ns, hw, cur, arena_kb):
    t, rss, arenas, ev = [], [], [], []
    steps = 24
    peak_at = steps * 2 // 3
    for i in range(steps + 1):
        if i <= peak_at:
            a = round(hw * i / peak_at)
        else:
            a = round(hw - (hw - cur) * (i - peak_at) / (steps - peak_at))
        t.append(int(wall_ns * i / steps))
        arenas.append(a)
        rss.append(int(2000 + a * arena_kb * 0.9 + rng.uniform(0, 50)))
        ev.append("begin" if i == 0 else "end" if i == steps else "tick")
    return {"t_ns": t, "rss_kb": rss, "arenas": arenas, "event": ev}


def make(seed, path):
    rng = random.Random(seed)
    cells = []
    order = 0
    for w in WORKLOADS:
        ms, hw, cur, pf = BASE[w]
        for v in VARIANTS:
            wf, pff, arena, keep = VAR[v]
            ahw = hw if arena == MIB else (hw + 1) // 2
            acur = ahw if keep else (cur if arena == MIB else (cur + 1) // 2)
            hp_bytes = ahw * arena if v in ("hugetlb", "thp") and acur else 0
            samples = []
            for rep in range(REPS):
                order += 1
                failed = (v == "thp" and w == "random_prune" and rep == 2)
                wall = int(rng.gauss(ms * wf, ms * wf * 0.02) * 1e6)
                faults = int(rng.gauss(pf * pff, pf * pff * 0.01))
                s = {
                    "rep": rep, "order": order,
                    "status": "failed" if failed else "ok",
                    "reason": "workload returned 1 (out of memory)" if failed else None,
                    "wall_ns": None if failed else wall,
                    "user_ns": None if failed else int(wall * 0.8),
                    "sys_ns": None if failed else int(wall * 0.2),
                    "counters": {e: (None if failed or e != "page-faults" else faults) for e in EVENTS},
                    "counter_status": {e: ("ok" if e == "page-faults" else "not_supported") for e in EVENTS},
                    "counter_raw": {},
                    "alloc": None if failed else {
                        "arenas_allocated_total": ahw + 3, "arenas_reclaimed": ahw + 3 - acur,
                        "arenas_highwater": ahw, "arenas_current": acur,
                        "arena_size": arena, "pool_size": 16384,
                        "arena_bytes_mapped": acur * arena,
                        "hugepage_bytes": acur * arena if hp_bytes else 0,
                        "hugetlb_fallbacks": 0,
                    },
                    "rss_peak_kb": None if failed else int(2000 + ahw * arena / 1024 * 0.9 + rng.uniform(0, 200)),
                    "rss_end_kb": None if failed else int(2000 + acur * arena / 1024 * 0.9 + rng.uniform(0, 200)),
                    "checksum": None if failed else checksum(w),
                    "ops": {"malloc": 1000, "calloc": 0, "realloc": 0, "free": 900},
                    "timeline": None if failed else timeline(rng, wall, ahw, acur, arena / 1024),
                }
                for e in EVENTS:
                    if e != "page-faults":
                        s["counter_status"][e] = "not_supported"
                samples.append(s)
            cells.append({"variant": v, "variant_spec": "pymalloc:pages=%s" % v,
                          "workload": w, "samples": samples, "summary": {}})
    doc = {
        "schema_version": 1, "tool": "arenabench",
        "machine": {"cpu_model": "fixture CPU", "kernel": "6.1.0-fixture", "hostname": "fixture",
                    "pmu": {"name": "none", "present": False, "reason": "no PMU (fixture)"},
                    "nproc": 2, "date": "2026-11-21T00:00:00Z", "command_line": "make_fixtures.py"},
        "config": {"mode": "workloads", "variants": VARIANTS, "workloads": WORKLOADS,
                   "reps": REPS, "warmup": 0, "scale": 0.1, "seed": 1, "events": EVENTS,
                   "pin": None, "timeout_s": 60, "hugepages": None, "timeline_interval_ms": 5},
        "cells": cells,
        "correctness": {"checksums_agree": True, "mismatches": []},
    }
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__)
    make(11, os.path.join(out, "small-a.json"))
    make(22, os.path.join(out, "small-b.json"))
