#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 15: two scimd instances, A and B, on one PostgreSQL database (separate state dirs
and ports). Correctness comes from the database, not from one process:

- 8 client threads POST colliding userNames through A and B at once: exactly one 201 per
  name, the others 409 uniqueness; no uid handed out twice (both instances' GET and the
  database agree); every 201 user is readable through both instances.
- a token made by scimctl against the shared database authenticates on both; revoked by
  scimctl, it is refused by both on the very next request."""
import collections
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pghub  # noqa: E402
from pghub import h  # noqa: E402

CLIENTS = 8
NAMES = 40         # distinct userNames, each sent by every client
VARIANTS = 2       # half the clients send the name in upper case (userName is caseExact=false)


class TwoInstances(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        def clients(c):
            c.api = {"a": h.ScimClient(c.a, c.token), "b": h.ScimClient(c.b, c.token)}

        pghub.set_up(cls, "a", "b", token="two-instances", then=clients)

    @classmethod
    def tearDownClass(cls):
        cls.hub.cleanup()

    def test_colliding_creates(self):
        names = ["race%02d" % i for i in range(NAMES)]

        def client(i):
            api = self.api["a" if i % 2 == 0 else "b"]
            out = []
            for n in names:
                name = n.upper() if (i // 2) % VARIANTS else n
                r = api.post("/Users", pghub.user_body(name))
                out.append((n, r.status, r.json if isinstance(r.json, dict) else {}, r))
            return out

        results = pghub.run_threads(CLIENTS, client)
        created = collections.defaultdict(list)
        for per_client in results:
            for n, status, body, r in per_client:
                if status == 201:
                    created[n].append(body)
                else:
                    self.assertEqual(status, 409, r.describe())
                    self.assertEqual(body.get("scimType"), "uniqueness", r.describe())
        for n in names:
            self.assertEqual(len(created[n]), 1, "%s: %d creates answered 201"
                             % (n, len(created[n])))
        uids = {}
        for n in names:
            body = created[n][0]
            uid = body[h.URN_LINUX_USER]["uidNumber"]
            self.assertNotIn(uid, uids, "uid %d given to %s and %s" % (uid, uids.get(uid), n))
            uids[uid] = n
            for inst in ("a", "b"):
                r = self.api[inst].get("/Users/" + body["id"])
                self.assertEqual(r.status, 200, "%s lost through %s: %s"
                                 % (n, inst, r.describe()))
                self.assertEqual(r.json[h.URN_LINUX_USER]["uidNumber"], uid)
                self.assertEqual(r.json["userName"].lower(), n)
        rows = self.hub.query("SELECT user_name_key, uid FROM users WHERE user_name_key "
                              "LIKE 'race%'")
        self.assertEqual(len(rows), NAMES, rows)
        self.assertEqual(len({r[1] for r in rows}), NAMES, "duplicate uid in the database")
        ledger = self.hub.query("SELECT id, count(*) FROM id_ledger WHERE kind = 'user' "
                                "GROUP BY id HAVING count(*) > 1")
        self.assertEqual(ledger, [], "an id in the ledger twice")
        print("colliding creates: %d clients x %d names through 2 instances -> %d x 201, "
              "%d x 409" % (CLIENTS, NAMES, NAMES, CLIENTS * NAMES - NAMES))

    def test_token_revocation_on_both(self):
        tok = self.b.create_token("revoke-me")
        apis = [h.ScimClient(inst, tok) for inst in (self.a, self.b)]
        for api in apis:
            r = api.get("/Users", query={"count": "1"})
            self.assertEqual(r.status, 200, r.describe())
        listing = self.a.scimctl("token", "list").stdout
        self.assertIn(tok.access_id, listing)
        self.a.scimctl("token", "revoke", tok.access_id)
        for api in apis:
            r = api.get("/Users", query={"count": "1"})
            self.assertEqual(r.status, 401, "revoked token still accepted by %s: %s"
                             % (api.instance.iname, r.describe()))
        # The instances' own token keeps working: the revocation was that token's alone.
        for inst in ("a", "b"):
            self.assertEqual(self.api[inst].get("/Users", query={"count": "1"}).status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
