#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""contrib/: the Grafana dashboard and the Prometheus alert rules parse (JSON, YAML), are
well formed (every rule has an expression, a severity and a summary; every panel target an
expression with balanced brackets and quotes), and every scimd metric they use - with the
labels they select on - is one a real scimd exports: a scimd started on loopback with a
temporary configuration (tests/integration/harness) is asked for /metrics. Every metric
family scimd exports has a place on the dashboard.

usage: contrib-metrics.py   (SCIMD_BUILD_ROOT and SCIMD_SOURCE_ROOT set by meson test)
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration", "harness"))
import scimharness as h  # noqa: E402

SRC = os.environ.get("SCIMD_SOURCE_ROOT") or os.path.abspath(os.path.join(HERE, "..", ".."))
DASHBOARD = os.path.join(SRC, "contrib", "grafana", "scimd-dashboard.json")
RULES = os.path.join(SRC, "contrib", "prometheus", "scimd-alerts.yml")
# Series Prometheus adds itself, and the labels it attaches to every scraped sample.
PROMETHEUS_METRICS = {"up"}
TARGET_LABELS = {"instance", "job"}
METRIC_RE = re.compile(r"\bscimd_[a-z0-9_]+\b")
# A metric name and its {selector}: scimd_requests_total{route=~"/Users", status="201"}.
SELECTOR_RE = re.compile(r'\b(scimd_[a-z0-9_]+)\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}')
MATCHER_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - %s" % name)
    else:
        failed += 1
        print("FAIL - %s" % name, file=sys.stderr)
        if detail:
            print("    " + detail.replace("\n", "\n    "), file=sys.stderr)


def balanced(expr):
    """Brackets balance outside strings and every string is closed: enough to catch an edit
    that broke an expression, without a PromQL parser."""
    pairs, stack, quote, i = {")": "(", "]": "[", "}": "{"}, [], None, 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            stack.append(c)
        elif c in ")]}":
            if not stack or stack.pop() != pairs[c]:
                return False
        i += 1
    return not stack and quote is None


def exported_metrics(text):
    """{sample or family name: set of label names} from Prometheus text output. A family
    announced by # TYPE counts even without samples (a counter nothing has touched yet);
    a histogram brings its _bucket, _sum and _count."""
    names = {}
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            family, kind = m.groups()
            names.setdefault(family, set())
            if kind == "histogram":
                for suffix in ("_bucket", "_sum", "_count"):
                    names.setdefault(family + suffix, set())
                names[family + "_bucket"].add("le")
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s", line)
        if m:
            labels = {lm.group(1) for lm in MATCHER_RE.finditer(m.group(3) or "")}
            names.setdefault(m.group(1), set()).update(labels)
    return names


def families(names):
    return {n for n in names if not re.search(r"_(bucket|sum|count)$", n) or n[:n.rfind("_")] not in names}


def main():
    # ---- the files parse and are well formed ----------------------------------------------
    try:
        import yaml
    except ImportError:
        print("SKIP: PyYAML not installed (apt-get install python3-yaml)")
        return 77
    try:
        with open(DASHBOARD, encoding="utf-8") as f:
            dashboard = json.load(f)
        check("%s parses as JSON" % os.path.relpath(DASHBOARD, SRC), True)
    except (OSError, ValueError) as e:
        check("%s parses as JSON" % os.path.relpath(DASHBOARD, SRC), False, str(e))
        dashboard = {}
    try:
        with open(RULES, encoding="utf-8") as f:
            rules_doc = yaml.safe_load(f)
        check("%s parses as YAML" % os.path.relpath(RULES, SRC), True)
    except (OSError, yaml.YAMLError) as e:
        check("%s parses as YAML" % os.path.relpath(RULES, SRC), False, str(e))
        rules_doc = {}

    uses = []  # (where, expression)
    rules = [r for g in (rules_doc or {}).get("groups") or [] for r in g.get("rules") or []]
    check("the rule file has alert rules", len(rules) > 0)
    for r in rules:
        name = r.get("alert") or r.get("record") or "?"
        problems = [what for what, ok in (
            ("an alert name", bool(r.get("alert"))),
            ("an expr", isinstance(r.get("expr"), str) and r["expr"].strip()),
            ("labels.severity", (r.get("labels") or {}).get("severity") in ("critical", "warning", "info")),
            ("annotations.summary", bool((r.get("annotations") or {}).get("summary"))),
            ("a valid for:", re.fullmatch(r"\d+[smhd]", str(r.get("for", "0s"))) is not None),
        ) if not ok]
        check("rule %s is complete" % name, not problems, "lacks " + ", ".join(problems))
        if isinstance(r.get("expr"), str):
            uses.append(("rule " + name, r["expr"]))

    def walk(node, where):
        if isinstance(node, dict):
            title = node.get("title", where)
            for key in ("expr", "definition"):
                if isinstance(node.get(key), str):
                    uses.append(("panel " + str(title), node[key]))
            for k, v in node.items():
                walk(v, title if k in ("targets", "panels") else where)
        elif isinstance(node, list):
            for v in node:
                walk(v, where)
    walk(dashboard.get("panels", []), "dashboard")
    walk(dashboard.get("templating", {}), "variables")
    panel_exprs = [e for w, e in uses if w.startswith("panel ")]
    check("the dashboard has panels with queries", len(panel_exprs) > 0)
    for where, expr in uses:
        check("%s: brackets and quotes balance" % where, balanced(expr), expr)
        others = set(re.findall(r"\b([a-z_]+_(?:total|seconds|bucket|count|sum))\b", expr)) - \
            set(METRIC_RE.findall(expr))
        check("%s: uses no metric but scimd's and Prometheus' own" % where, not others,
              "unknown: " + ", ".join(sorted(others)))

    # ---- a real scimd's /metrics ----------------------------------------------------------
    with h.ScimdInstance(name="contrib-metrics") as s:
        s.start()
        api = s.client()
        api.create_user("contrib.metrics@example.com")  # raises unless 201
        api.get("/Users", auth=None)  # an auth failure, so the 401 series exists too
        h.wait_until(lambda: os.path.exists(s.cache_path), what="the cache export")
        resp = api.request("GET", "/metrics", base=False)
        check("GET /metrics answers 200", resp.status == 200, resp.describe())
        text = resp.raw.decode()
    exported = exported_metrics(text)
    check("/metrics has scimd metrics", any(n.startswith("scimd_") for n in exported), text[:500])

    for where, expr in uses:
        for name in sorted(set(METRIC_RE.findall(expr))):
            check("%s: %s is exported by scimd" % (where, name), name in exported,
                  "not in /metrics; scimd exports: " + ", ".join(sorted(families(exported))))
        for name, body in SELECTOR_RE.findall(expr):
            if name not in exported:
                continue
            for m in MATCHER_RE.finditer(body):
                label = m.group(1)
                check("%s: %s has the label %s" % (where, name, label),
                      label in exported[name] or label in TARGET_LABELS,
                      "%s's labels: %s" % (name, ", ".join(sorted(exported[name])) or "none"))
        for name in re.findall(r"\b([a-z][a-z0-9_]*)\{", expr):
            if not name.startswith("scimd_") and name not in ("by", "without", "on", "ignoring"):
                check("%s: %s is a series Prometheus adds" % (where, name),
                      name in PROMETHEUS_METRICS)

    on_dashboard = set(METRIC_RE.findall(" ".join(panel_exprs)))
    for family in sorted(f for f in families(exported) if f.startswith("scimd_")):
        used = family in on_dashboard or any(n.startswith(family + "_") for n in on_dashboard)
        check("dashboard shows %s" % family, used, "add a panel (or a query) for it")

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except h.HarnessError as e:
        print("ERROR: %s" % e, file=sys.stderr)
        sys.exit(1)
