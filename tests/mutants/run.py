#!/usr/bin/env python3
"""make mutants -- measure the test suite's strength as a kill rate.

Applies each mutant of tests/mutants/mutants.tsv, one at a time, to a scratch
copy of the tree (the working tree is never touched), rebuilds the driver and
the test programs the row names, runs them, and counts the mutant as killed
if any of them fails.  A mutant that no longer compiles is "not viable" and
left out of the rate.  Prints one line per mutant and the kill rate; exits 1
if a mutant's text is stale (no longer found exactly once), if the suite
fails on the unmutated copy, or if the rate is below the threshold.

  tests/mutants/run.py [--only ID[,ID...]] [--min-rate PCT] [--keep]
  (make mutants; MUTANTS_ONLY=... and MUTANTS_MIN_RATE=... pass through)
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LIST = os.path.join(HERE, "mutants.tsv")
# The goal for the suite; below it `make mutants` fails.
DEFAULT_MIN_RATE = 95.0
# A test program that takes longer than this under a mutant is hung: killed.
TEST_TIMEOUT_S = 600


def load_mutants():
    rows = []
    for n, line in enumerate(open(LIST), 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 6:
            sys.exit(f"{LIST}:{n}: expected 6 tab-separated columns, got {len(cols)}")
        mid, tests, path, old, new, why = cols
        rows.append(dict(id=mid, tests=tests.split(","), path=path, old=old, new=new, why=why))
    return rows


def copy_tree(dst):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\n")
    for f in files:
        if not f or not os.path.isfile(os.path.join(ROOT, f)):
            continue
        os.makedirs(os.path.join(dst, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dst, f))


def build(src, tests):
    targets = ["build/arenabench"] + [f"build/normal/tests/{t}" for t in tests]
    r = subprocess.run(["make", "-j2", "--no-print-directory"] + targets, cwd=src, capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def run_tests(src, tests, show_failures=False):
    env = dict(os.environ, AB_ARENABENCH=os.path.join(src, "build/arenabench"), AB_SOURCE_DIR=src,
               AB_FLAVOUR="normal")
    failed = []
    for t in tests:
        try:
            r = subprocess.run([os.path.join(src, "build/normal/tests", t)], cwd=src, env=env,
                               capture_output=True, text=True, timeout=TEST_TIMEOUT_S)
            if r.returncode != 0:
                # cmocka lists the failed cases as "[  FAILED  ] name": name them.
                cases = sorted({l.split("]", 1)[1].strip() for l in r.stdout.splitlines()
                                if l.startswith("[  FAILED  ]") and "test(s)" not in l})
                failed.append(t + (f" ({', '.join(cases)})" if cases else ""))
                if show_failures:
                    lines = [l for l in (r.stdout + r.stderr).splitlines() if "ERROR" in l or "FAILED" in l
                             or "LINE" in l or "error" in l]
                    print(f"--- {t}:\n" + "\n".join(lines[-20:]))
        except subprocess.TimeoutExpired:
            failed.append(t + " (hung)")
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=os.environ.get("MUTANTS_ONLY", ""))
    ap.add_argument("--min-rate", type=float, default=float(os.environ.get("MUTANTS_MIN_RATE", DEFAULT_MIN_RATE)))
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = ap.parse_args()
    mutants = load_mutants()
    if args.only:
        wanted = set(args.only.split(","))
        mutants = [m for m in mutants if m["id"] in wanted]
    stale = []
    for m in mutants:
        n = open(os.path.join(ROOT, m["path"])).read().count(m["old"])
        if n != 1:
            stale.append(f"{m['id']}: text found {n} times in {m['path']}")
    if stale:
        print("stale mutants (update tests/mutants/mutants.tsv):\n  " + "\n  ".join(stale))
        return 1

    scratch = tempfile.mkdtemp(prefix="abmutants-")
    os.chmod(scratch, 0o755)  # tests that drop to user nobody must reach the driver
    try:
        copy_tree(scratch)
        all_tests = sorted({t for m in mutants for t in m["tests"]})
        print(f"mutants: {len(mutants)}; tests: {', '.join(all_tests)}; scratch copy {scratch}", flush=True)
        ok, log = build(scratch, all_tests)
        if not ok:
            print(log[-4000:])
            print("the unmutated tree does not build")
            return 1
        failing = run_tests(scratch, all_tests, show_failures=True)
        if failing:
            # The huge page pool and the CPU are shared with whatever else runs
            # on the machine: one retry before declaring the suite broken.
            print(f"baseline failures ({', '.join(failing)}): retrying them once", flush=True)
            failing = run_tests(scratch, [f.split(" ")[0] for f in failing], show_failures=True)
        if failing:
            print(f"the suite fails without any mutant: {', '.join(failing)}")
            return 1
        killed = survived = not_viable = 0
        survivors = []
        for m in mutants:
            path = os.path.join(scratch, m["path"])
            original = open(path).read()
            t0 = time.time()
            try:
                with open(path, "w") as f:
                    f.write(original.replace(m["old"], m["new"], 1))
                ok, log = build(scratch, m["tests"])
                if not ok:
                    verdict = "NOT VIABLE (does not compile)"
                    not_viable += 1
                else:
                    failed = run_tests(scratch, m["tests"])
                    if failed:
                        verdict = "killed by " + ", ".join(failed)
                        killed += 1
                    else:
                        verdict = "SURVIVED"
                        survived += 1
                        survivors.append(m)
            finally:
                with open(path, "w") as f:
                    f.write(original)
            print(f"  {m['id']:36s} {verdict}  ({time.time() - t0:.0f} s)", flush=True)
        viable = killed + survived
        rate = 100.0 * killed / viable if viable else 0.0
        print(f"kill rate: {killed}/{viable} viable mutants = {rate:.1f}% "
              f"({not_viable} not viable; threshold {args.min_rate:.0f}%)")
        for m in survivors:
            print(f"  survivor {m['id']}: {m['why']} ({m['path']})")
        return 0 if rate >= args.min_rate else 1
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
