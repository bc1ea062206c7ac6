/* test_docs.c -- every command in README.md and docs/ (any *.md below it,
 * found at run time) still works as written, as far as can be checked
 * without running it:
 *   - `arenabench SUB ...`: SUB exists and every option named exists for it
 *     (the oracle is the binary itself: `arenabench SUB --help`);
 *   - `make TARGET`: the target exists (`make -n TARGET` succeeds);
 *   - a repository path in code (allocators/..., harness/..., docs/...) names
 *     a file or directory that is there (globs and {a,b} allowed);
 *   - a relative Markdown link resolves.
 * Code is what is inside fenced blocks and `inline spans`; fenced lines
 * ending in a backslash are joined, and shell comments are dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/testutil.h"

#define MAX_DOCS 256
#define MAX_TOKENS 256
#define MAX_CACHE 64

static const char *source_dir(void)
{
    const char *d = getenv("AB_SOURCE_DIR");
    return d && *d ? d : ".";
}

/* ---- what the binary and the Makefile say (cached per name) ---- */

typedef struct cached {
    char name[128];
    bool ok;
    char *text; /* the help text of a subcommand */
} cached;

static cached sub_cache[MAX_CACHE], target_cache[MAX_CACHE];
static size_t n_subs, n_targets;

/* stdout+stderr of a shell command and its exit status (-1: could not run). */
static int capture(const char *cmd, char **text)
{
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char *buf = ab_test_slurp_stream(p);
    int st = pclose(p);
    if (text) *text = buf;
    else free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const cached *subcommand(const char *sub)
{
    for (size_t i = 0; i < n_subs; i++)
        if (!strcmp(sub_cache[i].name, sub)) return &sub_cache[i];
    assert_true(n_subs < MAX_CACHE);
    cached *c = &sub_cache[n_subs++];
    snprintf(c->name, sizeof c->name, "%s", sub);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' '%s' --help 2>&1", ab_test_arenabench(), sub);
    c->ok = capture(cmd, &c->text) == 0 && c->text;
    return c;
}

static const cached *make_target(const char *target)
{
    for (size_t i = 0; i < n_targets; i++)
        if (!strcmp(target_cache[i].name, target)) return &target_cache[i];
    assert_true(n_targets < MAX_CACHE);
    cached *c = &target_cache[n_targets++];
    snprintf(c->name, sizeof c->name, "%s", target);
    char cmd[1024];
    /* -n: print, never run (recipes with $(MAKE) recurse, also with -n).
     * The outer make's jobserver is not ours to use. */
    snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -n -C '%s' '%s' >/dev/null 2>&1",
             source_dir(), target);
    c->ok = capture(cmd, NULL) == 0;
    return c;
}

static void free_caches(void)
{
    for (size_t i = 0; i < n_subs; i++) free(sub_cache[i].text);
    n_subs = n_targets = 0;
}

/* opt occurs in text as a whole option word. */
static bool mentions_option(const char *text, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = text; (p = strstr(p, opt)); p += n) {
        bool left = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '-');
        bool right = !(isalnum((unsigned char)p[n]) || p[n] == '-');
        if (left && right) return true;
    }
    return false;
}

/* ---- the checker ---- */

typedef struct checker {
    const char *file;   /* as reported */
    const char *dir;    /* the file's directory, for relative links */
    int line;
    int problems;
    int commands, options, targets, paths, links; /* what was checked */
} checker;

static void problem(checker *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", c->file, c->line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    c->problems++;
}

/* Split shell-like: quotes group, a backslash escapes; tokens are written
 * into buf.  Returns the count. */
static size_t tokenize(const char *s, char *buf, size_t buflen, char **tok, size_t maxtok)
{
    size_t n = 0, used = 0;
    while (*s && n < maxtok) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        tok[n++] = buf + used;
        char quote = 0;
        while (*s && (quote || (*s != ' ' && *s != '\t')) && used + 1 < buflen) {
            if (quote) {
                if (*s == quote) quote = 0;
                else buf[used++] = *s;
            } else if (*s == '\'' || *s == '"') {
                quote = *s;
            } else if (*s == '\\' && s[1]) {
                buf[used++] = *++s;
            } else {
                buf[used++] = *s;
            }
            s++;
        }
        buf[used++] = 0;
    }
    return n;
}

static bool separator(const char *t)
{
    return !strcmp(t, "|") || !strcmp(t, "||") || !strcmp(t, "&&") || !strcmp(t, ";") || !strcmp(t, "&");
}

static bool is_arenabench(const char *t)
{
    const char *slash = strrchr(t, '/');
    return !strcmp(slash ? slash + 1 : t, "arenabench");
}

/* "--name" or "-x" at the start of a token (after '[' or '('), else "". */
static void option_of(const char *t, char *opt, size_t len)
{
    opt[0] = 0;
    while (*t == '[' || *t == '(') t++;
    if (t[0] != '-') return;
    if (t[1] == '-' && isalpha((unsigned char)t[2])) {
        size_t n = 2;
        while (isalnum((unsigned char)t[n]) || t[n] == '-') n++;
        snprintf(opt, len, "%.*s", (int)n, t);
    } else if (isalpha((unsigned char)t[1]) && !isalnum((unsigned char)t[2]) && t[2] != '-') {
        snprintf(opt, len, "%.2s", t);
    }
}

static bool all_lower(const char *t)
{
    if (!*t) return false;
    for (; *t; t++)
        if (!islower((unsigned char)*t) && *t != '-') return false;
    return true;
}

static void check_arenabench(checker *c, char **tok, size_t i, size_t n)
{
    if (i + 1 >= n || !all_lower(tok[i + 1])) return; /* `arenabench` alone, a placeholder, --help */
    const char *sub = tok[i + 1];
    c->commands++;
    const cached *h = subcommand(sub);
    if (!h->ok) {
        problem(c, "`arenabench %s`: no such subcommand (`arenabench %s --help` fails)", sub, sub);
        return;
    }
    for (size_t k = i + 2; k < n && !separator(tok[k]); k++) {
        char opt[64];
        option_of(tok[k], opt, sizeof opt);
        if (!opt[0]) continue;
        c->options++;
        if (!mentions_option(h->text, opt))
            problem(c, "`arenabench %s %s`: `arenabench %s --help` knows no %s", sub, opt, sub, opt);
    }
}

static void check_make(checker *c, char **tok, size_t i, size_t n)
{
    for (size_t k = i + 1; k < n && !separator(tok[k]); k++) {
        const char *t = tok[k];
        if (t[0] == '-' || strchr(t, '=') || strchr(t, '$') || strchr(t, '<')) continue;
        bool placeholder = false; /* e.g. build/normal/tests/test_X */
        for (const char *p = t; *p; p++)
            if (isupper((unsigned char)*p)) placeholder = true;
        if (placeholder) continue;
        c->targets++;
        if (!make_target(t)->ok) problem(c, "`make %s`: no such target (`make -n %s` fails)", t, t);
    }
}

/* Top-level folders whose paths a document may name. */
static const char *const repo_dirs[] = {"allocators/", "workloads/", "harness/", "tests/", "plots/",
                                        "results/",    "mk/",        "docs/",    "bench/", ".ci/", "contrib/"};

static bool generated(const char *t)
{
    return strstr(t, "/out/") || (strlen(t) >= 4 && !strcmp(t + strlen(t) - 4, "/out"));
}

static void check_path(checker *c, const char *token)
{
    char t[512];
    snprintf(t, sizeof t, "%s", token);
    size_t len = strlen(t);
    while (len && strchr(".,:;)]'\"", t[len - 1])) t[--len] = 0; /* sentence punctuation */
    const char *p = t;
    while (*p == '(' || *p == '[') p++;
    bool repo = false;
    for (size_t i = 0; i < sizeof repo_dirs / sizeof repo_dirs[0]; i++)
        if (!strncmp(p, repo_dirs[i], strlen(repo_dirs[i]))) repo = true;
    if (!repo || generated(p)) return;
    for (const char *q = p; *q; q++)
        if (!(isalnum((unsigned char)*q) || strchr("/._-*{},", *q))) return; /* placeholders, $vars */
    for (const char *q = p; *q; q++)
        if (isupper((unsigned char)*q) && strchr(p, '/') && q > strrchr(p, '/')) {
            /* FILE, METRIC in a file name are placeholders; README.md is not */
            if (!strstr(p, "README") && !strstr(p, ".ci")) return;
        }
    char pattern[1024];
    snprintf(pattern, sizeof pattern, "%s/%s", source_dir(), p);
    glob_t g;
    int rc = glob(pattern, GLOB_BRACE | GLOB_NOSORT, NULL, &g);
    c->paths++;
    if (rc != 0 || g.gl_pathc == 0) problem(c, "`%s`: no such path in the repository", p);
    if (rc == 0) globfree(&g);
}

/* One piece of code: a fenced line (continuations joined) or an inline span. */
static void check_code(checker *c, const char *code, bool strip_comment)
{
    char text[8192];
    snprintf(text, sizeof text, "%s", code);
    if (strip_comment) {
        char quote = 0;
        for (char *p = text; *p; p++) {
            if (quote) { if (*p == quote) quote = 0; continue; }
            if (*p == '\'' || *p == '"') quote = *p;
            else if (*p == '#' && (p == text || p[-1] == ' ' || p[-1] == '\t')) { *p = 0; break; }
        }
    }
    char buf[sizeof text + MAX_TOKENS], *tok[MAX_TOKENS];
    size_t n = tokenize(text, buf, sizeof buf, tok, MAX_TOKENS);
    for (size_t i = 0; i < n; i++) {
        bool command_position = i == 0 || separator(tok[i - 1]) || !strcmp(tok[i - 1], "sudo");
        if (is_arenabench(tok[i])) check_arenabench(c, tok, i, n);
        else if (command_position && !strcmp(tok[i], "make")) check_make(c, tok, i, n);
        check_path(c, tok[i]);
    }
}

static void check_links(checker *c, const char *line)
{
    for (const char *p = line; (p = strstr(p, "](")); ) {
        p += 2;
        const char *end = strchr(p, ')');
        if (!end) return;
        char target[512];
        snprintf(target, sizeof target, "%.*s", (int)(end - p), p);
        p = end;
        char *hash = strchr(target, '#');
        if (hash) *hash = 0;
        if (!target[0] || strstr(target, "://") || !strncmp(target, "mailto:", 7)) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", c->dir, target);
        struct stat st;
        c->links++;
        if (stat(path, &st) != 0) problem(c, "link to %s: no such file", target);
    }
}

/* Check one Markdown document; returns the number of problems. */
static int check_markdown(checker *c, const char *text)
{
    bool fenced = false;
    char joined[8192] = "";
    c->line = 0;
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char l[4096];
        snprintf(l, sizeof l, "%.*s", (int)(len < sizeof l ? len : sizeof l - 1), line);
        c->line++;
        const char *s = l;
        while (*s == ' ') s++;
        if (!strncmp(s, "```", 3) || !strncmp(s, "~~~", 3)) {
            fenced = !fenced;
            joined[0] = 0;
        } else if (fenced) {
            size_t jl = strlen(joined), ll = strlen(l);
            if (jl + ll + 2 > sizeof joined) ll = sizeof joined - jl - 2;
            memcpy(joined + jl, l, ll);
            joined[jl + ll] = ' ';
            joined[jl + ll + 1] = 0;
            jl += ll + 1;
            if (jl >= 2 && joined[jl - 2] == '\\') {
                joined[jl - 2] = ' '; /* continued on the next line */
            } else {
                check_code(c, joined, true);
                joined[0] = 0;
            }
        } else {
            check_links(c, l);
            /* inline spans: `code` or ``code`` */
            for (const char *p = l; (p = strchr(p, '`'));) {
                size_t ticks = strspn(p, "`");
                const char *start = p + ticks, *close = start;
                while ((close = strchr(close, '`')) && strspn(close, "`") != ticks) close += strspn(close, "`");
                if (!close) break;
                char span[2048];
                snprintf(span, sizeof span, "%.*s", (int)(close - start), start);
                check_code(c, span, false);
                p = close + ticks;
            }
        }
        line += len + (nl ? 1 : 0);
    }
    return c->problems;
}

/* ---- the documents ---- */

static char *docs[MAX_DOCS];
static size_t n_docs;

static int collect_md(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t len = strlen(path);
    if (type == FTW_F && len > 3 && !strcmp(path + len - 3, ".md") && n_docs < MAX_DOCS) docs[n_docs++] = strdup(path);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/README.md", source_dir());
    docs[n_docs++] = strdup(path);
    snprintf(path, sizeof path, "%s/docs", source_dir());
    nftw(path, collect_md, 16, FTW_PHYS);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_docs; i++) free(docs[i]);
    n_docs = 0;
    free_caches();
    return 0;
}

static void every_document_checks_out(void **state)
{
    (void)state;
    assert_true(n_docs >= 2); /* README.md and at least one docs/ page */
    int problems = 0, commands = 0, options = 0, targets = 0, paths = 0, links = 0;
    for (size_t i = 0; i < n_docs; i++) {
        char *text = ab_test_slurp(docs[i]);
        assert_non_null(text);
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", docs[i]);
        *strrchr(dir, '/') = 0;
        const char *shown = docs[i] + strlen(source_dir()) + 1;
        checker c = {.file = shown, .dir = dir};
        problems += check_markdown(&c, text);
        commands += c.commands;
        options += c.options;
        targets += c.targets;
        paths += c.paths;
        links += c.links;
        free(text);
    }
    printf("docs: %zu files; %d arenabench commands with %d options, %d make targets, %d paths, %d links "
           "checked; %d problems\n",
           n_docs, commands, options, targets, paths, links, problems);
    /* A checker that finds nothing to check checks nothing. */
    assert_true(commands >= 10);
    assert_true(options >= 20);
    assert_true(targets >= 2);
    assert_true(links >= 5);
    assert_int_equal(problems, 0);
}

/* The checker itself: each kind of stale documentation is caught. */
static void stale_documentation_is_caught(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        int problems;
    } cases[] = {
        {"```sh\narenabench run --reps 3 --scale 0.1\n```\n", 0},
        {"```sh\narenabench run --reps 3 --no-such-option 1\n```\n", 1},
        {"```sh\narenabench run --reps 3 \\\n  --removed-later 2   # comment --not-checked\n```\n", 1},
        {"Run `arenabench frobnicate FILE` first.\n", 1},
        {"`arenabench plot FILE [-o DIR] [--baseline V]` and `arenabench plot FILE -z`\n", 1},
        {"Then `make test`, and `make no-such-target`.\n", 1},
        {"See `harness/ci-gate.sh` and `harness/no_such_file.c`.\n", 1},
        {"Globs: `tests/test_*.c`, `allocators/variant.{h,c}`, `results/out/x.json`.\n", 0},
        {"[ok](README.md), [web](https://example.org/x), [gone](docs/nothing-here.md)\n", 1},
        {"```text\narenabench validate [--scale F] [--workloads LIST|all] [--tolerance PCT]\n```\n", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        checker c = {.file = "case", .dir = source_dir()};
        int got = check_markdown(&c, cases[i].doc);
        if (got != cases[i].problems) fail_msg("case %zu: %d problems, expected %d:\n%s", i, got, cases[i].problems, cases[i].doc);
    }
    free_caches();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_documentation_is_caught),
        cmocka_unit_test_setup_teardown(every_document_checks_out, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
