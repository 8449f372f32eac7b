# SPDX-License-Identifier: MIT
"""`scimctl host add|list|revoke` (issue 14, scimctl(8)): add prints host, id and a token that
is base64(id:key) with only an HMAC of the key stored; list shows the sequence each host
reached, its lag behind the hub's change log and the conflicts it reported; revoke takes an id
or a name; every refusal (a taken or bad name, an unknown or already revoked host, a usage
error) says why and changes nothing."""

import base64
import json
import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402


def fields(text):
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            out[key] = value
    return out


class HostCli(unittest.TestCase):
    def setUp(self):
        self.inst = h.ScimdInstance(name="host-cli")
        self.inst.write_config()

    def tearDown(self):
        self.inst.__exit__(None, None, None)

    def ctl(self, *args):
        return self.inst.scimctl(*args, check=False)

    def sql(self, statement, *params):
        con = sqlite3.connect(self.inst.db_path, timeout=10)
        try:
            with con:
                return con.execute(statement, params).fetchall()
        finally:
            con.close()

    def listing(self):
        p = self.ctl("host", "list", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def add(self, name):
        p = self.ctl("host", "add", name)
        self.assertEqual(p.returncode, 0, p.stderr)
        return fields(p.stdout)

    def test_add_prints_a_token_stored_only_as_an_hmac(self):
        out = self.add("web-01")
        self.assertEqual(out["host"], "web-01")
        self.assertRegex(out["id"], r"^[a-z2-9]{16}$")
        host_id, sep, key = base64.b64decode(out["token"]).decode().partition(":")
        self.assertEqual((host_id, sep), (out["id"], ":"))
        self.assertGreaterEqual(len(key), 43)
        rows = self.sql("SELECT id, name, length(key_hmac) FROM hosts")
        self.assertEqual(rows, [(out["id"], "web-01", 32)])
        for path in (self.inst.db_path, self.inst.db_path + "-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    self.assertNotIn(key.encode(), f.read())

    def test_list_shows_sequence_lag_and_conflicts(self):
        web = self.add("web-01")
        self.add("db-01")
        # Five changes on the hub; web-01 got to 3 and reported one conflict.
        for i in range(5):
            self.sql("INSERT INTO changes(kind, entity, at) VALUES('role', ?, 't')", "r%d" % i)
        conflict = {"kind": "user", "id": "u1", "name": "bob", "uid": 1879048201,
                    "reason": "local account bob"}
        self.sql("UPDATE hosts SET seq_reached = 3, last_seen = '2026-12-04T10:00:00.000Z',"
                 " conflicts = ? WHERE id = ?", json.dumps([conflict]), web["id"])
        doc = self.listing()
        self.assertEqual(doc["max_seq"], 5)
        by_name = {x["name"]: x for x in doc["hosts"]}
        self.assertEqual([x["name"] for x in doc["hosts"]], ["web-01", "db-01"])
        self.assertEqual((by_name["web-01"]["seq_reached"], by_name["web-01"]["lag"]), (3, 2))
        self.assertEqual(by_name["web-01"]["conflicts"], [conflict])
        self.assertEqual(by_name["web-01"]["last_seen"], "2026-12-04T10:00:00.000Z")
        self.assertEqual((by_name["db-01"]["lag"], by_name["db-01"]["last_seen"]), (5, None))

        text = self.ctl("host", "list").stdout.splitlines()
        self.assertEqual(text[0].split(), ["NAME", "ID", "CREATED", "LAST_SEEN", "SEQUENCE",
                                           "LAG", "CONFLICTS", "STATUS"])
        web_row = text[1].split()
        self.assertEqual((web_row[0], web_row[1]), ("web-01", web["id"]))
        self.assertEqual(web_row[4:], ["3", "2", "1", "active"])
        self.assertEqual(text[2].strip(),
                         "conflict: user bob (uid 1879048201): local account bob")
        self.assertEqual(text[3].split()[4:], ["0", "5", "0", "active"])

    def test_refusals_change_nothing(self):
        self.add("web-01")
        p = self.ctl("host", "add", "web-01")
        self.assertEqual(p.returncode, 1)
        self.assertIn("a host named 'web-01' already exists", p.stderr)
        self.assertEqual(p.stdout, "")
        for bad in ["", "two words", "x" * 65, "tab\there"]:
            p = self.ctl("host", "add", bad)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn("host name must be 1-64 printable characters", p.stderr)
        for usage in [["host"], ["host", "add"], ["host", "add", "a", "b"],
                      ["host", "list", "--yaml"], ["host", "revoke"], ["host", "frob"]]:
            p = self.ctl(*usage)
            self.assertEqual(p.returncode, 2, usage)
            self.assertIn("usage: scimctl host", p.stderr)
        p = self.ctl("host", "revoke", "nosuch")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no active host with id or name 'nosuch'", p.stderr)
        self.assertEqual([x["name"] for x in self.listing()["hosts"]], ["web-01"])
        self.assertEqual(self.sql("SELECT count(*) FROM hosts WHERE revoked IS NOT NULL"),
                         [(0,)])

    def test_revoke_by_name_or_id(self):
        self.add("web-01")
        db = self.add("db-01")
        p = self.ctl("host", "revoke", "web-01")
        self.assertEqual((p.returncode, p.stdout), (0, "revoked host web-01\n"), p.stderr)
        p = self.ctl("host", "revoke", "web-01")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no active host", p.stderr)
        p = self.ctl("host", "revoke", db["id"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual({x["name"]: bool(x["revoked"]) for x in self.listing()["hosts"]},
                         {"web-01": True, "db-01": True})
        self.assertTrue(self.ctl("host", "list").stdout.splitlines()[1].endswith("revoked"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
