# SPDX-License-Identifier: MIT
"""Removing deactivated users: [accounts] remove_deactivated_after (the sweep at start, on a
database whose deactivation times were moved into the past while scimd was stopped) and the
break-glass `scimctl users delete LOGIN` next to a running scimd. Both must leave exactly what
a SCIM DELETE leaves: the user gone from the API, its groups and NSS, its uid kept in the
ledger as a tombstone, an audit line."""

import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402


def getent_passwd(inst, login):
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.path.join(h.build_root(), "nss_scim")
    env["SCIM_NSS_CACHE"] = inst.cache_path
    return subprocess.run(["getent", "-s", "scim", "passwd", login], env=env,
                          capture_output=True, text=True, timeout=20).returncode


def db_query(inst, sql, *args):
    con = sqlite3.connect(inst.db_path, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def deactivate(api, user):
    resp = api.patch_ops("/Users/" + user["id"],
                         [{"op": "replace", "path": "active", "value": False}])
    if resp.status != 200:
        raise h.HarnessError(resp.describe())


def make_group(api, name, members):
    resp = api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": name,
                                "members": [{"value": u["id"]} for u in members]})
    if resp.status != 201:
        raise h.HarnessError(resp.describe())
    return resp.json


class RemoveDeactivatedAfter(unittest.TestCase):
    def test_sweep_removes_only_users_deactivated_longer_than_the_policy(self):
        with h.ScimdInstance(name="retention",
                             extra={"accounts": {"remove_deactivated_after": "30"}}) as s:
            s.start()
            api = s.client()
            old = api.create_user("lc-old@example.com")
            recent = api.create_user("lc-recent@example.com")
            back = api.create_user("lc-back@example.com")
            active = api.create_user("lc-active@example.com")
            group = make_group(api, "lc-team", [old, active])
            for u in (old, recent, back):
                deactivate(api, u)
            # Reactivated: the clock is cleared, whatever it said before.
            api.patch_ops("/Users/" + back["id"],
                          [{"op": "replace", "path": "active", "value": True}])
            rows = dict(db_query(s, "SELECT login, deactivated_at FROM users"))
            self.assertIsNotNone(rows["lc-old"])
            self.assertIsNotNone(rows["lc-recent"])
            self.assertIsNone(rows["lc-back"])
            self.assertIsNone(rows["lc-active"])
            h.wait_until(lambda: getent_passwd(s, "lc-old") == 0, what="lc-old exported")
            s.stop()

            # Deactivated 40 and 20 days ago, as far as the store knows.
            con = sqlite3.connect(s.db_path)
            con.execute("UPDATE users SET deactivated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now',"
                        " '-40 days') WHERE login = 'lc-old'")
            con.execute("UPDATE users SET deactivated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now',"
                        " '-20 days') WHERE login = 'lc-recent'")
            con.commit()
            con.close()
            old_uid = old[h.URN_LINUX_USER]["uidNumber"]

            s.start()
            h.wait_until(lambda: "retention: removed 1 user" in s.log_since_start(),
                         what="the sweep at start")
            self.assertIn("audit: token=retention action=delete resource=User id=%s name=lc-old"
                          % old["id"], s.log_since_start())
            api = s.client()
            self.assertEqual(api.get("/Users/" + old["id"]).status, 404)
            for u in (recent, back, active):
                self.assertEqual(api.get("/Users/" + u["id"]).status, 200)
            members = [m["value"] for m in api.get("/Groups/" + group["id"]).json["members"]]
            self.assertEqual(members, [active["id"]])
            h.wait_until(lambda: getent_passwd(s, "lc-old") == 2, what="lc-old gone from NSS")
            self.assertEqual(getent_passwd(s, "lc-recent"), 0)
            # The uid is a tombstone: released, never handed out again.
            self.assertEqual(db_query(s, "SELECT released IS NOT NULL FROM id_ledger WHERE id = ?",
                                      old_uid), [(1,)])
            again = api.create_user("lc-old@example.com")
            self.assertNotEqual(again[h.URN_LINUX_USER]["uidNumber"], old_uid)

    def test_off_by_default(self):
        with h.ScimdInstance(name="retention-off") as s:
            s.start()
            api = s.client()
            u = api.create_user("lc-kept@example.com")
            deactivate(api, u)
            s.stop()
            con = sqlite3.connect(s.db_path)
            con.execute("UPDATE users SET deactivated_at = '2000-01-01T00:00:00.000Z'")
            con.commit()
            con.close()
            s.start()
            self.assertEqual(s.client().get("/Users/" + u["id"]).status, 200)
            self.assertNotIn("retention:", s.log_text())


class ScimctlUsersDelete(unittest.TestCase):
    def test_delete_by_login_while_scimd_runs(self):
        with h.ScimdInstance(name="ctl-delete") as s:
            s.start()
            api = s.client()
            victim = api.create_user("lc-gone@example.com")
            other = api.create_user("lc-stays@example.com")
            group = make_group(api, "lc-ops", [victim, other])
            # Rendered once, so scimd's render cache holds it.
            self.assertEqual(api.get("/Users/" + victim["id"]).status, 200)
            # Every export of scimd's own changes done, so the next one is scimctl's doing.
            h.wait_until(lambda: "(2 users, 1 groups)" in s.log_since_start(),
                         what="the export of both users and the group")
            self.assertEqual(getent_passwd(s, "lc-gone"), 0)

            proc = s.scimctl("users", "delete", "lc-gone")
            uid = victim[h.URN_LINUX_USER]["uidNumber"]
            self.assertIn("deleted user lc-gone (uid %d, id %s" % (uid, victim["id"]), proc.stdout)
            self.assertIn("audit: token=scimctl action=delete resource=User id=%s name=lc-gone"
                          % victim["id"], proc.stderr)
            h.wait_until(lambda: "users changed by scimctl" in s.log_since_start(),
                         what="scimd noticing the users epoch file")
            h.wait_until(lambda: getent_passwd(s, "lc-gone") == 2, timeout=10,
                         what="the running scimd re-exports without lc-gone")
            self.assertEqual(api.get("/Users/" + victim["id"]).status, 404)
            self.assertEqual(getent_passwd(s, "lc-stays"), 0)
            members = [m["value"] for m in api.get("/Groups/" + group["id"]).json["members"]]
            self.assertEqual(members, [other["id"]])
            self.assertEqual(db_query(s, "SELECT released IS NOT NULL FROM id_ledger WHERE id = ?",
                                      uid), [(1,)])

    def test_unknown_login_and_usage_change_nothing(self):
        with h.ScimdInstance(name="ctl-delete-bad") as s:
            s.start()
            api = s.client()
            api.create_user("lc-here@example.com")
            before = db_query(s, "SELECT id, version FROM users")
            proc = s.scimctl("users", "delete", "lc-nobody", check=False)
            self.assertEqual(proc.returncode, 1)
            self.assertIn("no user with login name 'lc-nobody'", proc.stderr)
            self.assertEqual(proc.stdout, "")
            # A userName is not a login name: refused rather than guessed.
            proc = s.scimctl("users", "delete", "lc-here@example.com", check=False)
            self.assertEqual(proc.returncode, 1)
            proc = s.scimctl("users", "delete", check=False)
            self.assertEqual(proc.returncode, 2)
            self.assertEqual(db_query(s, "SELECT id, version FROM users"), before)
            self.assertFalse(os.path.exists(s.db_path + ".users-epoch"))


class StatePaths(unittest.TestCase):
    """Paths that would break a host silently are refused, and a read-only file system (what
    ProtectSystem=strict makes of everything but /var/lib/scimd) gets the fix named."""

    def test_cache_path_the_nss_module_does_not_read_is_refused(self):
        with h.ScimdInstance(name="cache-path",
                             extra={"cache": {"nonstandard_path_ok": "false"}}) as s:
            for args in (("--check-config",), ()):
                proc = subprocess.run(s.command(*args), capture_output=True, text=True,
                                      timeout=30)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertIn("[cache] path = %s: nss_scim and pam_scim read only"
                              % s.cache_path, proc.stderr)
                self.assertIn("nonstandard_path_ok = true", proc.stderr)
            self.assertFalse(os.path.exists(s.db_path))

    def test_read_only_state_directory_names_readwritepaths(self):
        with h.ScimdInstance(name="erofs") as s:
            # scimd in a private mount namespace where its state directory is read-only.
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
                    s.tmpdir] + s.command()
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("is on a read-only file system", proc.stderr)
            self.assertIn("ReadWritePaths=%s" % s.tmpdir, proc.stderr)

    def test_read_only_cache_directory_names_readwritepaths(self):
        with h.ScimdInstance(name="erofs-cache") as s:
            cache_dir = os.path.join(s.tmpdir, "cache")
            os.mkdir(cache_dir, 0o755)
            s.sections["cache"].update(path=os.path.join(cache_dir, "nss.cache"),
                                       shadow_path=os.path.join(cache_dir, "shadow.cache"))
            s.write_config()
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
                    cache_dir] + s.command()
            s.spawn(argv)
            h.wait_until(lambda: "ReadWritePaths=%s" % cache_dir in s.log_text(),
                         what="the export failure naming the fix")
            self.assertIn("cache: initial export failed", s.log_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
