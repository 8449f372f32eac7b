#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Movers (issue 17): a user the IdP renames keeps the uid, the groups, the keys and the home.

The home path is fixed when the user is created (docs/architecture.md, "Home directories"),
so after a rename through PUT, through Entra's PATCH (`{"op":"Replace","path":"userName"}`)
or Okta's (`{"op":"replace","value":{"userName":...}}`), and after a rename back, glibc NSS
(the nss_scim module) answers: the old name not found, the new name with the same uid, the
same home, the same private group, role group and SCIM group memberships, the shadow entry
and the SSH keys (scimctl authorized-keys, in a namespace where nsswitch.conf names scim).
Renames onto a local account (in scimd's private /etc), a reserved name or another user's name are refused and change
nothing. A rename racing a deactivation (two threads) ends with both applied and NSS agreeing
with the store. Needs root (unshare -m for the keys lookup).
"""
import os
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, HERE)
import nssenv  # noqa: E402
import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main, unique  # noqa: E402

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1vdmVycy1rZWVwLXRoZWlyLWtleXMtYWNyb3NzLXJlbmFt mover"
HOMES = "/srv/scimd-movers-test"
LOCAL = "moverslocal"


def login_of(user_name):
    return user_name.split("@", 1)[0].lower()


class Movers(ScimTestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (unshare -m)")
        if not nssenv.have_module():
            raise unittest.SkipTest("libnss_scim.so.2 not built at %s" % nssenv.module_path())
        # A local account only scimd's private /etc has (not a reserved name).
        with open("/etc/passwd") as f:
            passwd = f.read().rstrip("\n") + "\n%s:x:4343:4343::/nonexistent:/bin/sh\n" % LOCAL
        cls.instance_kwargs = {"extra": {"accounts": {"home": HOMES + "/%u"}},
                               "etc_files": {"passwd": passwd}}
        super().setUpClass()
        r = cls.api.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                     "displayName": "movers-team"})
        if r.status != 201:
            raise AssertionError(r.describe())
        cls.group_id = r.json["id"]

    # -- helpers ----------------------------------------------------------------------
    def passwd(self, login):
        rc, out = nssenv.getent(self.scimd, "passwd", login)
        return nssenv.passwd_fields(out) if rc == 0 else None

    def wait_login(self, login, uid):
        """The export shows login at uid (and only there)."""
        nssenv.wait_getent(self.scimd, ("passwd", str(uid)),
                           lambda rc, out: rc == 0 and out.split(":")[0] == login,
                           "uid %d exported as %s" % (uid, login))

    def make(self, prefix):
        name = unique(prefix)
        user = self.api.create_user(name, roles=[{"value": "movers-role"}],
                                    **{h.URN_LINUX_USER: {"sshPublicKeys": [{"value": KEY}]}})
        r = self.api.patch_ops("/Groups/" + self.group_id,
                               [{"op": "add", "path": "members", "value": [{"value": user["id"]}]}])
        self.assertStatus(r, (200, 204))
        uid = user[h.URN_LINUX_USER]["uidNumber"]
        self.wait_login(login_of(name), uid)
        return user, uid

    def assertMoved(self, old, new, uid, home, active=True):
        """NSS: old gone, new at uid with home; groups, shadow and keys follow the name."""
        self.assertIsNone(self.passwd(old), "the old name %s still resolves" % old)
        pw = self.passwd(new)
        self.assertIsNotNone(pw, "the new name %s does not resolve" % new)
        self.assertEqual((pw[0], int(pw[2]), int(pw[3]), pw[5]), (new, uid, uid, home))
        rc, out = nssenv.getent(self.scimd, "group", new)
        self.assertEqual(rc, 0, "no private group %s" % new)
        self.assertEqual(nssenv.group_fields(out)[1], uid)
        self.assertNotEqual(nssenv.getent(self.scimd, "group", old)[0], 0)
        for group in ("movers-role", "movers-team"):
            rc, out = nssenv.getent(self.scimd, "group", group)
            self.assertEqual(rc, 0, group)
            members = nssenv.group_fields(out)[2]
            self.assertIn(new, members, group)
            self.assertNotIn(old, members, group)
        rc, out = nssenv.getent(self.scimd, "shadow", new)
        self.assertEqual(rc, 0, "no shadow entry for %s" % new)
        self.assertEqual(nssenv.shadow_fields(out)[1].startswith("!"), not active)
        self.assertNotEqual(nssenv.getent(self.scimd, "shadow", old)[0], 0)
        p = nssenv.in_namespace(self.scimd, "%s -c %s authorized-keys %s; echo rc=$?; "
                                "%s -c %s authorized-keys %s"
                                % (h.binary("scimctl"), self.scimd.config_path, new,
                                   h.binary("scimctl"), self.scimd.config_path, old))
        keys_new, _, keys_old = p.stdout.partition("rc=0\n")
        self.assertEqual(keys_new, KEY + "\n" if active else "", p.stdout + p.stderr)
        self.assertEqual(keys_old, "", "the old name still gets keys")

    def user_doc(self, user, user_name, **extra):
        doc = {"schemas": [h.URN_USER, h.URN_LINUX_USER], "userName": user_name,
               "active": True, "roles": [{"value": "movers-role"}],
               h.URN_LINUX_USER: {"sshPublicKeys": [{"value": KEY}]}}
        doc.update(extra)
        return doc

    def get_user(self, user):
        r = self.api.get("/Users/" + user["id"])
        self.assertStatus(r, 200)
        return r.json

    # -- tests ------------------------------------------------------------------------
    def test_put_rename_keeps_home_and_collisions_change_nothing(self):
        user, uid = self.make("putmover")
        old = login_of(user["userName"])
        home = HOMES + "/" + old
        self.assertEqual(self.passwd(old)[5], home)
        new_name = unique("putmoved")
        new = login_of(new_name)
        self.assertStatus(self.api.put("/Users/" + user["id"], self.user_doc(user, new_name)),
                          200)
        self.wait_login(new, uid)
        self.assertMoved(old, new, uid, home)

        # Refused and nothing changes: another user's name, a local account, a reserved name.
        other, _ = self.make("bystander")
        version = self.get_user(user)["meta"]["version"]
        for taken, status in ((other["userName"], 409), (LOCAL + "@example.com", 409),
                              ("daemon@example.com", 400)):
            r = self.api.put("/Users/" + user["id"], self.user_doc(user, taken))
            self.assertStatus(r, status, "renaming onto %s" % taken)
            got = self.get_user(user)
            self.assertEqual((got["userName"], got["meta"]["version"]), (new_name, version))
        self.assertMoved(old, new, uid, home)

        # And back: the original name, still the same home.
        self.assertStatus(self.api.put("/Users/" + user["id"],
                                       self.user_doc(user, user["userName"])), 200)
        self.wait_login(old, uid)
        self.assertMoved(new, old, uid, home)

    def test_entra_patch_rename(self):
        user, uid = self.make("entramover")
        old = login_of(user["userName"])
        new_name = unique("entramoved")
        r = self.api.patch_ops("/Users/" + user["id"],
                               [{"op": "Replace", "path": "userName", "value": new_name}])
        self.assertStatus(r, (200, 204))
        self.wait_login(login_of(new_name), uid)
        self.assertMoved(old, login_of(new_name), uid, HOMES + "/" + old)

    def test_okta_patch_rename_and_back(self):
        user, uid = self.make("oktamover")
        old = login_of(user["userName"])
        new_name = unique("oktamoved")
        for frm, to, to_name in ((old, login_of(new_name), new_name),
                                 (login_of(new_name), old, user["userName"])):
            r = self.api.patch_ops("/Users/" + user["id"],
                                   [{"op": "replace", "value": {"userName": to_name}}])
            self.assertStatus(r, (200, 204))
            self.wait_login(to, uid)
            self.assertMoved(frm, to, uid, HOMES + "/" + old)

    def test_rename_racing_deactivation(self):
        """Two threads, one renaming and one deactivating, at once: both apply (in some
        order), and NSS ends agreeing with the store: the new name, inactive, same home."""
        for round_ in range(5):
            user, uid = self.make("racer")
            old = login_of(user["userName"])
            new_name = unique("raced")
            start = threading.Barrier(2)
            results = {}

            def rename():
                start.wait()
                results["rename"] = self.scimd.client(self.scimd.token).patch_ops(
                    "/Users/" + user["id"],
                    [{"op": "Replace", "path": "userName", "value": new_name}])

            def deactivate():
                start.wait()
                results["deactivate"] = self.scimd.client(self.scimd.token).patch_ops(
                    "/Users/" + user["id"], [{"op": "replace", "path": "active", "value": False}])

            threads = [threading.Thread(target=rename), threading.Thread(target=deactivate)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            for what, r in results.items():
                self.assertStatus(r, (200, 204), "round %d, %s" % (round_, what))
            self.assertEqual(len(results), 2)
            got = self.get_user(user)
            self.assertEqual((got["userName"], got["active"]), (new_name, False))
            new = login_of(new_name)
            nssenv.wait_getent(self.scimd, ("shadow", new),
                               lambda rc, out: rc == 0 and out.split(":")[1].startswith("!"),
                               "%s exported inactive" % new)
            self.assertMoved(old, new, uid, HOMES + "/" + old, active=False)


if __name__ == "__main__":
    main()
