/*
 * python_sources.h -- where the Python originals live, relative to the
 * source tree (AB_SOURCE_DIR).  `arenabench validate` runs
 * "python3 FILE SPEC" where SPEC is the workload spec (name[:param]).
 */
#ifndef AB_PYTHON_SOURCES_H
#define AB_PYTHON_SOURCES_H

#define AB_PY_SRC_BENCH_OBMALLOC "workloads/python/bench_obmalloc.py"
#define AB_PY_SRC_EVAN_JONES "workloads/python/evan_jones.py"
#define AB_PY_SRC_RANDOM_PRUNE "workloads/python/random_prune.py"
#define AB_PY_SRC_TRIE_PRUNE "workloads/python/trie_prune.py"

#endif
