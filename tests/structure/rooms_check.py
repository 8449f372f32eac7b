#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The daemon's rooms keep their shape (docs/architecture.md, "Inside scimd: the rooms"):
includes point one way (http -> api/fleet -> accounts -> store -> proto), SQL lives only in
store/, nothing includes a parent directory, and every room has its README. TAP output."""

import os
import re
import sys

ROOT = os.environ.get("SCIMD_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
SCIMD = os.path.join(ROOT, "scimd")

# room -> the rooms its files may include (besides itself and the shared leaves at the top)
ALLOWED = {
    "http": {"api", "fleet", "accounts", "store", "proto"},
    "fleet": {"api", "accounts", "store", "proto"},
    "api": {"accounts", "store", "proto"},
    "accounts": {"store", "proto"},
    "store": {"proto"},
    "proto": set(),
}
SQL = re.compile(r'\bsqlite3_[a-z_]+\s*\(|"\s*(SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|'
                 r'DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|PRAGMA\s+\w)', re.I)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

results = []


def check(ok, what, detail=""):
    results.append((ok, what, detail))


def sources(room):
    d = os.path.join(SCIMD, room)
    for name in sorted(os.listdir(d)):
        if name.endswith((".c", ".h")):
            yield name, open(os.path.join(d, name), encoding="utf-8").read()


def main():
    rooms = [r for r in sorted(os.listdir(SCIMD)) if os.path.isdir(os.path.join(SCIMD, r))]
    for room in rooms:
        check(room in ALLOWED, "scimd/%s/ is a known room" % room,
              "add it to ALLOWED and to docs/architecture.md")
        check(os.path.isfile(os.path.join(SCIMD, room, "README.md")),
              "scimd/%s/ has a README.md" % room)
        if room not in ALLOWED:
            continue
        wrong, sql, parent = [], [], []
        for name, text in sources(room):
            for inc in INCLUDE.findall(text):
                if inc.startswith("../") or "/../" in inc:
                    parent.append("%s: %s" % (name, inc))
                head = inc.split("/", 1)[0] if "/" in inc else None
                if head in ALLOWED and head != room and head not in ALLOWED[room]:
                    wrong.append("%s: %s" % (name, inc))
            if room != "store" and SQL.search(text):
                sql.append(name)
        check(not wrong, "scimd/%s/ includes only %s" % (room, sorted(ALLOWED[room]) or "itself"),
              "; ".join(wrong))
        check(not parent, "scimd/%s/ includes nothing through '..'" % room, "; ".join(parent))
        if room != "store":
            check(not sql, "no SQL in scimd/%s/" % room, ", ".join(sql))
    top_sql = []
    for name in sorted(os.listdir(SCIMD)):
        path = os.path.join(SCIMD, name)
        if os.path.isfile(path) and name.endswith((".c", ".h")):
            text = open(path, encoding="utf-8").read()
            if SQL.search(text):
                top_sql.append(name)
            if re.search(r'#\s*include\s+"\.\./', text):
                check(False, "scimd/%s includes nothing through '..'" % name)
    check(not top_sql, "no SQL in scimd/*.c (main, scimctl, config, metrics)", ", ".join(top_sql))

    print("1..%d" % len(results))
    failed = 0
    for i, (ok, what, detail) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
        if not ok:
            failed += 1
            if detail:
                print("# " + detail)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
