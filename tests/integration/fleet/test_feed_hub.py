#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The hub's side of the fleet feed against a real scimd (issue 14, docs/fleet.md): a host
token from `scimctl host add` reads /fleet/v1/snapshot (signed, ETag = sequence, 304, gzip),
then /fleet/v1/changes long-polls that answer within 0.3 s of a SCIM PATCH, 204 at the
wait's end (even past connection_timeout), 410 below the change log's floor, 409 ahead of it;
/report stores conflicts. A SCIM token is refused on /fleet/, a host token on /Users, a revoked
host token everywhere; without a signing key the feed answers 503; held polls keep their
connection slots and share one signed document when woken; SIGTERM ends them at once;
`scimctl fleet wait` and the scimd_fleet_* gauges see which hosts lag."""

import base64
import ctypes
import ctypes.util
import gzip
import hashlib
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402

CONTEXT = b"scimd-feed-v1\n"


def sodium():
    lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    if lib.sodium_init() < 0:
        raise h.HarnessError("sodium_init failed")
    return lib


def fields(text):
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


class Hub:
    """A scimd with a signing key and a SCIM token, and raw HTTP to its /fleet/v1/."""

    def __init__(self, name, with_key=True, extra=None):
        self.inst = h.ScimdInstance(name=name, extra=extra)
        self.key_path = os.path.join(self.inst.tmpdir, "fleet.key")
        self.inst.sections["fleet"] = {"signing_key": self.key_path}
        self.inst.write_config()
        self.public_key = None
        if with_key:
            self.init_key()
        self.inst.start()
        self.scim = self.inst.client()

    def init_key(self):
        self.public_key = fields(self.inst.scimctl("fleet", "init").stdout)["public_key"]

    def close(self):
        self.inst.__exit__(None, None, None)

    def add_host(self, name):
        return fields(self.inst.scimctl("host", "add", name).stdout)["token"]

    def revoke_host(self, name):
        self.inst.scimctl("host", "revoke", name)

    def fleet(self, method, path, bearer, headers=None, body=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.inst.port, timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if bearer is not None:
                hdrs["Authorization"] = "Bearer " + bearer
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=hdrs)
            r = conn.getresponse()
            return r.status, r.headers, r.read()
        finally:
            conn.close()

    def verify(self, headers, body):
        """The body's Scimd-Signature verifies against the key fleet init printed."""
        alg, key_id, sig_b64 = headers["Scimd-Signature"].split(" ")
        pk = base64.b64decode(self.public_key)
        assert alg == "ed25519" and key_id == hashlib.sha256(pk).hexdigest()[:16], key_id
        sig = base64.b64decode(sig_b64)
        msg = CONTEXT + body
        return sodium().crypto_sign_verify_detached(sig, msg, ctypes.c_ulonglong(len(msg)),
                                                    pk) == 0

    def wait_seen(self, name, seq, timeout=5.0):
        """The host's (seq_reached, last_seen) once the hub has recorded seq for it."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.sql("SELECT seq_reached, last_seen FROM hosts WHERE name = ?", name)
            done = rows and rows[0][0] == seq and rows[0][1] is not None
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert done, "host %s never recorded at %d: %r" % (name, seq, rows)
        return rows

    def metric(self, name):
        text = self.scim.request("GET", "/metrics", base=False).raw.decode()
        m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
        return m and float(m.group(1))

    def sql(self, statement, *args):
        con = sqlite3.connect(self.inst.db_path, timeout=10)
        try:
            with con:
                return con.execute(statement, args).fetchall()
        finally:
            con.close()


class FeedHub(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub("feed-hub")
        cls.host = cls.hub.add_host("web-1")

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def snapshot(self, headers=None):
        return self.hub.fleet("GET", "/fleet/v1/snapshot", self.host, headers)

    def changes(self, since, wait=None, timeout=30):
        q = "since=%d" % since + ("" if wait is None else "&wait=%d" % wait)
        return self.hub.fleet("GET", "/fleet/v1/changes?" + q, self.host, timeout=timeout)

    def create_user(self, login):
        return self.hub.scim.create_user("%s@example.com" % login)["id"]

    def test_snapshot_signed_etag_304_gzip(self):
        uid = self.create_user("snapuser")
        status, headers, body = self.snapshot()
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertEqual(doc["type"], "snapshot")
        self.assertEqual(doc["from"], 0)
        self.assertIn(uid, [u["id"] for u in doc["users"]])
        self.assertTrue(all(u["passwordHash"] is None for u in doc["users"]))
        self.assertEqual(headers["ETag"], '"%d"' % doc["to"])
        self.assertEqual(headers["Cache-Control"], "private, max-age=0, must-revalidate")
        self.assertTrue(self.hub.verify(headers, body), "signature does not verify")
        # Compact with sorted keys: the signed bytes are reproducible from the document.
        self.assertEqual(body, json.dumps(doc, separators=(",", ":"), sort_keys=True,
                                          ensure_ascii=False).encode())
        # A tampered byte no longer verifies (the check above can fail).
        self.assertFalse(self.hub.verify(headers, body.replace(b"snapuser", b"snapuseR")))

        status, h304, body304 = self.snapshot({"If-None-Match": headers["ETag"]})
        self.assertEqual(status, 304)
        self.assertEqual(body304, b"")
        status, _, _ = self.snapshot({"If-None-Match": '"%d"' % (doc["to"] - 1)})
        self.assertEqual(status, 200)

        status, hz, bz = self.snapshot({"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(hz["Content-Encoding"], "gzip")
        plain = gzip.decompress(bz)
        self.assertTrue(self.hub.verify(hz, plain), "the signature is over the plain body")
        self.assertEqual(json.loads(plain)["to"], doc["to"])
        status, hq, _ = self.snapshot({"Accept-Encoding": "gzip;q=0, identity"})
        self.assertIsNone(hq["Content-Encoding"])

    def test_snapshot_kept_for_the_next_host(self):
        """The hub keeps the last gzip'd snapshot: a second host joining at the same
        sequence gets the same signed bytes instead of a new build; a write makes the next
        snapshot new, and a plain answer is still built and signed."""
        other = self.hub.add_host("web-kept")
        self.create_user("keptuser")
        status, h1, b1 = self.snapshot({"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        # "generated" has a one-second resolution: a snapshot built again would differ.
        time.sleep(1.2)
        status, h2, b2 = self.hub.fleet("GET", "/fleet/v1/snapshot", other,
                                        {"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(h2["Content-Encoding"], "gzip")
        self.assertEqual(h2["ETag"], h1["ETag"])
        self.assertEqual(b2, b1)
        self.assertEqual(h2["Scimd-Signature"], h1["Scimd-Signature"])
        self.assertTrue(self.hub.verify(h2, gzip.decompress(b2)))
        status, hp, bp = self.snapshot()
        self.assertEqual(status, 200)
        self.assertIsNone(hp["Content-Encoding"])
        self.assertTrue(self.hub.verify(hp, bp))
        self.assertNotEqual(json.loads(bp)["generated"],
                            json.loads(gzip.decompress(b1))["generated"])
        uid = self.create_user("keptuser2")
        status, h3, b3 = self.snapshot({"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        doc = json.loads(gzip.decompress(b3))
        self.assertTrue(self.hub.verify(h3, gzip.decompress(b3)))
        self.assertEqual(h3["ETag"], '"%d"' % doc["to"])
        self.assertNotEqual(h3["ETag"], h1["ETag"])
        self.assertIn(uid, [u["id"] for u in doc["users"]])

    def poll_then_patch(self, uid, since, delay, active):
        """Holds changes?since=&wait=30, PATCHes active after delay: the answer and its lag
        behind the PATCH's 200."""
        result = {}

        def poll():
            result["answer"] = self.changes(since, wait=30)
            result["at"] = time.monotonic()

        t = threading.Thread(target=poll)
        t.start()
        time.sleep(delay)
        self.assertNotIn("answer", result, "changes answered before anything changed")
        r = self.hub.scim.patch_ops("/Users/" + uid,
                                    [{"op": "replace", "path": "active", "value": active}])
        patched = time.monotonic()
        self.assertEqual(r.status, 200, r.describe())
        t.join(10)
        return result["answer"], result["at"] - patched

    def test_long_poll_answers_within_a_second_of_a_patch(self):
        uid = self.create_user("polluser")
        _, _, body = self.snapshot()
        since = json.loads(body)["to"]
        lags = []
        # Three PATCHes at different moments of a held poll: each commit wakes the poll at
        # once, where the waiter's 2 s fallback poll alone would lag most of them.
        for delay, active in ((0.3, False), (1.1, True), (1.7, False)):
            (status, headers, body), lag = self.poll_then_patch(uid, since, delay, active)
            self.assertEqual(status, 200, body)
            lags.append(lag)
            doc = json.loads(body)
            self.assertEqual(doc["type"], "changes")
            self.assertEqual(doc["from"], since)
            self.assertGreater(doc["to"], since)
            users = [u for u in doc["users"] if u["id"] == uid]
            self.assertEqual(len(users), 1)
            self.assertEqual(users[0]["active"], active)
            self.assertTrue(self.hub.verify(headers, body))
            # The host's progress is recorded for `host list` and `fleet wait` (within about a
            # second: the hub writes every host it heard from in one transaction).
            rows = self.hub.wait_seen("web-1", since)
            self.assertIsNotNone(rows[0][1])
            since = doc["to"]
        self.assertLess(max(lags), 0.3, "the long-poll lagged the PATCH: %s" % lags)

    def test_timeout_204_and_range_errors(self):
        _, _, body = self.snapshot()
        top = json.loads(body)["to"]
        t0 = time.monotonic()
        status, _, body = self.changes(top, wait=2)
        took = time.monotonic() - t0
        self.assertEqual(status, 204, body)
        self.assertEqual(body, b"")
        self.assertGreaterEqual(took, 1.9)
        self.assertLess(took, 4.0)
        status, _, _ = self.changes(top)  # wait defaults to 0: no hold
        self.assertEqual(status, 204)
        status, _, body = self.changes(top + 1000)
        self.assertEqual(status, 409, body)
        for bad in ("since=-1", "since=abc", "since=1&wait=301", "wait=5", "since=1&wait=x"):
            status, _, body = self.hub.fleet("GET", "/fleet/v1/changes?" + bad, self.host)
            self.assertEqual(status, 400, (bad, body))
        # Below the floor (pruned history): 410.
        self.create_user("flooruser")
        floor = top + 1
        self.hub.sql("UPDATE meta SET value = ? WHERE key = 'changes_floor'", str(floor))
        if not self.hub.sql("SELECT 1 FROM meta WHERE key = 'changes_floor'"):
            self.hub.sql("INSERT INTO meta(key, value) VALUES('changes_floor', ?)", str(floor))
        status, _, body = self.changes(floor - 1)
        self.assertEqual(status, 410, body)
        status, _, body = self.changes(floor)
        self.assertIn(status, (200, 204), body)
        self.hub.sql("UPDATE meta SET value = '0' WHERE key = 'changes_floor'")

    def test_report(self):
        conflicts = [{"kind": "user", "id": "abc", "name": "bob", "uid": 123,
                      "reason": "local account bob"}]
        status, _, body = self.hub.fleet("POST", "/fleet/v1/report", self.host,
                                         body={"conflicts": conflicts})
        self.assertEqual(status, 204, body)
        stored = self.hub.sql("SELECT conflicts FROM hosts WHERE name = 'web-1'")[0][0]
        self.assertEqual(json.loads(stored), conflicts)
        status, _, body = self.hub.fleet("POST", "/fleet/v1/report", self.host,
                                         body={"conflicts": [{"kind": "disk"}]})
        self.assertEqual(status, 400, body)
        self.assertEqual(json.loads(self.hub.sql(
            "SELECT conflicts FROM hosts WHERE name = 'web-1'")[0][0]), conflicts)
        status, headers, _ = self.hub.fleet("GET", "/fleet/v1/report", self.host)
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "POST")

    def test_tokens_stay_in_their_lane(self):
        scim_bearer = self.hub.scim.token.bearer
        for path in ("/fleet/v1/snapshot", "/fleet/v1/changes?since=0", "/fleet/v1/nothing"):
            status, headers, body = self.hub.fleet("GET", path, scim_bearer)
            self.assertEqual(status, 401, (path, body))
            self.assertIsNotNone(headers["WWW-Authenticate"])
        status, _, _ = self.hub.fleet("GET", "/fleet/v1/snapshot", None)
        self.assertEqual(status, 401)
        status, _, body = self.hub.fleet("GET", "/fleet/v1/nothing", self.host)
        self.assertEqual(status, 404, body)
        status, _, body = self.hub.fleet("GET", "/scim/v2/Users", self.host)
        self.assertEqual(status, 401, body)
        # The SCIM side is as before.
        self.assertEqual(self.hub.scim.get("/Users").status, 200)

    def test_revoked_host_refused(self):
        bearer = self.hub.add_host("web-revoked")
        status, _, _ = self.hub.fleet("GET", "/fleet/v1/changes?since=0", bearer)
        self.assertIn(status, (200, 204))
        self.hub.revoke_host("web-revoked")
        status, _, body = self.hub.fleet("GET", "/fleet/v1/changes?since=0", bearer)
        self.assertEqual(status, 401, body)


class FeedHubEdges(unittest.TestCase):
    def test_no_signing_key_503(self):
        hub = Hub("feed-hub-nokey", with_key=False)
        try:
            host = hub.add_host("web-2")
            for path in ("/fleet/v1/snapshot", "/fleet/v1/changes?since=0"):
                status, _, body = hub.fleet("GET", path, host)
                self.assertEqual(status, 503, body)
                self.assertIn(b"scimctl fleet init", body)
            self.assertEqual(hub.scim.get("/Users").status, 200)
            # fleet init while running: the next request finds the key.
            hub.init_key()
            time.sleep(1.1)
            status, headers, body = hub.fleet("GET", "/fleet/v1/snapshot", host)
            self.assertEqual(status, 200, body)
            self.assertTrue(hub.verify(headers, body))
        finally:
            hub.close()

    def test_fleet_wait_and_metrics(self):
        hub = Hub("feed-hub-wait")
        try:
            fast = hub.add_host("fast")
            hub.add_host("never-seen")
            hub.scim.create_user("waituser@example.com")
            _, _, body = hub.fleet("GET", "/fleet/v1/snapshot", fast)
            top = json.loads(body)["to"]
            status, _, _ = hub.fleet("GET", "/fleet/v1/changes?since=%d" % (top - 1), fast)
            self.assertEqual(status, 200)
            hub.wait_seen("fast", top - 1)
            # fast has asked from top - 1 only: it lags; never-seen is silent, not waited for.
            r = hub.inst.scimctl("fleet", "wait", str(top), "--timeout", "1", check=False)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("fast", r.stderr)
            self.assertNotIn("never-seen", r.stderr)

            def gauge(text, name):
                m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
                return m and float(m.group(1))

            metrics = hub.scim.request("GET", "/metrics", base=False).raw.decode()
            self.assertEqual(gauge(metrics, "scimd_fleet_seq"), top)
            self.assertEqual(gauge(metrics, 'scimd_fleet_hosts{state="lagging"}'), 1)
            self.assertEqual(gauge(metrics, 'scimd_fleet_hosts{state="silent"}'), 1)
            self.assertEqual(gauge(metrics, 'scimd_fleet_hosts{state="current"}'), 0)

            waiter = subprocess.Popen([hub.inst.scimctl_path, "-c", hub.inst.config_path,
                                       "fleet", "wait", str(top), "--timeout", "20"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)
            time.sleep(0.5)
            self.assertIsNone(waiter.poll(), "fleet wait returned while a host lagged")
            hub.fleet("GET", "/fleet/v1/changes?since=%d" % top, fast)  # fast has top now
            t0 = time.monotonic()
            out, err = waiter.communicate(timeout=10)
            self.assertEqual(waiter.returncode, 0, out + err)
            # The hub writes what hosts reached once a second; fleet wait reads it.
            self.assertLess(time.monotonic() - t0, 3.0)
            metrics = hub.scim.request("GET", "/metrics", base=False).raw.decode()
            self.assertEqual(gauge(metrics, 'scimd_fleet_hosts{state="current"}'), 1)
            self.assertEqual(gauge(metrics, 'scimd_fleet_hosts{state="lagging"}'), 0)
            for bad in (["fleet", "wait"], ["fleet", "wait", "x"],
                        ["fleet", "wait", "1", "--timeout", "-1"]):
                self.assertEqual(hub.inst.scimctl(*bad, check=False).returncode, 2, bad)
        finally:
            hub.close()

    def test_polls_are_recorded_in_batches(self):
        # After each change every host asks again at once: a store write per request was
        # 10,000 fsync'd writes per change at 10,000 hosts, and held back the next change.
        hub = Hub("feed-hub-seen")
        try:
            hosts = [hub.add_host("batch-%d" % i) for i in range(4)]
            hub.scim.create_user("seenuser@example.com")
            _, _, body = hub.fleet("GET", "/fleet/v1/snapshot", hosts[0])
            top = json.loads(body)["to"]
            time.sleep(1.5)  # the snapshot's record is written
            before = hub.metric("scimd_store_commits_total")
            for i in range(200):
                status, _, _ = hub.fleet("GET", "/fleet/v1/changes?since=%d" % (top - i % 2),
                                         hosts[i % 4])
                self.assertIn(status, (200, 204))
            for i, host in enumerate(("batch-0", "batch-1", "batch-2", "batch-3")):
                hub.wait_seen(host, top - (196 + i) % 2)  # each host's last request
            commits = hub.metric("scimd_store_commits_total") - before
            self.assertLessEqual(commits, 20, "200 polls took %d store commits" % commits)
            listing = json.loads(hub.inst.scimctl("host", "list", "--json").stdout)
            seen = {h["name"]: h for h in listing["hosts"]}
            for i in range(4):
                self.assertIsNotNone(seen["batch-%d" % i]["last_seen"])
        finally:
            hub.close()

    def test_held_polls_keep_their_slots(self):
        # Four slots for connections without a token: held polls must not count as such,
        # or the fifth host (all on one address here) would be refused at accept.
        hub = Hub("feed-hub-slots", extra={"server": {
            "max_connections": "16", "reserved_connections": "8",
            "max_connections_per_client": "0"}})
        try:
            host = hub.add_host("web-4")
            status, _, body = hub.fleet("GET", "/fleet/v1/snapshot", host)
            top = json.loads(body)["to"]
            results, bodies = [], set()

            def poll():
                try:
                    status, headers, body = hub.fleet(
                        "GET", "/fleet/v1/changes?since=%d&wait=6" % top, host)
                    results.append(status)
                    bodies.add((headers["Scimd-Signature"], body))
                except (OSError, http.client.HTTPException) as e:
                    results.append(repr(e))

            threads = []
            for _ in range(10):
                threads.append(threading.Thread(target=poll))
                threads[-1].start()
                time.sleep(0.1)
            time.sleep(0.5)
            hub.scim.create_user("slotuser@example.com")
            for t in threads:
                t.join(15)
            self.assertEqual(results, [200] * 10)
            # Woken together, they share one signed document (built once).
            self.assertEqual(len(bodies), 1)
            sig, body = bodies.pop()
            self.assertTrue(hub.verify({"Scimd-Signature": sig}, body))
            self.assertIn("slotuser", body.decode())
        finally:
            hub.close()

    def test_sigterm_ends_held_polls_and_timeouts_spare_them(self):
        # connection_timeout shorter than the wait: the poll still gets its answer.
        hub = Hub("feed-hub-term", extra={"server": {"connection_timeout": "2"}})
        try:
            host = hub.add_host("web-3")
            status, _, body = hub.fleet("GET", "/fleet/v1/snapshot", host)
            top = json.loads(body)["to"]
            t0 = time.monotonic()
            status, _, body = hub.fleet("GET", "/fleet/v1/changes?since=%d&wait=4" % top, host)
            self.assertEqual(status, 204, body)
            self.assertGreaterEqual(time.monotonic() - t0, 3.9)
            result = {}

            def poll():
                try:
                    result["answer"] = hub.fleet(
                        "GET", "/fleet/v1/changes?since=%d&wait=120" % top, host, timeout=150)
                except (OSError, http.client.HTTPException) as e:
                    result["answer"] = e

            threads = [threading.Thread(target=poll) for _ in range(3)]
            for t in threads:
                t.start()
            time.sleep(1.0)
            t0 = time.monotonic()
            self.assertEqual(hub.inst.stop(timeout=20), 0)
            self.assertLess(time.monotonic() - t0, 5.0, "SIGTERM waited for the long-polls")
            for t in threads:
                t.join(5)
        finally:
            hub.close()


if __name__ == "__main__":
    unittest.main(testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
