#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Markdown tables from bench/pg/run's raw results.

  table.py RESULTS_TSV FACTS_TSV

RESULTS_TSV rows: server endpoint c rep req/s p50_ms p99_ms requests errors scimd_cpu_pct
postgres_cpu_pct (server: sqlite, pg1, pg1b or pg2). Each cell is the median of its repetitions,
column by column. FACTS_TSV rows: key value."""
import statistics
import sys

ENDPOINTS = [("get_id", "GET /Users/{id}"),
             ("filter_eq", 'GET /Users?filter=userName eq "…"'),
             ("patch_active", "PATCH active"),
             ("post", "POST /Users (no password)")]


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) != 11:
                continue
            key = (p[0], p[1], int(p[2]))
            runs.setdefault(key, []).append([float(x) for x in p[4:]])
    cells = {}
    for key, rows in runs.items():
        med = [statistics.median(col) for col in zip(*rows)]
        med[3] = sum(r[3] for r in rows)  # errors over all repetitions, not a median
        cells[key] = med
    return cells


def cell(m):
    if m is None:
        return ["", "", ""]
    rps, p50, p99, _, errors, cpu, pgcpu = m
    flag = " (%d errors)" % errors if errors else ""
    return ["%.0f%s" % (rps, flag), "%.2f / %.2f" % (p50, p99), "%.0f / %.0f" % (cpu, pgcpu)]


def table(cells, left, right, lname, rname, concs):
    print("| request | c | %s req/s | p50 / p99 ms | %s req/s | p50 / p99 ms | %s ÷ %s "
          "| CPU %% scimd / postgres (%s) |" % (lname, rname, rname, lname, rname))
    print("|---|---|---|---|---|---|---|---|")
    for ep, title in ENDPOINTS:
        for c in concs:
            a, b = cells.get((left, ep, c)), cells.get((right, ep, c))
            if a is None and b is None:
                continue
            ratio = "%.2f×" % (b[0] / a[0]) if a and b and a[0] else ""
            ca, cb = cell(a), cell(b)
            print("| %s | %d | %s | %s | %s | %s | %s | %s |" %
                  (title, c, ca[0], ca[1], cb[0], cb[1], ratio, cb[2]))
    print()


def main():
    cells = load(sys.argv[1])
    facts = {}
    with open(sys.argv[2]) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            facts[k] = v
    print("SQLite and PostgreSQL, one scimd instance each:\n")
    table(cells, "sqlite", "pg1", "SQLite", "PostgreSQL", [1, 8, 64])
    print("PostgreSQL, one instance against two on the same database:\n")
    table(cells, "pg1b", "pg2", "1 instance", "2 instances", [8, 64])
    print("| measure | SQLite | PostgreSQL |")
    print("|---|---|---|")
    g = facts.get
    print("| import of %s users, 8 clients (bench/http/loadgen): users/s, p50 / p99 ms | "
          "%s, %s / %s | %s, %s / %s |" %
          (g("users"), g("import_sqlite_users_per_s"), g("import_sqlite_p50_ms"),
           g("import_sqlite_p99_ms"), g("import_pg_users_per_s"), g("import_pg_p50_ms"),
           g("import_pg_p99_ms")))
    print("| … CPU %% scimd / postgres during the import | %s / %s | %s / %s |" %
          (g("import_sqlite_scimd_cpu_pct"), g("import_sqlite_postgres_cpu_pct"),
           g("import_pg_scimd_cpu_pct"), g("import_pg_postgres_cpu_pct")))
    print()
    print("| deactivation (%s toggles, bench/e2e/pam_denial.py) | p50 / p99 / max ms |" %
          g("toggles"))
    print("|---|---|")
    for name, label in (("sqlite", "a follower of the SQLite hub"),
                        ("pg_a", "a follower of instance A (the PATCH's instance)"),
                        ("pg_b", "a follower of instance B")):
        if g("pam_%s_p50_ms" % name):
            print("| PATCH active=false 2xx → %s denies (pam_scim) | %s |" %
                  (label, " / ".join(g("pam_%s_%s_ms" % (name, q)) for q in
                                     ("p50", "p99", "max"))))


if __name__ == "__main__":
    main()
