"""trie_prune.py -- the trie of the pymalloc fragmentation primer
(shared/seeds/001): build a character trie from a word list, then compress
every single-child path into one node ("If a has a single child named b,
replace a and b with a single node ab"), and look at the arenas while the
compressed trie is alive.

The primer shows no code; this reconstruction picks the simplest exact
form: nodes are __slots__ instances whose children are kept in a list, and
the word list is generated (3..10 letters a-z from random.Random(seed)) so
the C equivalent can build the same trie.  Generating the words is setup,
before the "before" snapshot.

    python3 trie_prune.py trie_prune [--scale F] [--seed N] [--mallocstats]
"""
import sys, gc, random
from _abharness import parse, scaled, mallocstats

N_WORDS = 100_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


class Node:
    __slots__ = ('label', 'children', 'is_word')
    def __init__(self, label):
        self.label = label
        self.children = []
        self.is_word = False


def build(words):
    root = Node('')
    for word in words:
        node = root
        for ch in word:
            for child in node.children:
                if child.label == ch:
                    node = child
                    break
            else:
                child = Node(ch)
                node.children.append(child)
                node = child
        node.is_word = True
    return root


def compress(node):
    for child in node.children:
        while len(child.children) == 1 and not child.is_word:
            only = child.children[0]
            child.label = child.label + only.label
            child.is_word = only.is_word
            child.children = only.children
        compress(child)


def trie_prune(words):
    root = build(words)
    compress(root)
    return root


def make_words(n, seed):
    rng = random.Random(seed)
    return ["".join([LETTERS[rng._randbelow(26)] for _ in range(3 + rng._randbelow(8))])
            for _ in range(n)]


def count(node):
    nodes, chars = 1, len(node.label)
    for c in node.children:
        n, k = count(c)
        nodes += n; chars += k
    return nodes, chars


if __name__ == "__main__":
    spec, scale, seed, stats = parse(sys.argv[1:])
    if spec != "trie_prune":
        sys.exit("unknown workload %r" % spec)
    words = make_words(scaled(N_WORDS, scale), 42 if seed is None else seed)
    gc.collect(); gc.disable()
    if stats: mallocstats("before")
    root = trie_prune(words)
    if stats: mallocstats("after")
    print(*count(root))
    del root
    gc.enable()
