#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 3 end to end: users and roles pushed over SCIM become Linux accounts that glibc
resolves through libnss_scim.so.2, inside `unshare -m` with a bind-mounted nsswitch.conf
naming scim (passwd/group/shadow: files scim) and a tmpfs over /run/nscd. Covers
getent passwd/group/shadow/initgroups and id(1); deactivation (still resolves, shadow locked
and expired); deletion (gone everywhere, uid never handed out again); cache file modes;
roles that lose their last holder and come back (same gid); a role mapped to the local sudo
group (initgroups only); hostile role values; a cache that heals on start; and a restored
database refused below the uid high-water mark until `scimctl high-water adopt`.
Needs root (unshare, bind mounts, setpriv).
"""

import grp
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, HERE)

import nssenv  # noqa: E402
import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main, unique  # noqa: E402

PASSWORD = "Corr3ct-Horse-Battery-Staple"


def login_of(user_name):
    return user_name.split("@", 1)[0].lower()


def needs_root(cls):
    if os.geteuid() != 0:
        return unittest.skip("needs root (unshare -m, bind mounts, setpriv)")(cls)
    return cls


class NamespaceCase(ScimTestCase):
    """ScimTestCase plus glibc checks inside the mount namespace."""

    @classmethod
    def setUpClass(cls):
        if not nssenv.have_module():
            raise unittest.SkipTest("libnss_scim.so.2 not built at %s" % nssenv.module_path())
        super().setUpClass()
        cls.state = {}

    def need(self, key):
        if key not in self.state:
            self.fail("an earlier step failed, so %r is unknown" % key)
        return self.state[key]

    def ns(self, script):
        """stdout of a shell snippet run in the namespace; fails on a non-zero exit."""
        p = nssenv.in_namespace(self.scimd, script)
        self.assertEqual(p.returncode, 0, "namespace script failed (%d):\n%s\nstderr: %s\n"
                         "stdout: %s" % (p.returncode, script, p.stderr, p.stdout))
        return p.stdout

    def ns_getent(self, *args):
        """(rc, stdout) of getent through nsswitch (files, then scim) in the namespace."""
        out = self.ns("getent %s; echo \"rc=$?\"" % " ".join(args))
        body, _, rc = out.rpartition("rc=")
        return int(rc.strip()), body

    def wait_ns(self, args, predicate, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            rc, out = self.ns_getent(*args)
            if predicate(rc, out):
                return rc, out
            if time.monotonic() >= deadline:
                self.fail("after %.0f s, getent %s gives rc %d %r; waited for %s"
                          % (timeout, " ".join(args), rc, out[:500], what))
            time.sleep(0.1)

    def wait_passwd(self, login):
        _, out = self.wait_ns(("passwd", login), lambda rc, out: rc == 0,
                              "passwd entry of %s" % login)
        return nssenv.passwd_fields(out.splitlines()[0])

    def wait_gone(self, db, key):
        self.wait_ns((db, key), lambda rc, out: rc == 2 and out == "",
                     "%s %s to be gone" % (db, key))

    def shadow_line(self, login, predicate=lambda f: True, what="shadow entry"):
        _, out = self.wait_ns(("shadow", login),
                              lambda rc, out: rc == 0 and predicate(
                                  nssenv.shadow_fields(out.splitlines()[0])),
                              "%s of %s" % (what, login))
        return nssenv.shadow_fields(out.splitlines()[0])


@needs_root
class AccountLifecycle(NamespaceCase):
    """Steps share state and run in order."""

    instance_kwargs = {"extra": {"roles": {"administrator": "sudo"}}}

    def test_01_push_users_with_roles(self):
        alice = self.api.create_user(unique("alice"), displayName="Alice Example",
                                     password=PASSWORD,
                                     roles=[{"value": "developers", "primary": True},
                                            {"value": "administrator"}])
        bob = self.api.create_user(unique("bob"), roles=[{"value": "developers"}])
        self.state.update(alice=(alice["id"], login_of(alice["userName"])),
                          bob=(bob["id"], login_of(bob["userName"])))
        a = self.wait_passwd(self.state["alice"][1])
        b = self.wait_passwd(self.state["bob"][1])
        for f in (a, b):
            uid = int(f[2])
            self.assertTrue(h.TEST_UID_MIN <= uid <= h.TEST_UID_MAX, "uid %d out of range" % uid)
            self.assertEqual(f[1], "x")
            self.assertEqual(f[3], f[2], "the primary group is the private group, gid = uid")
            self.assertEqual(f[5], "/home/" + f[0])
            self.assertEqual(f[6], "/bin/bash")
        self.assertEqual(a[4], "Alice Example", "gecos from displayName")
        self.state["uids"] = [int(a[2]), int(b[2])]

    def test_02_role_group_and_id(self):
        alice_login = self.need("alice")[1]
        bob_login = self.need("bob")[1]
        rc, out = self.wait_ns(("group", "developers"), lambda rc, out: rc == 0,
                               "role group developers")
        name, gid, members = nssenv.group_fields(out.splitlines()[0])
        self.assertEqual(sorted(members), sorted([alice_login, bob_login]))
        self.assertTrue(h.TEST_GID_MIN <= gid <= h.TEST_GID_MAX, "role gid %d" % gid)
        self.state["developers_gid"] = gid
        rc, out = self.ns_getent("group", alice_login)
        self.assertEqual(rc, 0, "private group of %s" % alice_login)
        out = self.ns("id %s; id -nG %s; getent initgroups %s" % ((alice_login,) * 3))
        id_line, names, initgroups = out.splitlines()
        uid = self.need("uids")[0]
        self.assertTrue(id_line.startswith("uid=%d(%s) gid=%d(%s)" % (uid, alice_login, uid,
                                                                     alice_login)), id_line)
        self.assertIn("%d(developers)" % gid, id_line)
        self.assertIn("27(sudo)", id_line, "administrator is mapped to the local sudo group")
        self.assertEqual(sorted(names.split()), sorted([alice_login, "developers", "sudo"]))
        fields = initgroups.split()
        self.assertEqual(fields[0], alice_login)
        self.assertEqual(sorted(int(g) for g in fields[1:]), sorted([27, gid]), initgroups)

    def test_03_mapped_local_gid_never_served_by_gid(self):
        self.need("developers_gid")
        rc, out = nssenv.getent(self.scimd, "group", "27")
        self.assertEqual((rc, out), (2, ""), "getent -s scim group 27 must not resolve")
        rc, out = nssenv.getent(self.scimd, "group")
        gids = [nssenv.group_fields(line)[1] for line in out.splitlines()]
        self.assertNotIn(27, gids, "enumeration lists the mapped local gid")
        self.assertTrue(all(g >= h.TEST_UID_MIN for g in gids), out)
        self.assertNotIn("administrator", [l.split(":")[0] for l in out.splitlines()],
                         "a mapped role must not also become a SCIM group")

    def test_04_shadow_entries(self):
        alice = self.need("alice")[1]
        bob = self.need("bob")[1]
        b = self.shadow_line(bob)
        self.assertEqual(b[1], "*", "no password synced -> '*': %r" % b)
        a = self.shadow_line(alice)
        self.assertTrue(a[1].startswith("$y$"), "a synced password is a yescrypt hash: %r" % a)
        for f in (a, b):
            self.assertTrue(f[2].isdigit() and int(f[2]) > 0, "sp_lstchg must be a day > 0: %r"
                            % f)
            self.assertEqual(f[3:8], ["", "", "", "", ""], "aging fields empty: %r" % f)
        self.state["alice_hash"] = a[1]

    def test_05_cache_files_modes_and_secrets(self):
        alice_hash = self.need("alice_hash")
        st = os.stat(self.scimd.shadow_path)
        self.assertEqual(st.st_mode & 0o777, 0o640, "shadow.cache mode %o" % st.st_mode)
        self.assertEqual(st.st_uid, 0, "shadow.cache owner")
        self.assertEqual(st.st_gid, grp.getgrnam("shadow").gr_gid, "shadow.cache group")
        p = subprocess.run(nssenv.NOBODY + ["cat", self.scimd.shadow_path], capture_output=True)
        self.assertNotEqual(p.returncode, 0, "nobody could read shadow.cache")
        self.assertEqual(p.stdout, b"")
        rc, out = nssenv.getent(self.scimd, "shadow", self.need("alice")[1],
                                prefix=nssenv.NOBODY)
        self.assertEqual((rc, out), (2, ""), "nobody got a shadow entry")
        st = os.stat(self.scimd.cache_path)
        self.assertEqual(st.st_mode & 0o777, 0o644, "nss.cache mode %o" % st.st_mode)
        self.assertEqual(st.st_uid, 0)
        with open(self.scimd.cache_path, "rb") as f:
            data = f.read()
        self.assertNotIn(alice_hash.encode(), data, "nss.cache holds the password hash")
        self.assertNotIn(b"$y$", data, "nss.cache holds yescrypt bytes")
        self.assertNotIn(PASSWORD.encode(), data, "nss.cache holds the clear password")
        rc, out = nssenv.getent(self.scimd, "passwd", self.need("alice")[1],
                                prefix=nssenv.NOBODY)
        self.assertEqual(rc, 0, "nss.cache must stay readable to everyone")

    def test_06_deactivation_locks_but_resolves(self):
        bob_id, bob = self.need("bob")
        resp = self.api.patch_ops("/Users/" + bob_id, [{"op": "replace",
                                                        "value": {"active": False}}])
        self.assertStatus(resp, (200, 204), "Okta deactivation PATCH")
        f = self.shadow_line(bob, lambda f: f[1].startswith("!"), "locked shadow entry")
        self.assertEqual(f[7], "1", "a deactivated user's shadow entry expires on day 1: %r" % f)
        pw = self.wait_passwd(bob)
        self.assertEqual(int(pw[2]), self.need("uids")[1], "still resolves, same uid")
        rc, out = self.ns_getent("group", "developers")
        self.assertIn(bob, nssenv.group_fields(out.splitlines()[0])[2],
                      "a deactivated user keeps its groups (files keep their owners)")

    def test_07_delete_removes_everything_and_uid_is_never_reused(self):
        bob_id, bob = self.need("bob")
        bob_uid = self.need("uids")[1]
        self.assertStatus(self.api.delete("/Users/" + bob_id), 204, "DELETE user")
        self.wait_gone("passwd", bob)
        self.wait_gone("passwd", str(bob_uid))
        self.wait_gone("shadow", bob)
        self.wait_gone("group", bob)
        rc, out = self.ns_getent("group", "developers")
        self.assertNotIn(bob, nssenv.group_fields(out.splitlines()[0])[2])
        out = self.ns("getent initgroups %s" % bob)
        self.assertEqual(out.split(), [bob], "initgroups of a deleted user: %r" % out)
        carol = self.api.create_user(unique("carol"))
        f = self.wait_passwd(login_of(carol["userName"]))
        self.assertGreater(int(f[2]), max(self.need("uids")),
                           "a new user must get a never-used uid, above the deleted one's")
        # Re-creating the very same userName is a new resource: still a new uid.
        again = self.api.create_user(unique("bob"))
        f2 = self.wait_passwd(login_of(again["userName"]))
        self.assertGreater(int(f2[2]), int(f[2]))
        self.state["uids"] += [int(f[2]), int(f2[2])]

    def test_08_role_losing_last_holder_disappears_and_keeps_its_gid(self):
        dave = self.api.create_user(unique("dave"), roles=[{"value": "QA Team"}])
        _, out = self.wait_ns(("group", "qa-team"), lambda rc, out: rc == 0,
                              "role group qa-team (normalised from 'QA Team')")
        qa_gid = nssenv.group_fields(out.splitlines()[0])[1]
        resp = self.api.patch_ops("/Users/" + dave["id"], [
            {"op": "replace", "path": "roles", "value": [{"value": "Support"}]}])
        self.assertStatus(resp, (200, 204), "PATCH roles")
        self.wait_gone("group", "qa-team")
        self.wait_gone("group", str(qa_gid))
        _, out = self.wait_ns(("group", "support"), lambda rc, out: rc == 0, "role support")
        support_gid = nssenv.group_fields(out.splitlines()[0])[1]
        self.assertNotEqual(support_gid, qa_gid, "a freed role gid must not name another role")
        erin = self.api.create_user(unique("erin"), roles=[{"value": "qa-team"}])
        _, out = self.wait_ns(("group", "qa-team"), lambda rc, out: rc == 0,
                              "re-created role qa-team")
        name, gid, members = nssenv.group_fields(out.splitlines()[0])
        self.assertEqual(gid, qa_gid, "a role name keeps its gid when it comes back")
        self.assertEqual(members, [login_of(erin["userName"])])

    def test_09_hostile_role_values_never_become_groups(self):
        """A role the host cannot take (reserved, local, no valid name) never blocks the user
        (docs/architecture.md): it stays in the SCIM data and never reaches the group database."""
        alice_id, _ = self.need("alice")
        alice_login = login_of(self.get_user(alice_id)["userName"])
        rc, out = nssenv.getent(self.scimd, "initgroups", alice_login)
        self.assertEqual(rc, 0, out)
        groups_before = set(out.split()[1:])
        # "" is not here: IdP templates render an unset role as "", which scimd treats as no
        # role at all (tests/integration/scim/test_entra_users.py), never as a group.
        for value in ("root", "sudo", "..", "   ", "12345", "x" * 300, "adm"):
            name = unique("hostile")
            resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                            "roles": [{"value": value}]})
            self.assertStatus(resp, 201, "role value %r" % value)
            self.assertEqual([r["value"] for r in resp.json.get("roles", [])], [value])
            resp = self.api.patch_ops("/Users/" + alice_id, [
                {"op": "add", "path": "roles", "value": [{"value": value}]}])
            self.assertStatus(resp, (200, 204), "PATCH adding role %r" % value)
        # a role that can be a group, added last: once it resolves, the export that carried
        # every value above has happened
        resp = self.api.patch_ops("/Users/" + alice_id, [
            {"op": "add", "path": "roles", "value": [{"value": "hostile-marker"}]}])
        self.assertStatus(resp, (200, 204))
        self.wait_ns(("group", "hostile-marker"), lambda rc, out: rc == 0, "role hostile-marker")
        rc, out = nssenv.getent(self.scimd, "group")
        names = [line.split(":")[0] for line in out.splitlines()]
        for bad in ("root", "sudo", "adm", "..", "12345", "x" * 64):
            self.assertNotIn(bad, names)
        marker_gid = [str(nssenv.group_fields(l)[1]) for l in out.splitlines()
                      if l.startswith("hostile-marker:")]
        self.assertNotIn(0, [nssenv.group_fields(l)[1] for l in out.splitlines()])
        rc, out = nssenv.getent(self.scimd, "initgroups", alice_login)
        self.assertEqual(rc, 0, out)
        self.assertEqual(set(out.split()[1:]), groups_before | set(marker_gid),
                         "the refused role values gave alice no group but the marker's")

    def test_09b_colon_in_a_role_never_reaches_the_group_database(self):
        """Issue 5 normalises role values like group displayNames (runs outside the login
        set become one '-'), so "a:b" may become the group a-b or be refused; what must
        never happen is a ':' inside a group name, which would forge group(5) fields."""
        name = unique("colon")
        resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                        "roles": [{"value": "ops:0:root"}]})
        self.assertStatus(resp, (201, 400, 409), "role value 'ops:0:root'")
        if resp.status != 201:
            self.assertScimError(resp, resp.status, ("invalidValue", "uniqueness"))
            self.assertNotStored(name)
            return
        _, out = self.wait_ns(("group", "ops-0-root"), lambda rc, out: rc == 0,
                              "role 'ops:0:root' normalised to ops-0-root")
        gname, gid, members = nssenv.group_fields(out.splitlines()[0])
        self.assertTrue(h.TEST_GID_MIN <= gid <= h.TEST_GID_MAX, out)
        self.assertEqual(members, [login_of(name)])
        rc, out = nssenv.getent(self.scimd, "group")
        for line in out.splitlines():
            nssenv.group_fields(line)  # exactly 4 fields: no ':' smuggled into a name

    def test_10_long_gecos_beyond_glibcs_first_buffer(self):
        """glibc starts getpwnam with a 1 KiB buffer and grows it only on ERANGE."""
        display = "Very Long Name " * 100
        user = self.api.create_user(unique("longname"), displayName=display.strip())
        f = self.wait_passwd(login_of(user["userName"]))
        self.assertEqual(f[4], display.strip())


@needs_root
class CacheHealsOnStart(NamespaceCase):

    def test_deleted_or_corrupt_cache_is_rewritten_on_start(self):
        user = self.api.create_user(unique("heal"))
        login = login_of(user["userName"])
        self.wait_passwd(login)
        os.unlink(self.scimd.cache_path)
        os.unlink(self.scimd.shadow_path)
        rc, _ = nssenv.getent(self.scimd, "passwd", login)
        self.assertEqual(rc, 2, "with the cache gone the user cannot resolve")
        self.scimd.restart()
        self.wait_passwd(login)
        self.shadow_line(login)
        self.assertEqual(os.stat(self.scimd.shadow_path).st_mode & 0o777, 0o640)
        with open(self.scimd.cache_path, "r+b") as f:  # truncate to a torn header
            f.truncate(40)
        rc, out = nssenv.getent(self.scimd, "passwd", login)
        self.assertEqual((rc, out), (2, ""), "a truncated cache must give no answer")
        self.scimd.restart()
        self.wait_passwd(login)
        p = self.scimd.scimctl("cache", "verify", self.scimd.cache_path, check=False)
        self.assertEqual(p.returncode, 0, "cache verify after healing: %s %s"
                         % (p.stdout, p.stderr))


@needs_root
class RestoredDatabase(NamespaceCase):
    """An old backup put back must not let scimd hand out uids it already gave away."""

    def backup(self, dest):
        src = sqlite3.connect("file:%s?mode=ro" % self.scimd.db_path, uri=True)
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()

    def uid_of(self, user):
        return int(self.wait_passwd(login_of(user["userName"]))[2])

    def test_restore_refused_until_high_water_adopt(self):
        uids = [self.uid_of(self.api.create_user(unique("early"))) for _ in range(3)]
        saved = os.path.join(self.scimd.tmpdir, "backup.db")
        self.backup(saved)
        uids += [self.uid_of(self.api.create_user(unique("late"))) for _ in range(2)]
        self.assertEqual(self.scimd.stop(), 0)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.scimd.db_path + suffix):
                os.unlink(self.scimd.db_path + suffix)
        shutil.copy(saved, self.scimd.db_path)

        try:
            p = subprocess.run([self.scimd.scimd, "-c", self.scimd.config_path],
                               capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired as e:
            self.fail("scimd kept running on a database restored below the high-water mark; "
                      "output: %s" % (e.stderr or e.stdout))
        self.assertNotEqual(p.returncode, 0, "scimd started on a database below the "
                            "high-water mark:\n%s" % p.stderr)
        self.assertIn("high-water", p.stdout + p.stderr,
                      "the refusal must name the high-water mark:\n%s" % p.stderr)

        adopt = self.scimd.scimctl("high-water", "adopt", check=False)
        self.assertEqual(adopt.returncode, 0, "scimctl high-water adopt: %s %s"
                         % (adopt.stdout, adopt.stderr))
        self.scimd.start()
        newer = self.api.create_user(unique("after"))
        new_uid = self.uid_of(newer)
        self.assertGreater(new_uid, max(uids), "uid %d after restore+adopt must be above all "
                           "earlier ones %s" % (new_uid, uids))


LINUX_URN = "urn:scimd:params:scim:schemas:extension:linux:1.0:User"


def with_uid(user_name, uid):
    return {"schemas": [h.URN_USER, LINUX_URN], "userName": user_name,
            LINUX_URN: {"uidNumber": uid, "gidNumber": uid}}


@needs_root
class IdpUidNumbers(NamespaceCase):
    """[accounts] accept_idp_ids (hosts migrating from LDAP): a pushed uidNumber is taken
    only inside the configured range, only once, and never a deleted user's."""

    instance_kwargs = {"extra": {"accounts": {"accept_idp_ids": "true"}}}

    def test_pushed_uid_numbers(self):
        wanted = h.TEST_UID_MIN + 500
        name = unique("ldapuser")
        resp = self.api.post("/Users", with_uid(name, wanted))
        self.assertUserResource(resp, 201, "POST with uidNumber %d" % wanted)
        f = self.wait_passwd(login_of(name))
        self.assertEqual((int(f[2]), int(f[3])), (wanted, wanted))

        other = unique("ldapdup")
        self.assertScimError(self.api.post("/Users", with_uid(other, wanted)), (400, 409),
                             msg="a uidNumber another user has")
        self.assertNotStored(other)
        for bad in (0, 999, 1000, 65534, h.TEST_UID_MIN - 1, h.TEST_UID_MAX + 1, 4294967295,
                    h.TEST_GID_MIN):
            n = unique("ldapbad")
            resp = self.api.post("/Users", with_uid(n, bad))
            self.assertScimError(resp, 400, "invalidValue", "uidNumber %d out of range" % bad)
            self.assertNotStored(n)
        resp = self.api.post("/Users", {"schemas": [h.URN_USER, LINUX_URN],
                                        "userName": unique("ldapgid"),
                                        LINUX_URN: {"uidNumber": wanted + 1,
                                                    "gidNumber": wanted + 2}})
        self.assertScimError(resp, 400, msg="gidNumber != uidNumber")

        # A deleted user's uid stays reserved even when the IdP asks for it.
        self.assertStatus(self.api.delete("/Users/" + resp_id(self, name)), 204)
        again = unique("ldapreuse")
        resp = self.api.post("/Users", with_uid(again, wanted))
        self.assertScimError(resp, (400, 409), msg="uidNumber of a deleted user")
        self.assertNotStored(again)

        allocated = self.api.create_user(unique("ldapnext"))
        f = self.wait_passwd(login_of(allocated["userName"]))
        self.assertNotEqual(int(f[2]), wanted)
        self.assertGreater(int(f[2]), wanted, "allocation continues above every claimed uid")


def resp_id(case, user_name):
    found = case.find('userName eq "%s"' % user_name)
    case.assertEqual(len(found), 1, "user %s" % user_name)
    return found[0]["id"]


@needs_root
class IdpUidNumbersOff(NamespaceCase):
    """By default a pushed uidNumber is refused, not silently replaced."""

    def test_refused_by_default(self):
        name = unique("nouid")
        resp = self.api.post("/Users", with_uid(name, h.TEST_UID_MIN + 42))
        self.assertScimError(resp, 400, "invalidValue", "uidNumber with accept_idp_ids off")
        self.assertNotStored(name)


@needs_root
class UidRangeExhaustion(NamespaceCase):
    """A range of three uids: the fourth user is a clear error, not a wrap-around, and a
    delete does not give a uid back."""

    instance_kwargs = {"extra": {"accounts": {"uid_max": str(h.TEST_UID_MIN + 2)}}}

    def test_fourth_user_is_refused_and_deletes_free_nothing(self):
        users = [self.api.create_user(unique("fits")) for _ in range(3)]
        uids = sorted(int(self.wait_passwd(login_of(u["userName"]))[2]) for u in users)
        self.assertEqual(uids, [h.TEST_UID_MIN, h.TEST_UID_MIN + 1, h.TEST_UID_MIN + 2])
        for attempt in ("before", "after a delete"):
            name = unique("nofit")
            resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name})
            self.assertGreaterEqual(resp.status, 400, "%s: %s" % (attempt, resp.describe()))
            body = self.assertScimError(resp, resp.status, msg="uid range exhausted (%s)"
                                        % attempt)
            self.assertRegex(body["detail"].lower(), "range|exhaust|no free",
                             "the error must say the uid range is used up: %s" % body["detail"])
            self.assertNotStored(name)
            if attempt == "before":
                self.assertStatus(self.api.delete("/Users/" + users[0]["id"]), 204)
                self.wait_gone("passwd", login_of(users[0]["userName"]))


if __name__ == "__main__":
    main()
