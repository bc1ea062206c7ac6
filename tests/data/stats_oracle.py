#!/usr/bin/python3
"""stats_oracle.py -- independent reference values for tests/test_compare.c.

Written without scipy (not installed) and deliberately by other methods than
harness/report_stats.c: the exact Mann-Whitney p by enumerating every split
of the pooled sample, Student t tail probabilities by Simpson integration of
the t density, the t quantile by bisection on that integral.

Run:  /usr/bin/python3 tests/data/stats_oracle.py
"""
import itertools, math


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def u_of(a, b):
    r = ranks(list(a) + list(b))
    return sum(r[:len(a)]) - len(a) * (len(a) + 1) / 2


def mwu_exact(a, b):
    pooled = list(a) + list(b)
    u = u_of(a, b)
    mu = len(a) * len(b) / 2
    dist = []
    for idx in itertools.combinations(range(len(pooled)), len(a)):
        rest = [pooled[i] for i in range(len(pooled)) if i not in idx]
        dist.append(u_of([pooled[i] for i in idx], rest))
    lo = sum(1 for x in dist if x <= min(u, 2 * mu - u) + 1e-9) / len(dist)
    return u, min(1.0, 2 * lo)


def mwu_normal(a, b):
    pooled = list(a) + list(b)
    n = len(pooled)
    u = u_of(a, b)
    mu = len(a) * len(b) / 2
    ties = {}
    for v in pooled:
        ties[v] = ties.get(v, 0) + 1
    tt = sum(t ** 3 - t for t in ties.values())
    var = len(a) * len(b) / 12 * ((n + 1) - tt / (n * (n - 1)))
    z = (abs(u - mu) - 0.5) / math.sqrt(var)
    return u, min(1.0, math.erfc(z / math.sqrt(2)))


def t_pdf(x, df):
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    return c * (1 + x * x / df) ** (-(df + 1) / 2)


def t_upper_tail(t, df, steps=200000):
    # P(T > t) = 0.5 - integral_0^t pdf
    h = t / steps
    s = t_pdf(0, df) + t_pdf(t, df)
    for i in range(1, steps):
        s += (4 if i % 2 else 2) * t_pdf(i * h, df)
    return 0.5 - s * h / 3


def t_quantile(p, df):
    lo, hi = 0.0, 100.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if 1 - t_upper_tail(mid, df, 20000) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean(x):
    return sum(x) / len(x)


def var(x):
    m = mean(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)


def welch(a, b):
    ua, ub = var(a) / len(a), var(b) / len(b)
    t = (mean(b) - mean(a)) / math.sqrt(ua + ub)
    df = (ua + ub) ** 2 / (ua ** 2 / (len(a) - 1) + ub ** 2 / (len(b) - 1))
    return t, df, 2 * t_upper_tail(abs(t), df)


def rel_change(a, b):
    ma, mb = mean(a), mean(b)
    ua, ub = var(a) / (len(a) * ma * ma), var(b) / (len(b) * mb * mb)
    df = (ua + ub) ** 2 / (ua ** 2 / (len(a) - 1) + ub ** 2 / (len(b) - 1))
    q = t_quantile(0.975, df)
    se = math.sqrt(ua + ub)
    r = mb / ma
    return r - 1, r * math.exp(-q * se) - 1, r * math.exp(q * se) - 1


A = [19, 22, 16, 29, 24]
B = [20, 11, 17, 12]
T1 = [100.2, 101.5, 99.8, 100.9, 100.4]
T2 = [120.1, 121.9, 119.7, 121.0, 120.6]
TIES_A = [1, 2, 2, 3, 3, 3, 4]
TIES_B = [2, 3, 4, 4, 5, 5, 6]
print("mwu exact A,B          U=%r p=%.15g" % mwu_exact(A, B))
print("mwu normal A,B         U=%r p=%.15g" % mwu_normal(A, B))
print("mwu exact T1,T2        U=%r p=%.15g" % mwu_exact(T1, T2))
print("mwu normal TIES        U=%r p=%.15g" % mwu_normal(TIES_A, TIES_B))
print("welch T1,T2            t=%.12g df=%.12g p=%.12g" % welch(T1, T2))
print("welch A,B              t=%.12g df=%.12g p=%.12g" % welch(A, B))
print("t quantile .975 df=4   %.10f" % t_quantile(0.975, 4))
print("t quantile .975 df=7.3 %.10f" % t_quantile(0.975, 7.3))
print("t cdf 1.5 df=3         %.12f" % (1 - t_upper_tail(1.5, 3)))
print("rel change T1,T2       %.12f [%.12f, %.12f]" % rel_change(T1, T2))
print("rel change A,B         %.12f [%.12f, %.12f]" % rel_change(A, B))
