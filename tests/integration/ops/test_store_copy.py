# SPDX-License-Identifier: MIT
"""`scimctl store copy --to URL`: a SQLite hub populated through SCIM moves into a new
PostgreSQL database row for row, and scimd started on it answers as before: the same users,
groups and uids, the old bearer token, the id ledger's tombstones (a new user never gets a
released uid), the host token and a fleet feed that continues after the copied sequence.
A target that already holds data, a bad URL and a bad password file are refused with a
clear error and nothing written. The cluster is tests/integration/harness/pgcluster.py's;
without PostgreSQL's server binaries the test fails (SCIMD_TEST_PG_REQUIRED), it never
skips."""

import concurrent.futures
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import pgcluster  # noqa: E402
import scimharness as h  # noqa: E402

# Every table and column the store has (store_schema.c, version 6), in the order the copy
# writes them. meta leaves out schema_version, which each backend keeps its own way. A column
# the copy forgets shows up here as a difference.
TABLES = [
    ("meta", "key value", "key", "key <> 'schema_version'"),
    ("tokens", "id name key_hmac created last_used revoked", "id", None),
    ("id_ledger", "id kind owner name allocated released", "id", None),
    ("subid_ledger", "start count owner allocated released", "start", None),
    ("role_groups", "name gid", "name", None),
    ("users", "rowid id user_name user_name_key login external_id active uid version created"
              " modified password_hash password_day doc gecos roles ssh_keys deactivated_at"
              " home", "rowid", None),
    ("groups", "rowid id display_name name external_id gid version created modified doc",
     "rowid", None),
    ("group_members", "group_id user_id", "group_id, user_id", None),
    ("changes", "seq kind entity at", "seq", None),
    ("hosts", "rowid id name key_hmac created revoked last_seen seq_reached conflicts",
     "rowid", None),
]
BULK_USERS = 250
BLOB = {"SQLite": "lower(hex(%s))", "PostgreSQL": "encode(%s, 'hex')"}


def select_list(cols, backend):
    """The columns, blobs as lowercase hex on both backends."""
    return ", ".join(BLOB[backend] % c if c == "key_hmac" else c for c in cols.split())


def where_clause(where):
    return " WHERE " + where if where else ""


def sqlite_rows(db_path):
    con = sqlite3.connect(db_path, timeout=10)
    try:
        return {table: [list(r) for r in con.execute(
                    "SELECT %s FROM %s%s ORDER BY %s" % (select_list(cols, "SQLite"), table,
                                                         where_clause(where), order))]
                for table, cols, order, where in TABLES}
    finally:
        con.close()


class Pg:
    """psql against one database of the throw-away cluster."""

    def __init__(self, cluster, url):
        self.psql = os.path.join(cluster.bindir, "psql")
        self.url = url

    def query(self, sql):
        r = subprocess.run([self.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-d", self.url, "-c", sql], capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0:
            raise h.HarnessError("psql: %s: %s" % (sql, r.stderr))
        return r.stdout.strip()

    def rows(self):
        """Each row as a JSON array: numbers stay numbers, NULL is null."""
        return {table: json.loads(self.query(
                    "SELECT COALESCE(json_agg(json_build_array(%s) ORDER BY %s), '[]') FROM %s%s"
                    % (select_list(cols, "PostgreSQL"), order, table, where_clause(where))))
                for table, cols, order, where in TABLES}


def fields(text):
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def write_secret(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, mode)


class StoreCopy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = pgcluster.open_cluster()  # the run's shared cluster, if any

    @classmethod
    def tearDownClass(cls):
        cls.cluster.cleanup()

    def populate(self, inst):
        """Users (one with a password, one with a role, one deleted), a group, a host."""
        key_path = os.path.join(inst.tmpdir, "fleet.key")
        inst.sections["fleet"] = {"signing_key": key_path}
        inst.write_config()
        inst.scimctl("fleet", "init")
        inst.start()
        api = inst.client()
        users = {
            "alice": api.create_user("alice@example.com", password="Correct-Horse-9",
                                     externalId="ext-alice",
                                     roles=[{"value": "developers", "primary": True}]),
            "bob": api.create_user("bob@example.com", name={"givenName": "Bob",
                                                             "familyName": "Builder"}),
            "carol": api.create_user("carol@example.com"),
            "dave": api.create_user("dave@example.com"),
        }
        r = api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "copy-team",
                                 "members": [{"value": users["alice"]["id"]},
                                             {"value": users["bob"]["id"]},
                                             {"value": users["carol"]["id"]}]})
        self.assertEqual(r.status, 201, r.describe())
        group = r.json
        r = api.patch_ops("/Users/" + users["dave"]["id"],
                          [{"op": "replace", "path": "active", "value": False}])
        self.assertEqual(r.status, 200, r.describe())
        users["dave"] = r.json
        r = api.delete("/Users/" + users["carol"]["id"])
        self.assertEqual(r.status, 204, r.describe())
        host = fields(inst.scimctl("host", "add", "web-1").stdout)["token"]
        # Enough rows that the copy's batched INSERTs (100 rows each) run full and short.
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: api.create_user("bulk%03d@example.com" % i),
                          range(BULK_USERS)))
        return api, users, group, host

    def feed(self, inst, host, since):
        conn = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=30)
        try:
            conn.request("GET", "/fleet/v1/changes?since=%d" % since,
                         headers={"Authorization": "Bearer " + host})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def copy(self, inst, url, *extra):
        return inst.scimctl("store", "copy", "--to", url, *extra, check=False, timeout=120)

    def test_copy_then_serve_from_postgresql(self):
        url = self.cluster.create_database("copy_ok")
        pg = Pg(self.cluster, url)
        # subids on: subid_ledger has a row per user ever created (carol's released).
        with h.ScimdInstance(name="store-copy", extra={"accounts": {
                "subids": "true", "subid_min": "800000000", "subid_max": "900000000"}}) as inst:
            api, users, group, host = self.populate(inst)
            status, body = self.feed(inst, host, 0)
            self.assertEqual(status, 200, body)
            seq_before = json.loads(body)["to"]
            self.assertGreater(seq_before, 0)
            self.assertEqual(inst.stop(), 0)
            # TABLES is every column of the store: a column added to the schema and not to
            # the copy (store_copy.c) must fail here, not vanish in a migration.
            con = sqlite3.connect(inst.db_path)
            names = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%'")}
            self.assertEqual(names, {t[0] for t in TABLES})
            for table, cols, _, _ in TABLES:
                have = {r[1] for r in con.execute("PRAGMA table_info(%s)" % table)}
                self.assertEqual(have, set(cols.split()) - {"rowid"}, table)
            con.close()
            before = sqlite_rows(inst.db_path)
            carol_uid = users["carol"][h.URN_LINUX_USER]["uidNumber"]
            self.assertEqual(
                [r for r in before["id_ledger"] if r[0] == carol_uid][0][5] is not None, True,
                "carol's uid is a released tombstone in the source")

            r = self.copy(inst, url)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("scimd must be stopped", r.stderr)
            self.assertRegex(r.stdout, r"users +%d\n" % (3 + BULK_USERS))
            self.assertRegex(r.stdout, r"groups +1 \(2 memberships\)")
            self.assertRegex(r.stdout, r"hosts +1\n")
            self.assertRegex(r.stdout, r"subid ledger +%d\n" % (3 + BULK_USERS + 1))  # + carol
            self.assertIn("the feed continues after sequence %d" % seq_before, r.stdout)

            # Every row of every table, as it was.
            after = pg.rows()
            for table, *_ in TABLES:
                self.assertEqual(after[table], before[table], "table %s differs" % table)

            inst.sections["store"].update({"backend": "postgresql", "url": url})
            inst.write_config()
            inst.start()
            # The old bearer token (its HMAC and the meta key it was made under came along).
            for name in ("alice", "bob", "dave"):
                r = api.get("/Users/" + users[name]["id"])
                self.assertEqual(r.status, 200, r.describe())
                for key in ("userName", "externalId", "active", "name", h.URN_LINUX_USER):
                    self.assertEqual(r.json.get(key), users[name].get(key), (name, key))
                for key in ("created", "lastModified", "version"):
                    self.assertEqual(r.json["meta"][key], users[name]["meta"][key], (name, key))
                self.assertEqual(r.headers.get("ETag"), users[name]["meta"]["version"])
            self.assertEqual(api.get("/Users/" + users["carol"]["id"]).status, 404)
            r = api.filter_users('userName eq "alice@example.com"')
            self.assertEqual([u["id"] for u in r.json["Resources"]], [users["alice"]["id"]])
            r = api.get("/Groups/" + group["id"])
            self.assertEqual(r.status, 200, r.describe())
            self.assertEqual(sorted(m["value"] for m in r.json["members"]),
                             sorted([users["alice"]["id"], users["bob"]["id"]]))
            # A name taken before the copy is still taken.
            r = api.post("/Users", {"schemas": [h.URN_USER], "userName": "ALICE@example.com"})
            self.assertEqual(r.status, 409, r.describe())

            # A new user: a new uid, never a tombstoned one; its change follows the copied
            # sequence, and the host's token reads it from the feed.
            erin = api.create_user("erin@example.com")
            uid = erin[h.URN_LINUX_USER]["uidNumber"]
            self.assertNotIn(uid, [r[0] for r in before["id_ledger"]])
            self.assertNotEqual(uid, carol_uid)
            status, body = self.feed(inst, host, seq_before)
            self.assertEqual(status, 200, body)
            doc = json.loads(body)
            self.assertEqual(doc["from"], seq_before)
            self.assertGreater(doc["to"], seq_before)
            self.assertEqual([u["id"] for u in doc["users"]], [erin["id"]])
            self.assertEqual(int(pg.query("SELECT MIN(seq) FROM changes WHERE seq > %d"
                                          % seq_before)), seq_before + 1)
            # A new group's and a new host's rowids follow the copied ones.
            r = api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "copy-new"})
            self.assertEqual(r.status, 201, r.describe())
            inst.scimctl("host", "add", "web-2")
            self.assertEqual(pg.query("SELECT COUNT(*) FROM groups"), "2")
            self.assertEqual(pg.query("SELECT COUNT(*) FROM hosts"), "2")

    def test_target_with_data_is_refused_and_unchanged(self):
        url = self.cluster.create_database("copy_full")
        pg = Pg(self.cluster, url)
        with h.ScimdInstance(name="store-copy-full") as inst:
            self.populate(inst)
            self.assertEqual(inst.stop(), 0)
            r = self.copy(inst, url)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            # scimd on SQLite again, one more user: a second copy must not merge it in.
            inst.start()
            inst.client().create_user("late@example.com")
            self.assertEqual(inst.stop(), 0)
            snapshot = pg.rows()
            r = self.copy(inst, url)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("already holds data (table", r.stderr)
            self.assertIn("nothing was written", r.stderr)
            self.assertEqual(pg.rows(), snapshot)

        # A database scimd itself wrote to (a token made on PostgreSQL) is refused too.
        url2 = self.cluster.create_database("copy_token")
        with h.ScimdInstance(name="store-copy-token") as inst:
            inst.client()  # a token on SQLite, so there is something to copy
            pg_inst = h.ScimdInstance(name="store-copy-pg",
                                      extra={"store": {"backend": "postgresql", "url": url2}})
            with pg_inst:
                pg_inst.scimctl("token", "create", "on-pg")
            r = self.copy(inst, url2)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("already holds data (table meta)", r.stderr)
            self.assertEqual(Pg(self.cluster, url2).query("SELECT name FROM tokens"), "on-pg")

    def test_a_change_log_behind_its_sequence_is_refused(self):
        """PostgreSQL's feed position is the newest change; were SQLite's sequence ahead of
        it, followers that saw the sequence would see the feed go back."""
        url = self.cluster.create_database("copy_seq")
        with h.ScimdInstance(name="store-copy-seq") as inst:
            inst.start()
            inst.client().create_user("seq@example.com")
            self.assertEqual(inst.stop(), 0)
            con = sqlite3.connect(inst.db_path)
            with con:
                con.execute("DELETE FROM changes WHERE seq = (SELECT MAX(seq) FROM changes)")
            con.close()
            r = self.copy(inst, url)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("would move the feed back; nothing was written", r.stderr)
            self.assertEqual(Pg(self.cluster, url).query("SELECT COUNT(*) FROM users"), "0")

    def test_bad_arguments_are_refused_before_anything_is_written(self):
        url = self.cluster.create_database("copy_bad")
        pg = Pg(self.cluster, url)
        with h.ScimdInstance(name="store-copy-bad") as inst:
            inst.client()
            cases = [
                (["--to", "mysql://localhost/scimd"], 1, "--to must be a postgresql:// URL"),
                (["--to", "postgresql://scimd:s3cret@localhost/scimd"], 1,
                 "--to must not contain a password"),
                (["--to", self.cluster.url("copy_bad").replace(self.cluster.sockdir,
                                                                "/nonexistent")], 1,
                 "nothing was copied"),
                (["--to", url, "--password-file", os.path.join(inst.tmpdir, "missing")], 1,
                 "--password-file %s: No such file" % os.path.join(inst.tmpdir, "missing")),
                (["--to"], 2, "usage: scimctl store copy"),
                (["--to", url, "--force"], 2, "usage: scimctl store copy"),
            ]
            loose = os.path.join(inst.tmpdir, "pw-loose")
            write_secret(loose, "secret", 0o644)
            cases.append((["--to", url, "--password-file", loose], 1,
                          "must be a regular file owned by root, mode 0600"))
            for args, code, message in cases:
                r = inst.scimctl("store", "copy", *args, check=False, timeout=60)
                self.assertEqual(r.returncode, code, (args, r.stdout, r.stderr))
                self.assertIn(message, r.stderr, args)
                self.assertNotIn("s3cret", r.stdout + r.stderr)
            r = inst.scimctl("store", "move", "--to", url, check=False)
            self.assertEqual(r.returncode, 2, r.stderr)
            # Nothing reached the database: not even the schema.
            self.assertEqual(pg.query("SELECT COUNT(*) FROM pg_tables WHERE schemaname ="
                                      " 'public'"), "0")

            # A good password file works (the cluster trusts the socket, so this shows the
            # file is read and accepted, not that the server checked it).
            good = os.path.join(inst.tmpdir, "pw")
            write_secret(good, "secret")
            r = self.copy(inst, url, "--password-file", good)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"tokens +1\n")

        # A PostgreSQL configuration has no SQLite store to copy from.
        with h.ScimdInstance(name="store-copy-from-pg",
                             extra={"store": {"backend": "postgresql", "url": url}}) as inst:
            r = self.copy(inst, url)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("already PostgreSQL", r.stderr)

        # No SQLite file: an error, and no empty store is left behind.
        with h.ScimdInstance(name="store-copy-none") as inst:
            r = self.copy(inst, self.cluster.create_database("copy_none"))
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("no store there, and none was created", r.stderr)
            self.assertIn("nothing was copied", r.stderr)
            self.assertFalse(os.path.exists(inst.db_path))


if __name__ == "__main__":
    os.environ.setdefault("SCIMD_TEST_PG_REQUIRED", "1")
    unittest.main(verbosity=2)
