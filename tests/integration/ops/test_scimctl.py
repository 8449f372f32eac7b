# SPDX-License-Identifier: MIT
"""scimctl as an administrator runs it next to a real scimd: the break-glass `users
deactivate|activate` (through the SCIM PATCH path: the exported cache and NSS follow, the
change log and the audit line record it, and the IdP's next PATCH wins again), `groups
list|show`, `status` (up, down, warnings), `--json` on every listing and show command (one
document json.loads reads), and the errors of a read command: a missing database is named and
not created, a non-root caller is told it needs root, a mistyped command is named with the
closest one."""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402
import staging  # noqa: E402
from scimtest import ConfiguredInstanceCase  # noqa: E402

SQLITE = os.environ.get("SCIMD_TEST_BACKEND", "sqlite") != "postgresql"


def nss(inst, db, name):
    """getent -s scim DB NAME through the build's nss_scim: (exit status, the entry)."""
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.path.join(h.build_root(), "nss_scim")
    env["SCIM_NSS_CACHE"] = inst.cache_path
    env["SCIM_SHADOW_CACHE"] = inst.shadow_path
    p = subprocess.run(["getent", "-s", "scim", db, name], env=env, capture_output=True,
                       text=True, timeout=20)
    return p.returncode, p.stdout.strip()


def shadow_locked(inst, login):
    rc, entry = nss(inst, "shadow", login)
    return rc == 0 and entry.split(":")[1].startswith("!")


def cache_state(inst, login):
    """active or inactive, as `scimctl cache dump` shows the exported user."""
    out = inst.scimctl("cache", "dump").stdout
    for line in out.splitlines():
        if line.strip().startswith(login + ":x:"):
            return line.split()[-3]
    return None


def as_json(proc):
    try:
        return json.loads(proc.stdout)
    except ValueError as e:
        raise AssertionError("not one JSON document (%s):\n%s" % (e, proc.stdout))


class ScimctlCommands(ConfiguredInstanceCase):
    fleet_key = None
    instance_kwargs = {"name": "scimctl", "extra": {
        "roles": {"ctl-admins": "adm"},
        "groups": {"CTL Wheel": "users"},
        "fleet": {"signing_key": "/dev/null"}}}

    @classmethod
    def configure(cls):
        cls.port = h.free_port()
        cls.scimd.sections["server"]["listen"] = "127.0.0.1:%d" % cls.port
        cls.fleet_key = os.path.join(cls.scimd.tmpdir, "fleet.key")
        cls.scimd.sections["fleet"]["signing_key"] = cls.fleet_key

    @classmethod
    def populate(cls):
        cls.alice = cls.api.create_user("ctl-alice@example.com",
                                        roles=[{"value": "ctl-ops"}, {"value": "ctl-admins"}])
        cls.bob = cls.api.create_user("ctl-bob@example.com", roles=[{"value": "ctl-ops"}])
        r = cls.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "CTL Team",
                                     "members": [{"value": cls.alice["id"]}]})
        assert r.status == 201, r.describe()
        cls.team = r.json
        r = cls.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "CTL Wheel",
                                     "members": [{"value": cls.bob["id"]}]})
        assert r.status == 201, r.describe()
        h.wait_until(lambda: cache_state(cls.scimd, "ctl-bob") == "active", 10,
                     what="the users exported")

    def ctl(self, *args, ok=True):
        p = self.scimd.scimctl(*args, check=False)
        if ok:
            self.assertEqual(p.returncode, 0, "scimctl %s: %s%s" % (" ".join(args), p.stdout,
                                                                   p.stderr))
        return p

    def set_active(self, user, value):
        r = self.api.patch_ops("/Users/" + user["id"],
                               [{"op": "replace", "path": "active", "value": value}])
        self.assertEqual(r.status, 200, r.describe())

    def changes_of(self, user):
        con = sqlite3.connect(self.scimd.db_path, timeout=10)
        try:
            return con.execute("SELECT COUNT(*) FROM changes WHERE kind = 'user' AND entity = ?",
                               (user["id"],)).fetchone()[0]
        finally:
            con.close()

    # -- users deactivate / activate ------------------------------------------------------
    def test_deactivate_locks_out_now_and_the_idp_wins_again(self):
        carol = self.api.create_user("ctl-carol@example.com")
        h.wait_until(lambda: shadow_locked(self.scimd, "ctl-carol") is False and
                     nss(self.scimd, "shadow", "ctl-carol")[0] == 0, 10, what="carol exported")
        before = self.changes_of(carol) if SQLITE else None

        p = self.ctl("users", "deactivate", "ctl-carol")
        self.assertIn("deactivated user ctl-carol", p.stdout)
        self.assertIn("next push", p.stdout, "the output must say the IdP's next push wins")
        self.assertIn("token=scimctl action=patch", p.stderr, "no audit line")
        self.assertIn("changed=[active]", p.stderr)
        # What pam_scim and NSS read: the exported cache, within a second or two.
        h.wait_until(lambda: shadow_locked(self.scimd, "ctl-carol"), 10,
                     what="NSS shadow entry locked after scimctl users deactivate")
        self.assertEqual(cache_state(self.scimd, "ctl-carol"), "inactive")
        r = self.api.get("/Users/" + carol["id"])
        self.assertIs(r.json["active"], False, "SCIM does not show the deactivation")
        if SQLITE:
            self.assertEqual(self.changes_of(carol), before + 1,
                             "the change log (the fleet's feed) did not record it")
        # Again: nothing to do, still 0.
        p = self.ctl("users", "deactivate", "ctl-carol")
        self.assertIn("already deactivated", p.stdout)

        # The IdP's next PATCH active=true wins.
        self.set_active(carol, True)
        h.wait_until(lambda: not shadow_locked(self.scimd, "ctl-carol"), 10,
                     what="the IdP's PATCH active=true exported")
        self.assertEqual(cache_state(self.scimd, "ctl-carol"), "active")

        # And activate undoes a deactivation the same way.
        self.set_active(carol, False)
        h.wait_until(lambda: shadow_locked(self.scimd, "ctl-carol"), 10, what="IdP deactivation")
        p = self.ctl("users", "activate", "ctl-carol")
        self.assertIn("activated user ctl-carol", p.stdout)
        h.wait_until(lambda: not shadow_locked(self.scimd, "ctl-carol"), 10,
                     what="scimctl users activate exported")
        self.assertIs(self.api.get("/Users/" + carol["id"]).json["active"], True)

    def test_deactivate_unknown_login_changes_nothing(self):
        listing = self.ctl("users", "list", "--json").stdout
        for args in (("users", "deactivate", "ctl-nobody"),
                     ("users", "activate", "ctl-nobody"),
                     ("users", "deactivate", "ctl-alice@example.com")):
            p = self.ctl(*args, ok=False)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("no user with login name", p.stderr)
        p = self.ctl("users", "deactivate", ok=False)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(self.ctl("users", "list", "--json").stdout, listing)

    # -- groups ---------------------------------------------------------------------------
    def test_groups_list_and_show(self):
        p = self.ctl("groups", "list")
        self.assertRegex(p.stdout, r"scim\s+ctl-team\s+\d+\s+-\s+1\s+" + self.team["id"])
        self.assertRegex(p.stdout, r"role\s+ctl-ops\s+\d+\s+-\s+2\s")
        self.assertRegex(p.stdout, r"mapped-role\s+ctl-admins\s+\d+\s+adm\s+1\s")
        self.assertRegex(p.stdout, r"scim\s+ctl-wheel\s+\d+\s+users\s+1\s")
        doc = as_json(self.ctl("groups", "list", "--json"))
        by_name = {g["name"]: g for g in doc["groups"]}
        team = by_name["ctl-team"]
        self.assertEqual(team, {"kind": "scim", "name": "ctl-team", "id": self.team["id"],
                                "display_name": "CTL Team", "gid": team["gid"],
                                "mapped_to": None, "member_count": 1})
        self.assertIsInstance(team["gid"], int)
        self.assertEqual(by_name["ctl-ops"]["kind"], "role")
        self.assertEqual(by_name["ctl-ops"]["member_count"], 2)
        self.assertEqual(by_name["ctl-admins"]["mapped_to"], "adm")
        self.assertEqual(by_name["ctl-wheel"]["mapped_to"], "users")

        for who in ("ctl-team", self.team["id"], "ctl team"):
            shown = as_json(self.ctl("groups", "show", who, "--json"))
            self.assertEqual(shown["id"], self.team["id"], who)
            self.assertEqual(shown["members"], ["ctl-alice"])
        shown = as_json(self.ctl("groups", "show", "ctl-ops", "--json"))
        self.assertEqual(sorted(shown["members"]), ["ctl-alice", "ctl-bob"])
        p = self.ctl("groups", "show", "ctl-ops")
        self.assertIn("kind: role", p.stdout)
        self.assertIn("  ctl-bob", p.stdout)
        p = self.ctl("groups", "show", "ctl-missing", ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no group 'ctl-missing'", p.stderr)

    # -- status ---------------------------------------------------------------------------
    def test_status_up(self):
        self.api.get("/Users", query={"count": "1"})
        p = self.ctl("status")
        self.assertIn("scimd: up", p.stdout)
        self.assertIn("127.0.0.1:%d accepts connections" % self.port, p.stdout)
        doc = as_json(self.ctl("status", "--json"))
        self.assertEqual(list(doc), ["scimd", "store", "counts", "cache", "tokens", "warnings"])
        self.assertIs(doc["scimd"]["up"], True)
        self.assertEqual(doc["scimd"]["pid"], self.scimd.proc.pid)
        self.assertEqual(doc["scimd"]["listen"], "127.0.0.1:%d" % self.port)
        self.assertIs(doc["scimd"]["accepting"], True)
        self.assertEqual(doc["store"]["backend"], "sqlite" if SQLITE else "postgresql")
        if SQLITE:
            self.assertEqual(doc["store"]["location"], self.scimd.db_path)
        self.assertNotIn("password", json.dumps(doc["store"]))
        self.assertRegex(doc["store"]["last_change"], r"^\d{4}-\d\d-\d\dT")
        self.assertIsInstance(doc["cache"]["generation"], int)
        self.assertGreater(doc["cache"]["generation"], 0)
        self.assertEqual(doc["cache"]["path"], self.scimd.cache_path)
        self.assertGreaterEqual(doc["counts"]["users_active"], 2)
        self.assertGreaterEqual(doc["counts"]["groups"], 2)
        self.assertGreaterEqual(doc["counts"]["role_groups"], 1)
        token = [t for t in doc["tokens"] if t["access_id"] == self.scimd.token.access_id]
        self.assertEqual(len(token), 1, doc["tokens"])
        self.assertRegex(token[0]["last_used"] or "", r"^\d{4}-\d\d-\d\dT",
                         "the IdP's requests are not recorded in tokens.last_used")
        self.assertEqual(doc["warnings"], [])
        listed = as_json(self.ctl("token", "list", "--json"))["tokens"]
        self.assertEqual([t["last_used"] for t in listed
                          if t["access_id"] == self.scimd.token.access_id],
                         [token[0]["last_used"]])

    def test_status_down_and_warnings(self):
        with h.ScimdInstance(name="scimctl-down", extra={
                "server": {"listen": "127.0.0.1:%d" % h.free_port()},
                "cache": {"export_delay": "0", "export_max_delay": "0"}}) as s:
            s.start()
            p = s.scimctl("status", "--json", check=False)
            self.assertEqual(p.returncode, 0, p.stderr)
            warnings = as_json(p)["warnings"]
            self.assertTrue(any("no active SCIM token" in w for w in warnings), warnings)
            api = s.client()
            user = api.create_user("ctl-dana@example.com")
            self.assertEqual(s.stop(), 0)
            p = s.scimctl("status", check=False)
            self.assertEqual(p.returncode, 1, "status exits 0 with scimd down:\n" + p.stdout)
            self.assertIn("scimd: DOWN", p.stdout)
            self.assertIn("scimd is not running", p.stdout)
            # A change scimd has not exported (it is down): the cache is older than the store.
            s.scimctl("users", "deactivate", "ctl-dana")
            time.sleep(6.5)
            doc = as_json(s.scimctl("status", "--json", check=False))
            self.assertIs(doc["scimd"]["up"], False)
            self.assertTrue(any("cache is older than the store's last change" in w
                                for w in doc["warnings"]), doc["warnings"])
            self.assertFalse(any("no active SCIM token" in w for w in doc["warnings"]))
            # A guard file ahead of the store: what scimd would refuse to start on.
            with open(s.hwm_path, "w") as f:
                f.write("uid_hwm %d\ngid_hwm %d\n" % (h.TEST_UID_MAX, h.TEST_GID_MAX))
            doc = as_json(s.scimctl("status", "--json", check=False))
            self.assertTrue(any(w.startswith("high-water guard mismatch") for w in
                                doc["warnings"]), doc["warnings"])
            hw = as_json(s.scimctl("high-water", "show", "--json"))
            self.assertIs(hw["ok"], False)
            self.assertEqual(hw["guard_file"]["uid"], h.TEST_UID_MAX)
            self.assertIsInstance(hw["problem"], str)
            del user

    # -- --json on the other listings -----------------------------------------------------
    def test_json_listings(self):
        users = as_json(self.ctl("users", "list", "--json"))["users"]
        alice = [u for u in users if u["login"] == "ctl-alice"]
        self.assertEqual(alice, [{"login": "ctl-alice", "uid": alice[0]["uid"], "active": True,
                                  "id": self.alice["id"],
                                  "user_name": "ctl-alice@example.com"}])
        for who in ("ctl-alice", self.alice["id"], "ctl-alice@example.com"):
            shown = as_json(self.ctl("users", "show", who, "--json"))
            self.assertEqual(shown["login"], "ctl-alice")
            self.assertEqual(shown["resource"]["id"], self.alice["id"])
        self.assertEqual(sorted(r["value"] for r in shown["roles"]), ["ctl-admins", "ctl-ops"])
        self.assertIs(shown["password_set"], False)
        tokens = as_json(self.ctl("token", "list", "--json"))["tokens"]
        self.assertTrue(all(set(t) == {"access_id", "name", "created", "last_used", "revoked"}
                            for t in tokens), tokens)
        self.assertNotIn(self.scimd.token.access_key, json.dumps(tokens))
        hw = as_json(self.ctl("high-water", "show", "--json"))
        self.assertIs(hw["ok"], True)
        self.assertGreaterEqual(hw["store"]["uid"], int(alice[0]["uid"]))
        self.ctl("fleet", "init")
        fleet = as_json(self.ctl("fleet", "show", "--json"))
        self.assertEqual(set(fleet), {"public_key", "key_id", "feed_id"})
        self.assertRegex(fleet["feed_id"], r"^[0-9a-f]{32}$")
        hosts = as_json(self.ctl("host", "list", "--json"))
        self.assertEqual(hosts["hosts"], [])
        # --json where there is nothing to show as JSON is a usage error.
        self.assertEqual(self.ctl("users", "delete", "ctl-x", "--json", ok=False).returncode, 2)

    # -- errors ---------------------------------------------------------------------------
    def test_typo_names_the_command(self):
        cases = [(("usres", "list"), "unknown command 'usres'; did you mean 'users'?"),
                 (("grups", "list"), "unknown command 'grups'; did you mean 'groups'?"),
                 (("stauts",), "unknown command 'stauts'; did you mean 'status'?"),
                 (("users", "lsit"), "unknown users command 'lsit'; did you mean 'list'?"),
                 (("users", "deactviate", "x"), "did you mean 'deactivate'?"),
                 (("groups", "shwo", "x"), "unknown groups command 'shwo'; did you mean 'show'?"),
                 (("token", "lst"), "unknown token command 'lst'; did you mean 'list'?"),
                 (("xyzzy",), "unknown command 'xyzzy' (see scimctl --help)")]
        for args, said in cases:
            p = self.ctl(*args, ok=False)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(said, p.stderr, args)
        # Named before any configuration is read.
        p = subprocess.run([self.scimd.scimctl_path, "-c", "/nonexistent/scimd.conf", "usres"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 2)
        self.assertIn("did you mean 'users'?", p.stderr)

    @unittest.skipUnless(SQLITE, "a SQLite file")
    def test_read_commands_never_create_a_store(self):
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "missing.db")
            conf = os.path.join(d, "scimd.conf")
            with open(self.scimd.config_path) as f:
                text = f.read().replace(self.scimd.db_path, db)
            with open(conf, "w") as f:
                f.write(text)
            for args in (("users", "list"), ("users", "list", "--json"), ("users", "show", "x"),
                         ("token", "list"), ("token", "revoke", "x"), ("groups", "list"),
                         ("groups", "show", "x"), ("status",), ("high-water", "show"),
                         ("fleet", "show"), ("host", "list"), ("users", "deactivate", "x"),
                         ("users", "delete", "x")):
                p = subprocess.run([self.scimd.scimctl_path, "-c", conf] + list(args),
                                   capture_output=True, text=True, timeout=20)
                self.assertEqual(p.returncode, 1, "%s: %s%s" % (args, p.stdout, p.stderr))
                self.assertIn("%s: no store there, and none was created" % db, p.stderr, args)
                self.assertEqual(os.listdir(d), ["scimd.conf"], "%s created state" % (args,))

    @unittest.skipUnless(SQLITE, "a SQLite file")
    def test_non_root_is_told_it_needs_root(self):
        scimctl = staging.stage(self.scimd.scimctl_path)
        self.assertEqual(os.stat(self.scimd.db_path).st_mode & 0o077, 0)
        for args in (("users", "list"), ("status",), ("groups", "list")):
            p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                scimctl, "-c", self.scimd.config_path] + list(args),
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(p.returncode, 1, "%s: %s%s" % (args, p.stdout, p.stderr))
            self.assertIn("permission denied: needs root", p.stderr, args)
            self.assertNotIn("unable to open database file", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
