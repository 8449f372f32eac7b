#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Mixed concurrent load: several clients create, PATCH, PUT, list and delete their own
users and change the membership of one shared group at the same time. Every response must
be the expected 2xx (never a 5xx, a busy database or a dropped connection), and the final
state must equal what each client was told. Then the same load with a SIGKILL in the
middle: after the restart every acknowledged change is there; only the request in flight
at the kill may have gone either way.
"""

import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main  # noqa: E402

THREADS = 6
OPS_PER_THREAD = 60


class Client(threading.Thread):
    """Drives its own users; records what the server acknowledged."""

    def __init__(self, case, n, tag, group_id, stop_event, max_ops):
        super().__init__(daemon=True)
        self.case, self.n, self.group_id, self.stop_event = case, n, group_id, stop_event
        self.prefix = "%s%d." % (tag, n)
        self.max_ops = max_ops
        seed = n
        self.rng = random.Random(seed)
        self.api = case.scimd.client()
        self.users = {}        # id -> {"userName", "title"} for users that exist (acked)
        self.deleted = set()   # ids whose DELETE was acknowledged
        self.member = {}       # id -> acknowledged membership of the shared group
        self.uncertain = {}    # id -> description of the op in flight when the link broke
        self.errors = []
        self.counter = 0

    def expect(self, resp, allowed, what):
        if resp.status not in allowed:
            self.errors.append("%s: expected %s\n%s" % (what, allowed, resp.describe()))
            return False
        return True

    def op_create(self):
        self.counter += 1
        name = "%s%d@load.example.com" % (self.prefix, self.counter)
        self.pending = ("create", name)
        resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                        "title": "t0"})
        if self.expect(resp, (201,), "POST " + name):
            self.users[resp.json["id"]] = {"userName": name, "title": "t0"}
            self.member[resp.json["id"]] = False

    def op_patch(self, uid):
        title = "p%d" % self.rng.randrange(10 ** 6)
        self.pending = ("title", uid, title)
        resp = self.api.patch_ops("/Users/" + uid, [{"op": "replace", "path": "title",
                                                     "value": title}])
        if self.expect(resp, (200, 204), "PATCH"):
            self.users[uid]["title"] = title

    def op_put(self, uid):
        title = "u%d" % self.rng.randrange(10 ** 6)
        self.pending = ("title", uid, title)
        resp = self.api.put("/Users/" + uid, {"schemas": [h.URN_USER], "title": title,
                                              "userName": self.users[uid]["userName"]})
        if self.expect(resp, (200,), "PUT"):
            self.users[uid]["title"] = title

    def op_delete(self, uid):
        self.pending = ("delete", uid)
        resp = self.api.delete("/Users/" + uid)
        if self.expect(resp, (204,), "DELETE"):
            del self.users[uid]
            self.member.pop(uid, None)
            self.deleted.add(uid)

    def op_membership(self, uid):
        join = not self.member.get(uid, False)
        self.pending = ("member", uid, join)
        if join:
            ops = [{"op": "add", "path": "members", "value": [{"value": uid}]}]
        else:
            ops = [{"op": "remove", "path": 'members[value eq "%s"]' % uid}]
        resp = self.api.patch_ops("/Groups/" + self.group_id, ops)
        if self.expect(resp, (200, 204), "group membership"):
            self.member[uid] = join

    def op_read(self, uid):
        self.pending = None
        resp = self.api.get("/Users/" + uid)
        if self.expect(resp, (200,), "GET") and resp.json.get("title") != self.users[uid]["title"]:
            self.errors.append("GET %s: title %r, acknowledged %r"
                               % (uid, resp.json.get("title"), self.users[uid]["title"]))
        resp = self.api.filter_users('userName sw "%s"' % self.prefix, count=1000)
        if self.expect(resp, (200,), "list") and \
                resp.json["totalResults"] != len(self.users):
            self.errors.append("list: %d users, acknowledged %d"
                               % (resp.json["totalResults"], len(self.users)))

    def run(self):
        for _ in range(self.max_ops):
            if self.stop_event.is_set():
                return
            self.pending = None
            try:
                if len(self.users) < 3 or self.rng.random() < 0.2:
                    self.op_create()
                    continue
                uid = self.rng.choice(sorted(self.users))
                op = self.rng.choice((self.op_patch, self.op_put, self.op_membership,
                                      self.op_membership, self.op_read, self.op_delete))
                op(uid)
            except (OSError, h.HarnessError) as exc:
                if self.pending:
                    self.uncertain[self.pending[1]] = self.pending
                if not self.stop_event.is_set():
                    self.errors.append("request failed: %r" % exc)
                return


class Load(ScimTestCase):

    def run_load(self, tag, kill_after=None):
        grp = self.api.post("/Groups", {"schemas": [h.URN_GROUP],
                                        "displayName": "group " + tag})
        self.assertStatus(grp, 201)
        stop = threading.Event()
        max_ops = OPS_PER_THREAD if kill_after is None else 100000
        clients = [Client(self, n, tag, grp.json["id"], stop, max_ops)
                   for n in range(THREADS)]
        for c in clients:
            c.start()
        if kill_after is not None:
            time.sleep(kill_after)
            stop.set()
            self.scimd.kill()
        for c in clients:
            c.join(120)
            self.assertFalse(c.is_alive(), "a client hung")
        return grp.json["id"], clients

    def verify(self, gid, clients):
        group = self.api.get("/Groups/" + gid)
        self.assertStatus(group, 200)
        members = {m["value"] for m in group.json.get("members", [])}
        for c in clients:
            for uid, acked in c.users.items():
                resp = self.api.get("/Users/" + uid)
                pending = c.uncertain.get(uid)
                if pending and pending[0] == "delete" and resp.status == 404:
                    continue
                self.assertStatus(resp, 200, "acknowledged user %s" % acked["userName"])
                titles = {acked["title"]}
                if pending and pending[0] == "title":
                    titles.add(pending[2])
                self.assertIn(resp.json.get("title"), titles, acked["userName"])
                states = {c.member.get(uid, False)}
                if pending and pending[0] == "member":
                    states.add(pending[2])
                self.assertIn(uid in members, states, "membership of %s" % acked["userName"])
            for uid in c.deleted:
                self.assertScimError(self.api.get("/Users/" + uid), 404,
                                     msg="an acknowledged DELETE came undone")
                self.assertNotIn(uid, members, "a deleted user is still a member")
            if c.uncertain:
                pending = next(iter(c.uncertain.values()))
                if pending[0] == "create":
                    self.assertLessEqual(len(self.find('userName eq "%s"' % pending[1])), 1)
            found = self.find('userName sw "%s"' % c.prefix, count=1000)
            known = set(c.users) | {p[1] for p in c.uncertain.values() if p[0] == "delete"}
            extra = {u["id"] for u in found} - known
            created_in_flight = [p for p in c.uncertain.values() if p[0] == "create"]
            self.assertLessEqual(len(extra), len(created_in_flight),
                                 "users nobody acknowledged: %r" % extra)

    def test_mixed_load(self):
        gid, clients = self.run_load("mixed")
        for c in clients:
            self.assertEqual(c.errors, [], "client %d" % c.n)
            self.assertEqual(c.uncertain, {})
        self.assertGreater(sum(len(c.users) + len(c.deleted) for c in clients), THREADS * 5)
        self.verify(gid, clients)

    def test_sigkill_under_load(self):
        gid, clients = self.run_load("killed", kill_after=1.5)
        for c in clients:
            self.assertEqual(c.errors, [], "client %d before the kill" % c.n)
        self.assertGreater(sum(len(c.users) + len(c.deleted) for c in clients), THREADS * 2,
                           "too little work before the kill to test anything")
        sys.stderr.write("killed with %d users acknowledged, %d requests in flight\n"
                         % (sum(len(c.users) for c in clients),
                            sum(len(c.uncertain) for c in clients)))
        self.scimd.start()
        self.verify(gid, clients)


if __name__ == "__main__":
    main()
