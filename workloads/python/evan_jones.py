"""evan_jones.py -- the "worst case" benchmark of Evan Jones' 2005 arena-freeing
patch mail (shared/seeds/000): "A program that allocates 1 000 000 Python
objects which occupy nearly 200MB, frees them, reallocates them, then
quits", with the mail's class Obj.  The mail shows only the class; the list
holding the objects is this reconstruction's choice (the simplest program
that matches the description).

    python3 evan_jones.py evan_jones [--scale F] [--mallocstats]
"""
import sys, gc
from _abharness import parse, scaled, mallocstats

N = 1_000_000


class Obj:
	def __init__( self ):
		self.dumb = "hello"


def evan_jones():
    objs = [Obj() for _ in range(N)]
    del objs
    objs = [Obj() for _ in range(N)]


if __name__ == "__main__":
    spec, scale, seed, stats = parse(sys.argv[1:])
    if spec != "evan_jones":
        sys.exit("unknown workload %r" % spec)
    N = scaled(N, scale)
    gc.collect(); gc.disable()
    if stats: mallocstats("before")
    evan_jones()
    if stats: mallocstats("after")
    gc.enable()
