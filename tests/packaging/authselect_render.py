#!/usr/bin/env python3
"""Renders an authselect profile template the way `authselect select PROFILE FEATURE...`
writes it, for the directives authselect-profiles(5) describes: {imply "a" if COND},
{continue if COND}, {include if COND}, {exclude if COND}, {if COND:TEXT} and
{if COND:TEXT|ELSE}, where COND is "feature", not "feature", joined by and/or.
(authselect is not packaged for Debian; authselect-profile.sh checks what this renders.)

usage: authselect_render.py TEMPLATE [FEATURE...]
"""

import re
import sys

NAME = r'"[a-z0-9-]+"'
COND = r'(?:not )?%s(?: (?:and|or) (?:not )?%s)*' % (NAME, NAME)


def holds(cond, features):
    if not re.fullmatch(COND, cond):
        raise SystemExit("authselect_render: cannot read the condition %r" % cond)
    expr = re.sub(NAME, lambda m: str(m.group(0).strip('"') in features), cond)
    return eval(expr, {"__builtins__": {}}, {})  # only True/False/not/and/or remain


def render(text, features):
    features = set(features)
    for target, cond in re.findall(r'\{imply "([a-z0-9-]+)" if (%s)\}' % COND, text):
        if holds(cond, features):
            features.add(target)
    out = []
    for line in text.splitlines():
        if re.fullmatch(r'\s*\{imply [^}]*\}\s*', line):
            continue
        m = re.fullmatch(r'\s*\{continue if (%s)\}\s*' % COND, line)
        if m:
            if not holds(m.group(1), features):
                break
            continue
        m = re.search(r'\s*\{(include|exclude) if (%s)\}\s*$' % COND, line)
        if m:
            if holds(m.group(2), features) != (m.group(1) == "include"):
                continue
            line = line[:m.start()]
        line = re.sub(r'\{if (%s):([^}|]*)(?:\|([^}]*))?\}' % COND,
                      lambda m: m.group(2) if holds(m.group(1), features) else (m.group(3) or ""),
                      line)
        if "{" in line and re.search(r'\{(if|include|exclude|continue|imply) ', line):
            raise SystemExit("authselect_render: directive left over in %r" % line)
        out.append(line.rstrip())
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    with open(sys.argv[1]) as f:
        sys.stdout.write(render(f.read(), sys.argv[2:]))
