#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 15: failover-shaped faults on a hub of two scimd instances on one PostgreSQL.

- The database killed mid-write (pg_ctl stop -m immediate) while clients POST and PATCH
  through A, then started again: every change A acknowledged with a 2xx is in the
  database; no change is half-applied (a user without its id_ledger row or its change-log
  row, a ledger entry without its user); during the outage A answers 503 (never 500, never
  401, never a dropped connection) and stays up; after the restart A serves again without
  being restarted: its writer, its readers, its authenticator's connection and its LISTEN
  thread (a change through B wakes a long-poll held on A at once) all reconnect.
- Instance A SIGKILLed under load: B keeps serving, and clients that retry on B succeed;
  nothing A acknowledged is lost, no uid is handed out twice."""
import http.client
import json
import os
import sqlite3
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pghub  # noqa: E402
from pghub import fh, h  # noqa: E402

CLIENTS = 4
OUTAGE = 3.0  # seconds the database stays down
UNREACHABLE = 20.0  # seconds its address answers nothing
ANSWER_WITHIN = 8.0  # seconds a request may wait for it (IdPs time out at 30 s or more)


def send(inst, token, method, path, body=None, timeout=15):
    """(status, json) or (None, the exception) for a dropped or refused connection."""
    conn = http.client.HTTPConnection("127.0.0.1", inst.fixed_port, timeout=timeout)
    try:
        hdrs = {"Authorization": token.bearer_header(), "Accept": h.SCIM_MEDIA_TYPE}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            hdrs["Content-Type"] = h.SCIM_MEDIA_TYPE
        conn.request(method, inst.base_path + path, body=payload, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = None
        return resp.status, doc
    except (OSError, http.client.HTTPException) as e:
        return None, e
    finally:
        conn.close()


def follower_has(f, user_name):
    conn = sqlite3.connect("file:%s?mode=ro" % f.db_path, uri=True, timeout=5)
    try:
        return conn.execute("SELECT 1 FROM users WHERE user_name = ?",
                            (user_name,)).fetchone() is not None
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


class Load:
    """CLIENTS threads, each creating users and PATCHing its own user's displayName in turn
    through `target()` (an instance), recording every answer."""

    def __init__(self, hub, token, target, fallback=None, prefix="ld"):
        self.hub = hub
        self.token = token
        self.target = target
        self.fallback = fallback
        self.prefix = prefix
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.log = []         # (time, client, op, status)
        self.created = {}     # userName -> id, for 201s (or a retry's 409 on a name sent before)
        self.maybe = set()    # userNames sent without an answer (their fate is the database's)
        self.patched = {}     # user id -> [(value, status)] in the order sent
        self.errors = []
        self.threads = []
        self.durations = []   # (time answered, seconds taken) of every first attempt

    def start(self, own_users):
        for i in range(CLIENTS):
            t = threading.Thread(target=self.run, args=(i, own_users[i]))
            t.start()
            self.threads.append(t)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def note(self, client, op, status):
        with self.lock:
            self.log.append((time.monotonic(), client, op, status))

    def call(self, client, method, path, body):
        inst = self.target()
        t0 = time.monotonic()
        status, doc = send(inst, self.token, method, path, body)
        with self.lock:
            self.durations.append((time.monotonic(), time.monotonic() - t0))
        if status is None and self.fallback is not None:
            # The instance is gone: the client retries on the other one, as an IdP would.
            self.note(client, method + "-lost", None)
            inst = self.fallback
            status, doc = send(inst, self.token, method, path, body)
            return status, doc, True
        return status, doc, False

    def run(self, client, own_id):
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                name = "%s%d-%05d" % (self.prefix, client, n)
                status, doc, retried = self.call(client, "POST", "/Users",
                                                 pghub.user_body(name))
                self.note(client, "POST", status)
                with self.lock:
                    if status == 201:
                        self.created[name] = doc["id"]
                    elif status == 409 and retried:
                        self.maybe.add(name)  # A committed it and died before answering
                    elif status is None or status == 503:
                        self.maybe.add(name)
                value = "v%05d" % n
                status, doc, _ = self.call(client, "PATCH", "/Users/" + own_id, {
                    "schemas": [h.URN_PATCH_OP],
                    "Operations": [{"op": "replace", "path": "displayName", "value": value}]})
                self.note(client, "PATCH", status)
                with self.lock:
                    self.patched.setdefault(own_id, []).append((value, status))
                if status not in (200, 201):
                    time.sleep(0.05)  # an IdP backs off before it retries
        except BaseException as e:  # noqa: B902 - reported by the test
            self.errors.append(e)

    def statuses(self, since=None, until=None):
        with self.lock:
            return [(c, op, s) for (t, c, op, s) in self.log
                    if (since is None or t >= since) and (until is None or t < until)]


class ConsistencyChecks:
    def check_nothing_half_applied(self, hub, load):
        users = {r[0]: r for r in hub.query(
            "SELECT u.id, u.user_name, u.uid, "
            " (SELECT count(*) FROM id_ledger l WHERE l.owner = u.id AND l.kind = 'user' "
            "    AND l.id = u.uid AND l.released IS NULL), "
            " (SELECT count(*) FROM changes c WHERE c.kind = 'user' AND c.entity = u.id) "
            "FROM users u")}
        for uid_row in users.values():
            self.assertEqual(uid_row[3], "1", "user %s has no live id_ledger row" % uid_row[1])
            self.assertNotEqual(uid_row[4], "0", "user %s has no change-log row" % uid_row[1])
        orphans = hub.query("SELECT l.id, l.owner FROM id_ledger l WHERE l.kind = 'user' AND "
                            "l.released IS NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE "
                            "u.id = l.owner)")
        self.assertEqual(orphans, [], "ledger rows without their user")
        dup = hub.query("SELECT uid FROM users GROUP BY uid HAVING count(*) > 1")
        self.assertEqual(dup, [], "a uid held by two users")
        by_name = {r[1]: r[0] for r in users.values()}
        for name, uid in load.created.items():
            self.assertIn(name, by_name, "%s was answered 201 and is not in the database" % name)
            self.assertEqual(by_name[name], uid)
        return users

    def check_acknowledged_patches(self, hub, load):
        docs = {r[0]: json.loads(r[1]) for r in hub.query(
            "SELECT id, doc FROM users WHERE id IN (%s)" % ",".join(
                "'%s'" % i for i in load.patched))}
        for uid, sent in load.patched.items():
            acked = [i for i, (_, s) in enumerate(sent) if s == 200]
            if not acked:
                continue
            have = docs[uid].get("displayName")
            # The last acknowledged value, or a later one whose answer was lost.
            allowed = [v for (v, _) in sent[acked[-1]:]]
            self.assertIn(have, allowed, "user %s: acknowledged displayName %s lost (have %s)"
                          % (uid, sent[acked[-1]][0], have))


class DatabaseKilledMidWrite(ConsistencyChecks, unittest.TestCase):
    def setUp(self):
        # It stops the server: a cluster of its own, not the run's shared one.
        pghub.set_up(self, "a", "b", token="faults", own_cluster=True)

    def tearDown(self):
        self.hub.cleanup()

    def test_outage_503_and_recovery_without_restart(self):
        api = h.ScimClient(self.a, self.token)
        own = [api.create_user("own%d" % i)["id"] for i in range(CLIENTS)]
        # A follower of A, holding a long-poll on it when the database goes.
        follower = self.hub.follower(self.a, "pgfaults-follower", wait=30)
        fh.wait_for(lambda: follower_has(follower, "own0"), "own0 on A's follower", timeout=15)
        pid = self.a.proc.pid
        load = Load(self.hub, self.token, lambda: self.a)
        load.start(own)
        time.sleep(1.5)
        t_down = time.monotonic()
        self.hub.pg.stop("immediate")
        time.sleep(OUTAGE)
        t_up = time.monotonic()
        self.hub.pg.start()
        t_ready = time.monotonic()
        # Until A acknowledges writes again, then a little more load.
        fh.wait_for(lambda: any(s == 201 for (_, op, s) in load.statuses(since=t_up)),
                    "a 201 from A after the database came back (log tail:\n%s)"
                    % self.a.log_tail(20), timeout=20)
        t_back = min(t for (t, _, op, s) in load.log if t >= t_up and s == 201)
        time.sleep(1.0)
        load.finish()
        self.assertEqual(load.errors, [])
        self.assertIsNone(self.a.proc.poll(), "A died:\n%s" % self.a.log_tail(30))
        self.assertEqual(self.a.proc.pid, pid)
        self.assertEqual(self.a.starts, 1, "A was restarted")

        during = load.statuses(since=t_down + 0.5, until=t_up)
        kinds = sorted({s for (_, _, s) in load.statuses(since=t_down)})
        print("outage %.1f s: statuses after the stop %s; %d answers while down; the database "
              "took %.2f s to start (recovery); A acknowledged a write %.2f s after it was "
              "ready; %d users acknowledged"
              % (OUTAGE, kinds, len(during), t_ready - t_up, t_back - t_ready,
                 len(load.created)))
        self.assertLess(t_back - t_ready, 5.0, "A took long to write again")
        self.assertTrue(during, "no request was answered while the database was down")
        for (c, op, s) in load.statuses(since=t_down):
            self.assertIn(s, (200, 201, 503), "client %d %s answered %s around the outage "
                          "(A's log tail:\n%s)" % (c, op, s, self.a.log_tail(30)))
        self.assertTrue(all(s == 503 for (_, _, s) in during),
                        "not all 503 while down: %s" % sorted({s for (_, _, s) in during}))

        self.check_nothing_half_applied(self.hub, load)
        self.check_acknowledged_patches(self.hub, load)

        # Readers: every acknowledged user through A, all after the restart.
        for name, uid in list(load.created.items())[:50]:
            r = api.get("/Users/" + uid)
            self.assertEqual(r.status, 200, r.describe())
        # The authenticator: a token made now (data_version moved) is read on A's next request.
        fresh = self.a.create_token("after-restart")
        r = h.ScimClient(self.a, fresh).get("/Users", query={"count": "1"})
        self.assertEqual(r.status, 200, r.describe())
        self.a.scimctl("token", "revoke", fresh.access_id)
        r = h.ScimClient(self.a, fresh).get("/Users", query={"count": "1"})
        self.assertEqual(r.status, 401, r.describe())

        # The LISTEN thread: a change committed through B wakes a long-poll held on A.
        host = self.a.add_host("pgfaults-host")
        fh.wait_for(lambda: "listening for other instances' changes again" in
                    self.a.log_since_start(), "A's listener reconnecting", timeout=15)
        wakes = []
        for i in range(3):
            seq = int(self.hub.query("SELECT COALESCE(max(seq), 0) FROM changes")[0][0])
            box = {}

            def poll():
                c = http.client.HTTPConnection("127.0.0.1", self.a.fixed_port, timeout=30)
                try:
                    c.request("GET", "/fleet/v1/changes?since=%d&wait=20" % seq,
                              headers={"Authorization": "Bearer " + host})
                    r = c.getresponse()
                    r.read()
                    box["status"], box["t"] = r.status, time.monotonic()
                finally:
                    c.close()

            t = threading.Thread(target=poll)
            t.start()
            time.sleep(0.5)  # held by now
            self.assertNotIn("status", box, "A answered the poll before any change")
            r = h.ScimClient(self.b, self.token).create_user("wake%d" % i)
            t0 = time.monotonic()
            t.join(25)
            self.assertEqual(box.get("status"), 200, box)
            wakes.append(box["t"] - t0)
        print("after the restart, B's commit woke A's held poll in %s s"
              % " ".join("%.3f" % w for w in wakes))
        # The follower of A polled through the outage (503s, its backoff) and follows again.
        h.ScimClient(self.b, self.token).create_user("afteroutage")
        t0 = time.monotonic()
        fh.wait_for(lambda: follower_has(follower, "afteroutage"),
                    "a change through B on A's follower after the outage (log tail:\n%s)"
                    % follower.log_tail(15), timeout=20)
        print("A's follower had a change through B %.2f s after it was made"
              % (time.monotonic() - t0))
        self.assertLess(max(wakes), 0.8, "A's held poll waited for its fallback read: the "
                        "LISTEN thread did not come back")


class DatabaseUnreachable(ConsistencyChecks, unittest.TestCase):
    """The database's address stops answering (a failover whose old address is still
    routed): A's connections drop, and new ones are accepted but never answered. A must
    answer 503 within seconds (libpq would wait for ever without a connect timeout),
    stay up, and write again once the address answers."""

    def setUp(self):
        def through_proxy(t):
            t.proxy = pghub.PgProxy(t.hub.pg)
            t.a = t.hub.instance("a", url=t.proxy.url(t.hub.dbname))
            t.token = t.a.create_token("faults")

        pghub.set_up(self, then=through_proxy)

    def tearDown(self):
        self.proxy.close()
        self.hub.cleanup()

    def test_unanswered_address_503_within_seconds(self):
        api = h.ScimClient(self.a, self.token)
        own = [api.create_user("uown%d" % i)["id"] for i in range(CLIENTS)]
        load = Load(self.hub, self.token, lambda: self.a, prefix="ul")
        load.start(own)
        time.sleep(1.0)
        t_down = time.monotonic()
        self.proxy.blackhole()
        time.sleep(UNREACHABLE)
        t_up = time.monotonic()
        self.proxy.restore()
        fh.wait_for(lambda: any(s == 201 for (_, op, s) in load.statuses(since=t_up)),
                    "a 201 from A after the address answered again (log tail:\n%s)"
                    % self.a.log_tail(20), timeout=30)
        t_back = min(t for (t, _, op, s) in load.log if t >= t_up and s == 201)
        time.sleep(0.5)
        load.finish()
        self.assertEqual(load.errors, [])
        self.assertIsNone(self.a.proc.poll(), "A died:\n%s" % self.a.log_tail(30))
        after = load.statuses(since=t_down)
        during = load.statuses(since=t_down, until=t_up)
        slowest = max(d for (t, d) in load.durations if t_down <= t < t_up + 15)
        print("address unanswered %.0f s: %d answers meanwhile %s, the slowest after %.1f s; "
              "A wrote again %.2f s after it answered"
              % (UNREACHABLE, len(during), sorted({s for (_, _, s) in during}, key=str),
                 slowest, t_back - t_up))
        for (c, op, s) in after:
            self.assertIn(s, (200, 201, 503), "client %d %s answered %s (None: no answer "
                          "within 15 s) while the database's address was silent" % (c, op, s))
        self.assertTrue(any(s == 503 for (_, _, s) in during),
                        "no 503 while the database's address was silent")
        self.assertLess(slowest, ANSWER_WITHIN, "a request waited %.1f s for a silent "
                        "database" % slowest)
        self.check_nothing_half_applied(self.hub, load)
        self.check_acknowledged_patches(self.hub, load)


class InstanceKilledUnderLoad(ConsistencyChecks, unittest.TestCase):
    def setUp(self):
        pghub.set_up(self, "a", "b", token="faults")

    def tearDown(self):
        self.hub.cleanup()

    def test_sigkill_a_b_keeps_serving(self):
        api_b = h.ScimClient(self.b, self.token)
        own = [api_b.create_user("kown%d" % i)["id"] for i in range(CLIENTS)]
        load = Load(self.hub, self.token, lambda: self.a, fallback=self.b, prefix="kl")
        load.start(own)
        time.sleep(1.5)
        before = len(load.created)
        t_kill = time.monotonic()
        self.a.kill()
        time.sleep(2.0)
        load.finish()
        self.assertEqual(load.errors, [])
        self.assertIsNone(self.b.proc.poll(), "B died:\n%s" % self.b.log_tail(30))
        after = load.statuses(since=t_kill + 0.2)
        posts_b = [s for (_, op, s) in after if op == "POST"]
        print("A killed after %d creates; %d requests after, retried on B: statuses %s"
              % (before, len(after), sorted(set(posts_b))))
        self.assertTrue(posts_b, "no request after the kill")
        self.assertTrue(all(s in (200, 201) for (_, op, s) in after if op in ("POST", "PATCH")),
                        "B did not serve every retried request: %s" % sorted({
                            (op, s) for (_, op, s) in after}))
        self.check_nothing_half_applied(self.hub, load)
        self.check_acknowledged_patches(self.hub, load)
        r = api_b.get("/Users", query={"count": "1"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertGreaterEqual(r.json["totalResults"], len(load.created))


if __name__ == "__main__":
    unittest.main(verbosity=2)
