"""python3 -m arenatrace [options] OUT.trace script.py [args...]

Run script.py as __main__ (like `python3 script.py args...`) with the
allocators hooked, writing the allocation trace to OUT.trace.
"""
import os
import runpy
import sys

import arenatrace

USAGE = ("usage: python3 -m arenatrace [--domains obj,mem[,raw]] [--no-arenas] [--quiet] "
         "OUT.trace script.py [args...]")


def main(argv):
    domains, arenas, quiet = arenatrace.DEFAULT_DOMAINS, True, False
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--domains" and argv:
            domains = argv.pop(0)
        elif opt.startswith("--domains="):
            domains = opt.split("=", 1)[1]
        elif opt == "--no-arenas":
            arenas = False
        elif opt == "--quiet":
            quiet = True
        elif opt in ("--help", "-h"):
            print(USAGE)
            return 0
        else:
            print(f"arenatrace: unknown option {opt}\n{USAGE}", file=sys.stderr)
            return 2
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    out, script = argv[0], argv[1]
    if not os.path.isfile(script):
        print(f"arenatrace: {script}: no such file", file=sys.stderr)
        return 2
    sys.argv = argv[1:]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    status = 0
    try:
        arenatrace.start(out, domains, arenas)
    except (OSError, ValueError) as e:
        print(f"arenatrace: {e}", file=sys.stderr)
        return 2
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        status = e.code
    finally:
        summary = arenatrace.stop()
    if summary and not quiet:
        print("arenatrace: wrote {records} records ({bytes} bytes) to {out}; "
              "{prehook_frees} frees and {prehook_reallocs} reallocs of pre-hook blocks, "
              "{arena_allocs} arenas mapped, {arena_frees} unmapped".format(out=out, **summary),
              file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
