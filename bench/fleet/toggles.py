#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Deactivations at a hub, timed at every simulated host and at real followers' pam_scim.

  toggles.py --url URL --base PATH --auth AUTH --ids IDS_FILE --toggles T
             --pollgen-fds IN,OUT --in-ns IN_NAMESPACE_SH --scimlib DIR --pam-so SO
             [--follower NAME:CACHE:SHADOW]... [--inactive SCIM_ID]... [--details FILE]
             [--timeout S] [--interval S] [--settle]

bench/fleet/run starts it with bench/fleet/pollgen.c already holding its polls (IN and OUT are
pollgen's command and result pipes, inherited) and the followers already joined. For each
of T loaded users, in a fixed random order: PATCH active=true, wait until every follower's
pam_scim allows the user (and, if the user was inactive, until pollgen says every simulated
host holds it: the hub records no change for a PATCH that changes nothing, so users start
active except those given with --inactive); then PATCH
active=false and, from its 2xx, time until each follower's `pamtester scimbench USER
acct_mgmt` (bench/fleet/pamwatch.py, one per follower in its own mount namespace, run every
--interval seconds, default 0.1: a sample is late by at most that and one run) fails and
until every simulated host holds the change. Prints TSV rows on stdout: per follower and over
all followers p50/p99/max in ms, the simulated hosts' pooled p50/p99/max over every host of
every deactivation and the time until the last host (per deactivation: p50/p99/max); one line
per deactivation on stderr and in FILE. Percentiles: the sample at round(p * (n - 1)), as
pollgen.c. A follower that has not denied within S seconds (default 120) counts as S in its
statistics and in pam_*_timeouts. With --settle, each deactivation waits until the hub's
store has taken no write for a second (scimd_store_changes_total of its /metrics, read with
AUTH): what a deactivation costs a hub that is not still taking the hosts' polls after the
previous change. Exits non-zero with a message if a PATCH is refused, a
follower does not allow within S seconds or pollgen fails."""
import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import time
import urllib.parse

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SERVICE = "scimbench"
HERE = os.path.dirname(os.path.abspath(__file__))


def pct(sorted_v, p):
    return sorted_v[min(len(sorted_v) - 1, int(p * (len(sorted_v) - 1) + 0.5))]


def patch_active(conn, base, auth, scim_id, active):
    """PATCH active; the time its 2xx was read (time.monotonic())."""
    body = json.dumps({"schemas": [PATCH_OP],
                       "Operations": [{"op": "replace", "path": "active", "value": active}]})
    for attempt in (1, 2):
        try:
            conn.request("PATCH", "%s/Users/%s" % (base, scim_id), body,
                         {"Authorization": auth, "Content-Type": "application/scim+json"})
            resp = conn.getresponse()
            resp.read()
            break
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The hub closed the kept-alive connection while we waited: the same PATCH on a
            # new one (setting active twice changes nothing more).
            conn.close()
            if attempt == 2:
                raise
    t = time.monotonic()
    if resp.status // 100 != 2:
        sys.exit("toggles: PATCH %s active=%s answered %d" % (scim_id, active, resp.status))
    return t


def store_writes(conn, auth):
    conn.request("GET", "/metrics", headers={"Authorization": auth})
    resp = conn.getresponse()
    body = resp.read().decode()
    if resp.status != 200:
        sys.exit("toggles: GET /metrics answered %d" % resp.status)
    for line in body.splitlines():
        if line.startswith("scimd_store_changes_total "):
            return int(line.split()[1])
    sys.exit("toggles: no scimd_store_changes_total in /metrics")


def settle(conn, auth, limit_s=300.0):
    """Waits until the hub's store took no write for a second; the seconds waited."""
    t0 = time.monotonic()
    last = store_writes(conn, auth)
    while time.monotonic() - t0 < limit_s:
        time.sleep(1.0)
        now = store_writes(conn, auth)
        if now == last:
            break
        last = now
    return time.monotonic() - t0


class Pollgen:
    def __init__(self, fds):
        fd_in, fd_out = (int(x) for x in fds.split(","))
        self.cmd = os.fdopen(fd_in, "w", buffering=1)
        self.res = os.fdopen(fd_out, "r")

    def line(self):
        line = self.res.readline()
        if not line:
            sys.exit("toggles: pollgen ended")
        words = line.rstrip("\n").split("\t")
        if words[0] == "error":
            sys.exit("toggles: pollgen: %s" % " ".join(words[1:]))
        return words

    def next(self, label, t):
        self.cmd.write("next %s %.6f\n" % (label, t))

    def round(self):
        """(reached, unreached, time until the last host in ms or None)."""
        words = self.line()
        if words[0] != "round":
            sys.exit("toggles: pollgen said %r" % words)
        return int(words[2]), int(words[3]), None if words[6] == "-" else float(words[6])

    def summary(self):
        self.cmd.write("summary\n")
        out = []
        while True:
            words = self.line()
            if words[0] == "end":
                return out
            out.append(words)


class Follower:
    def __init__(self, spec, args):
        self.name, cache, shadow = spec.split(":")
        self.proc = subprocess.Popen(
            [args.in_ns, cache, shadow, args.scimlib, args.pam_so, "python3",
             os.path.join(HERE, "pamwatch.py"), SERVICE, str(args.timeout), str(args.interval)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.samples = []
        self.timeouts = 0

    def ask(self, what, login):
        self.proc.stdin.write("%s %s\n" % (what, login))

    def answer(self, what, login):
        """The end of the pamtester run that showed it (time.monotonic()); None when a deny
        timed out."""
        words = self.proc.stdout.readline().split()
        if words and words[0] == "timeout" and what == "deny":
            print("toggles: follower %s did not deny %s within %s s" % (self.name, login, words[1]),
                  file=sys.stderr)
            return None
        if not words or words[0] != "ok":
            sys.exit("toggles: follower %s: %s %s: %s" %
                     (self.name, what, login, " ".join(words) or "watcher ended"))
        return float(words[1])


def main():
    ap = argparse.ArgumentParser()
    for a in ("--url", "--base", "--auth", "--ids", "--pollgen-fds", "--in-ns", "--scimlib",
              "--pam-so"):
        ap.add_argument(a, required=True)
    ap.add_argument("--toggles", type=int, required=True)
    ap.add_argument("--follower", action="append", default=[])
    ap.add_argument("--inactive", action="append", default=[])
    ap.add_argument("--details")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--settle", action="store_true")
    ap.add_argument("--interval", type=float, default=0.1)
    args = ap.parse_args()
    if args.toggles < 1:
        sys.exit("toggles: --toggles must be at least 1")

    users = []
    with open(args.ids) as f:
        for line in f:
            index, scim_id = line.split()
            users.append(("user%06d" % int(index), scim_id))
    rng = random.Random(7)
    inactive = set(args.inactive)
    picks = rng.sample(users, args.toggles) if args.toggles <= len(users) else \
        [rng.choice(users) for _ in range(args.toggles)]
    u = urllib.parse.urlparse(args.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    pollgen = Pollgen(args.pollgen_fds)
    followers = [Follower(s, args) for s in args.follower]
    details = open(args.details, "w") if args.details else None
    head = "toggle\tlogin\tsettle_s\tsim_reached\tsim_unreached\tsim_last_ms\t" + \
        "\t".join("%s_deny_ms" % f.name for f in followers)
    settled = []
    print(head, file=sys.stderr)
    if details:
        print(head, file=details)

    for i, (login, scim_id) in enumerate(picks, 1):
        # Reactivated and seen as allowed everywhere first, so each deny is this change's.
        t = patch_active(conn, args.base, args.auth, scim_id, True)
        if scim_id in inactive:
            pollgen.next("react", t)
        for f in followers:
            f.ask("allow", login)
        for f in followers:
            f.answer("allow", login)
        if scim_id in inactive:
            if pollgen.round()[1] > 0:
                sys.exit("toggles: not every simulated host got the reactivation of %s" % login)
            inactive.discard(scim_id)

        waited = settle(conn, args.auth) if args.settle else 0.0
        settled.append(waited)
        t0 = patch_active(conn, args.base, args.auth, scim_id, False)
        for f in followers:
            f.ask("deny", login)
        pollgen.next("deact", t0)
        denied = []
        for f in followers:
            t1 = f.answer("deny", login)
            if t1 is None:
                f.timeouts += 1
                denied.append(args.timeout * 1e3)
            else:
                denied.append((t1 - t0) * 1e3)
        reached, unreached, last = pollgen.round()
        inactive.add(scim_id)
        for f, ms in zip(followers, denied):
            f.samples.append(ms)
        line = "%d\t%s\t%.1f\t%d\t%d\t%s\t%s" % (
            i, login, waited, reached, unreached, "-" if last is None else "%.1f" % last,
            "\t".join("%.1f" % ms for ms in denied))
        print(line, file=sys.stderr, flush=True)
        if details:
            print(line, file=details, flush=True)

    for f in followers:
        f.proc.stdin.close()
        f.proc.wait()
    rows = [("toggles", str(args.toggles)), ("followers", str(len(followers))),
            ("settle", "yes" if args.settle else "no"), ("pam_interval_s", str(args.interval))]
    if args.settle:
        s = sorted(settled)
        rows += [("settle_p50_s", "%.1f" % pct(s, 0.5)), ("settle_max_s", "%.1f" % s[-1])]
    everyone = []
    for f in followers:
        s = sorted(f.samples)
        everyone += s
        rows += [("pam_%s_p50_ms" % f.name, "%.1f" % pct(s, 0.5)),
                 ("pam_%s_p99_ms" % f.name, "%.1f" % pct(s, 0.99)),
                 ("pam_%s_max_ms" % f.name, "%.1f" % s[-1]),
                 ("pam_%s_timeouts" % f.name, str(f.timeouts))]
    if everyone:
        everyone.sort()
        rows += [("pam_all_samples", str(len(everyone))),
                 ("pam_all_p50_ms", "%.1f" % pct(everyone, 0.5)),
                 ("pam_all_p99_ms", "%.1f" % pct(everyone, 0.99)),
                 ("pam_all_max_ms", "%.1f" % everyone[-1]),
                 ("pam_all_over_2s", str(sum(1 for ms in everyone if ms > 2000)))]
    for words in pollgen.summary():
        label = words[1]
        if words[0] == "pooled":
            rows += [("sim_%s_rounds" % label, words[2]), ("sim_%s_samples" % label, words[3]),
                     ("sim_%s_unreached" % label, words[4]),
                     ("sim_%s_p50_ms" % label, words[5]), ("sim_%s_p99_ms" % label, words[6]),
                     ("sim_%s_max_ms" % label, words[7])]
        elif words[0] == "every":
            rows += [("sim_%s_last_host_p50_ms" % label, words[2]),
                     ("sim_%s_last_host_p99_ms" % label, words[3]),
                     ("sim_%s_last_host_max_ms" % label, words[4])]
    for k, v in rows:
        print("%s\t%s" % (k, v), flush=True)


if __name__ == "__main__":
    main()
