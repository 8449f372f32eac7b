# SPDX-License-Identifier: MIT
"""Offboarding with scimctl next to a real scimd: `users purge LOGIN` deletes a deactivated
user as `users delete` does (or finds a deleted one by its tombstone) and removes its home
(--remove-home) or archives it first (--archive-home DIR: LOGIN-UID-DATE.tar.gz, 0600); a home
that is a symbolic link, owned by someone else, or whose user is still active or still runs
processes is refused and nothing changes. `orphans PATH...` lists the files owned by a tombstoned uid or gid, never one
of a live user or of an id the store never handed out, and follows no symbolic link. Homes
live under the instance's temporary directory ([accounts] home = TMP/homes/%u)."""

import json
import os
import stat
import subprocess
import sys
import tarfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402
from scimtest import ConfiguredInstanceCase  # noqa: E402

UNKNOWN_UID = h.TEST_UID_MAX - 7  # in the test range, never handed out by this store


class Offboarding(ConfiguredInstanceCase):
    instance_kwargs = {"name": "offboard"}

    @classmethod
    def configure(cls):
        cls.homes = os.path.join(cls.scimd.tmpdir, "homes")
        os.mkdir(cls.homes)
        cls.scimd.sections["accounts"]["home"] = cls.homes + "/%u"

    def ctl(self, *args):
        return self.scimd.scimctl(*args, check=False)

    def user(self, login, active=True, home=True):
        """A user (deactivated unless active) and its home with two files, owned by its uid."""
        u = self.api.create_user(login + "@example.com")
        show = self.ctl("users", "show", login, "--json")
        self.assertEqual(show.returncode, 0, show.stderr)
        uid = json.loads(show.stdout)["uid"]
        path = os.path.join(self.homes, login)
        if home:
            os.makedirs(os.path.join(path, ".config"))
            for rel, text in ((".profile", "umask 077\n"), (".config/notes", "keep me\n")):
                with open(os.path.join(path, rel), "w") as f:
                    f.write(text)
            for d, dirs, files in os.walk(path):
                for n in [d] + [os.path.join(d, x) for x in dirs + files]:
                    os.lchown(n, uid, uid)
        if not active:
            r = self.api.patch_ops("/Users/" + u["id"],
                                   [{"op": "replace", "path": "active", "value": False}])
            self.assertEqual(r.status, 200, r.describe())
        return u, uid, path

    def assertStored(self, login, stored=True):
        p = self.ctl("users", "show", login)
        self.assertEqual(p.returncode == 0, stored, p.stdout + p.stderr)

    def assertRefused(self, proc, *words):
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        for w in words + ("nothing was changed",):
            self.assertIn(w, proc.stderr)

    def snapshot(self, path):
        out = {}
        for d, dirs, files in os.walk(path):
            for n in [d] + [os.path.join(d, x) for x in dirs + files]:
                st = os.lstat(n)
                out[n] = (st.st_mode, st.st_uid, st.st_size)
        return out

    # -- purge ------------------------------------------------------------------------
    def test_archive_home_then_remove_it(self):
        _, uid, home = self.user("ob-arch", active=False)
        archives = os.path.join(self.scimd.tmpdir, "archives")
        os.mkdir(archives, 0o700)
        p = self.ctl("users", "purge", "ob-arch", "--archive-home", archives)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        name = "ob-arch-%d-%s.tar.gz" % (uid, time.strftime("%Y%m%d", time.gmtime()))
        path = os.path.join(archives, name)
        self.assertEqual(os.listdir(archives), [name])
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with tarfile.open(path) as t:
            members = {m.name: m for m in t.getmembers()}
            self.assertEqual(t.extractfile("ob-arch/.config/notes").read(), b"keep me\n")
        self.assertIn("ob-arch/.profile", members)
        self.assertEqual(members["ob-arch"].uid, uid)
        self.assertFalse(os.path.lexists(home))
        self.assertStored("ob-arch", False)
        self.assertIn("uid %d stays reserved" % uid, p.stdout)

    def test_remove_home_of_a_user_the_idp_deleted(self):
        u, uid, home = self.user("ob-gone")
        r = self.api.delete("/Users/" + u["id"])
        self.assertEqual(r.status, 204, r.describe())
        p = self.ctl("users", "purge", "ob-gone", "--remove-home")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("deleted already (uid %d" % uid, p.stdout)
        self.assertFalse(os.path.lexists(home))

    def test_login_deleted_twice_has_the_home_of_either_uid(self):
        first, first_uid, home = self.user("ob-twice")
        self.assertEqual(self.api.delete("/Users/" + first["id"]).status, 204)
        again, again_uid, _ = self.user("ob-twice", home=False)
        self.assertEqual(self.api.delete("/Users/" + again["id"]).status, 204)
        self.assertNotEqual(first_uid, again_uid)  # a uid is never handed out twice
        _, live_uid, _ = self.user("ob-other", home=False)
        os.chown(home, live_uid, live_uid)
        p = self.ctl("users", "purge", "ob-twice", "--remove-home")
        self.assertRefused(p, "owned by uid %d, none of the 2 uids" % live_uid)
        self.assertTrue(os.path.isdir(home))
        os.chown(home, first_uid, first_uid)
        p = self.ctl("users", "purge", "ob-twice", "--remove-home")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("deleted already (uid %d" % again_uid, p.stdout)  # the newest tombstone
        self.assertFalse(os.path.lexists(home))

    def test_remove_home_of_a_deactivated_user(self):
        _, uid, home = self.user("ob-rm", active=False)
        p = self.ctl("users", "purge", "ob-rm", "--remove-home")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertFalse(os.path.lexists(home))
        self.assertStored("ob-rm", False)
        # Purged twice: the tombstone still names it, and there is no home left to remove.
        again = self.ctl("users", "purge", "ob-rm", "--remove-home")
        self.assertRefused(again, home)

    def test_purge_without_a_home_option_keeps_the_home(self):
        _, _, home = self.user("ob-keep", active=False)
        p = self.ctl("users", "purge", "ob-keep")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("kept", p.stdout)
        self.assertTrue(os.path.isfile(os.path.join(home, ".profile")))
        self.assertStored("ob-keep", False)
        _, _, home = self.user("ob-nohome", active=False, home=False)
        p = self.ctl("users", "purge", "ob-nohome")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("no home directory at " + home, p.stdout)
        self.assertStored("ob-nohome", False)

    def test_home_that_is_a_symlink_is_refused(self):
        _, uid, _ = self.user("ob-link", active=False, home=False)
        target = os.path.join(self.scimd.tmpdir, "elsewhere")
        os.makedirs(os.path.join(target, "data"))
        os.chown(target, uid, uid)
        link = os.path.join(self.homes, "ob-link")
        os.symlink(target, link)
        before = self.snapshot(target)
        p = self.ctl("users", "purge", "ob-link", "--remove-home")
        self.assertRefused(p, "symbolic link")
        self.assertEqual(os.readlink(link), target)
        self.assertEqual(self.snapshot(target), before)
        self.assertStored("ob-link")

    def test_home_owned_by_someone_else_is_refused(self):
        _, uid, home = self.user("ob-owner", active=False)
        os.chown(home, 0, 0)
        before = self.snapshot(home)
        archives = os.path.join(self.scimd.tmpdir, "archives-owner")
        os.mkdir(archives, 0o700)
        p = self.ctl("users", "purge", "ob-owner", "--archive-home", archives)
        self.assertRefused(p, "owned by uid 0")
        self.assertEqual(self.snapshot(home), before)
        self.assertEqual(os.listdir(archives), [])
        self.assertStored("ob-owner")

    def test_active_user_is_refused(self):
        _, _, home = self.user("ob-active")
        before = self.snapshot(home)
        p = self.ctl("users", "purge", "ob-active", "--remove-home")
        self.assertRefused(p, "is active")
        self.assertEqual(self.snapshot(home), before)
        self.assertStored("ob-active")

    def test_home_of_a_user_still_running_processes_is_refused(self):
        _, uid, home = self.user("ob-busy", active=False)
        before = self.snapshot(home)
        sleeper = subprocess.Popen(["sleep", "60"], cwd=home, user=uid, group=uid,
                                   extra_groups=[])
        try:
            p = self.ctl("users", "purge", "ob-busy", "--remove-home")
        finally:
            sleeper.kill()
            sleeper.wait()
        self.assertRefused(p, "uid %d still runs processes (pid %d)" % (uid, sleeper.pid))
        self.assertEqual(self.snapshot(home), before)
        self.assertStored("ob-busy")
        p = self.ctl("users", "purge", "ob-busy", "--remove-home")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def in_mount_namespace(self, script, *args):
        """sh -c script $0 $1... in a private mount namespace (its mounts vanish with it)."""
        p = subprocess.run(["unshare", "-m", "sh", "-ec", script] + list(args),
                           capture_output=True, text=True, timeout=60)
        if "unshare failed" in p.stderr or "mount: " in p.stderr and "permission" in p.stderr:
            self.skipTest("no private mount namespace here: " + p.stderr.strip())
        return p

    def test_mount_point_in_the_home_is_refused(self):
        _, _, home = self.user("ob-mnt", active=False)
        os.mkdir(os.path.join(home, "data"))
        before = self.snapshot(home)
        p = self.in_mount_namespace(
            'mount -t tmpfs none "$0/data"; echo x > "$0/data/f"\n'
            '"$@" && exit 9; ls "$0/data"', home, self.scimd.scimctl_path, "-c",
            self.scimd.config_path, "users", "purge", "ob-mnt", "--remove-home")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("mounted in the home: unmount it first", p.stderr)
        self.assertIn("nothing was changed", p.stderr)
        self.assertEqual(p.stdout.split(), ["f"])  # the mounted file system untouched too
        self.assertEqual(self.snapshot(home), before)
        self.assertStored("ob-mnt")

    def test_home_that_is_a_mount_point_needs_all_filesystems(self):
        _, uid, home = self.user("ob-fs", active=False, home=False)
        os.mkdir(home)
        cmd = [self.scimd.scimctl_path, "-c", self.scimd.config_path, "users", "purge", "ob-fs",
               "--remove-home"]
        p = self.in_mount_namespace(
            'mount -t tmpfs -o uid=$1,mode=0700 none "$0"; echo x > "$0/f"; shift\n'
            '"$@" && exit 9; "$@" --all-filesystems; ls -A "$0"; echo end', home, str(uid),
            *cmd)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("is a file system of its own", p.stderr)
        self.assertIn("emptied %s (1 entries); it is a mount point" % home, p.stdout)
        self.assertEqual(p.stdout.splitlines()[-1], "end")
        self.assertNotIn("\nf\n", p.stdout)
        self.assertTrue(os.path.isdir(home))
        self.assertStored("ob-fs", False)

    def with_home_template(self, template, fn):
        """fn() while scimd runs with [accounts] home = template (homes are fixed at creation)."""
        s = self.scimd
        saved = s.sections["accounts"]["home"]
        s.stop()
        s.sections["accounts"]["home"] = template
        s.write_config()
        s.start()
        try:
            return fn()
        finally:
            s.stop()
            s.sections["accounts"]["home"] = saved
            s.write_config()
            s.start()

    def test_home_holding_another_users_home_is_refused(self):
        nest = os.path.join(self.homes, "ob-nest")
        # ob-inner's home is fixed inside what will be ob-nest's.
        self.with_home_template(nest + "/%u", lambda: self.user("ob-inner", home=False))
        _, _, home = self.user("ob-nest", active=False)
        self.assertEqual(home, nest)
        os.mkdir(os.path.join(nest, "ob-inner"))
        before = self.snapshot(nest)
        p = self.ctl("users", "purge", "ob-nest", "--remove-home")
        self.assertRefused(p, "is or holds another user's home, %s/ob-inner" % nest)
        self.assertEqual(self.snapshot(nest), before)
        self.assertStored("ob-nest")
        self.assertStored("ob-inner")

    def test_archive_directory_inside_the_home_is_refused(self):
        _, _, home = self.user("ob-inside", active=False)
        before = self.snapshot(home)
        p = self.ctl("users", "purge", "ob-inside", "--archive-home",
                     os.path.join(home, ".config"))
        self.assertRefused(p, "inside the home")
        self.assertEqual(self.snapshot(home), before)
        self.assertStored("ob-inside")

    def test_purge_bad_arguments(self):
        self.user("ob-args", active=False)
        archives = os.path.join(self.scimd.tmpdir, "archives-args")
        os.mkdir(archives)
        for args, status, said in (
                ([], 2, "needs a login"),
                (["ob-args", "--remove-home", "--archive-home", archives], 2, "alternatives"),
                (["ob-args", "--archive-home"], 2, "needs a directory"),
                (["ob-args", "--force"], 2, "unknown option '--force'"),
                (["ob-args", "ob-other"], 2, "one login"),
                (["ob-nobody", "--remove-home"], 1, "no user and no deleted user"),
                (["ob-args", "--archive-home", os.path.join(archives, "missing")], 1,
                 "No such file")):
            p = self.ctl("users", "purge", *args)
            self.assertEqual(p.returncode, status, (args, p.stdout, p.stderr))
            self.assertIn(said, p.stderr, args)
        self.assertStored("ob-args")

    # -- orphans ------------------------------------------------------------------------
    def orphans(self, *args):
        p = self.ctl("orphans", *args)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p

    def test_orphans_finds_only_tombstoned_owners(self):
        u, dead_uid, _ = self.user("ob-orphan", home=False)
        _, live_uid, _ = self.user("ob-alive", home=False)
        r = self.api.delete("/Users/" + u["id"])
        self.assertEqual(r.status, 204, r.describe())
        tree = os.path.join(self.scimd.tmpdir, "shared")
        outside = os.path.join(self.scimd.tmpdir, "outside")
        os.makedirs(os.path.join(tree, "sub"))
        os.makedirs(outside)
        files = {"dead": (os.path.join(tree, "sub", "report.txt"), dead_uid),
                 "live": (os.path.join(tree, "live.txt"), live_uid),
                 "unknown": (os.path.join(tree, "unknown.txt"), UNKNOWN_UID),
                 "beyond": (os.path.join(outside, "hidden.txt"), dead_uid)}
        for path, uid in files.values():
            open(path, "w").close()
            os.chown(path, uid, 0)
        os.symlink(outside, os.path.join(tree, "link"))  # never followed
        text = self.orphans(tree).stdout
        self.assertIn(files["dead"][0], text)
        line = [x for x in text.splitlines() if files["dead"][0] in x][0]
        self.assertEqual(line.split()[:3], ["uid", str(dead_uid), "ob-orphan"])
        for k in ("live", "unknown", "beyond"):
            self.assertNotIn(files[k][0], text)
        doc = json.loads(self.orphans("--json", tree).stdout)
        self.assertEqual([(o["path"], o["uid"], o["login"]) for o in doc["orphans"]],
                         [(files["dead"][0], dead_uid, "ob-orphan")])
        self.assertTrue(doc["orphans"][0]["released"])

    def test_orphans_finds_a_deleted_groups_gid(self):
        r = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "ob-crew"})
        self.assertEqual(r.status, 201, r.describe())
        show = self.ctl("groups", "show", "ob-crew", "--json")
        self.assertEqual(show.returncode, 0, show.stderr)
        gid = json.loads(show.stdout)["gid"]
        tree = os.path.join(self.scimd.tmpdir, "crew")
        os.mkdir(tree)
        path = os.path.join(tree, "plan.txt")
        open(path, "w").close()
        os.chown(path, 0, gid)
        self.assertNotIn(path, self.orphans(tree).stdout)  # the group still exists
        r = self.api.delete("/Groups/" + r.json["id"])
        self.assertEqual(r.status, 204, r.describe())
        doc = json.loads(self.orphans("--json", tree).stdout)
        self.assertEqual([(o["path"], o["kind"], o["gid"]) for o in doc["orphans"]],
                         [(path, "group", gid)])

    def test_orphans_bad_arguments(self):
        for args, status, said in (([], 2, "at least one path"),
                                   (["--follow", self.homes], 2, "unknown option '--follow'"),
                                   ([os.path.join(self.homes, "missing")], 1,
                                    "No such file")):
            p = self.ctl("orphans", *args)
            self.assertEqual(p.returncode, status, (args, p.stdout, p.stderr))
            self.assertIn(said, p.stderr, args)
            self.assertEqual(p.stdout, "", args)


if __name__ == "__main__":
    unittest.main(verbosity=2)
