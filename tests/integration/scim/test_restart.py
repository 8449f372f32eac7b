#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Durability: "a change is durable before the 2xx is sent" (docs/architecture.md). Four clients
create 50 users concurrently, one user is deleted, scimd is SIGKILLed and restarted on
the same state: every acknowledged user is back with the same id and attributes, the
deleted one stays 404, and new ids never repeat old ones. Also: SIGTERM exits 0.
"""

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main  # noqa: E402

DOMAIN = "restart.example.com"
CLIENTS = 4
USERS = 50


class CrashRestart(ScimTestCase):

    def create_concurrently(self):
        acked, failures = {}, []
        lock = threading.Lock()

        def worker(n):
            api = self.scimd.client()
            for i in range(n, USERS, CLIENTS):
                name = "durable%02d@%s" % (i, DOMAIN)
                try:
                    resp = api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                               "name": {"givenName": "U%02d" % i},
                                               "active": i % 2 == 0})
                except Exception as exc:  # a failed request is reported, not fatal
                    with lock:
                        failures.append("%s: %r" % (name, exc))
                    continue
                with lock:
                    if resp.status == 201 and isinstance(resp.json, dict):
                        acked[name] = resp.json
                    else:
                        failures.append(resp.describe())

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(failures, [], "concurrent creates failed")
        self.assertEqual(len(acked), USERS)
        self.assertEqual(len({u["id"] for u in acked.values()}), USERS, "duplicate ids")
        return acked

    def test_acknowledged_writes_survive_sigkill(self):
        acked = self.create_concurrently()
        victim = acked.pop("durable07@%s" % DOMAIN)
        self.assertStatus(self.api.delete("/Users/" + victim["id"]), 204, "DELETE before kill")
        renamed = acked["durable08@%s" % DOMAIN]
        resp = self.api.patch_ops("/Users/" + renamed["id"], [
            {"op": "replace", "path": "name.givenName", "value": "Patched"}])
        self.assertStatus(resp, (200, 204), "PATCH before kill")

        self.assertEqual(self.scimd.kill(), -9)
        self.scimd.start()  # same config and state; port 0 gives a new port

        for name, before in sorted(acked.items()):
            after = self.get_user(before["id"])
            self.assertEqual(after["userName"], name)
            self.assertEqual(after.get("active"), before.get("active"), name)
            expected_given = "Patched" if before is renamed else before["name"]["givenName"]
            self.assertEqual(after["name"].get("givenName"), expected_given, name)
            self.assertEqual(after["meta"].get("created"), before["meta"].get("created"))
            self.assertEqual(after.get(h.URN_LINUX_USER), before.get(h.URN_LINUX_USER),
                             "%s: uid/gid changed across the crash" % name)
        self.assertScimError(self.api.get("/Users/" + victim["id"]), 404,
                             msg="a user deleted before the crash came back")
        found = self.find('userName ew "@%s"' % DOMAIN, count=100)
        self.assertEqual(sorted(u["id"] for u in found),
                         sorted(u["id"] for u in acked.values()))
        self.assertEqual(self.find('userName eq "%s"' % victim["userName"]), [])

        # Ids keep moving forward after the crash; the deleted user's name is free again.
        again = self.api.create_user(victim["userName"])
        old_ids = {u["id"] for u in acked.values()} | {victim["id"]}
        self.assertNotIn(again["id"], old_ids, "an id was reused after restart")
        old_uids = {u[h.URN_LINUX_USER]["uidNumber"] for u in acked.values()}
        old_uids.add(victim[h.URN_LINUX_USER]["uidNumber"])
        self.assertEqual(len(old_uids), USERS, "two users got the same uid")
        self.assertGreater(again[h.URN_LINUX_USER]["uidNumber"], max(old_uids),
                           "a uid was reused (or went backwards) after the crash")

    def test_sigterm_exits_cleanly_and_keeps_state(self):
        user = self.api.create_user("graceful@term.example.com")
        self.assertEqual(self.scimd.stop(), 0, "SIGTERM must exit 0; log:\n"
                         + self.scimd.log_tail())
        self.scimd.start()
        self.assertEqual(self.get_user(user["id"])["userName"], "graceful@term.example.com")


class Races(ScimTestCase):
    """Uniqueness and If-Match must hold when requests race."""

    def race(self, n, send):
        results = [None] * n
        barrier = threading.Barrier(n)

        def worker(i):
            api = self.scimd.client()
            barrier.wait()
            results[i] = send(api, i)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return results

    def test_same_user_name_created_once(self):
        name = "racer@%s" % DOMAIN
        results = self.race(8, lambda api, i: api.post(
            "/Users", {"schemas": [h.URN_USER], "userName": name if i % 2 else name.upper()}))
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [201] + [409] * 7, "\n".join(r.describe() for r in results))
        for r in results:
            if r.status == 409:
                self.assertScimError(r, 409, "uniqueness")
        self.assertEqual(len(self.find('userName eq "%s"' % name)), 1)

    def test_if_match_lets_one_writer_win(self):
        user = self.api.create_user("ifmatch@%s" % DOMAIN)
        version = user["meta"]["version"]
        results = self.race(8, lambda api, i: api.patch_ops(
            "/Users/" + user["id"], [{"op": "replace", "path": "title", "value": "w%d" % i}],
            headers={"If-Match": version}))
        winners = [i for i, r in enumerate(results) if r.status in (200, 204)]
        losers = [r for r in results if r.status == 412]
        self.assertEqual((len(winners), len(losers)), (1, 7),
                         "\n".join(r.describe() for r in results))
        self.assertEqual(self.get_user(user["id"]).get("title"), "w%d" % winners[0])


if __name__ == "__main__":
    main()
