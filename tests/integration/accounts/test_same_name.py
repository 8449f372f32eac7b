#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A local account with the same name as a SCIM user is someone else (issue 11, item 4).

Inside `unshare -m` with nsswitch.conf `files scim` and private /etc/passwd and /etc/group
copies holding a local account `twin` (uid/gid 4242 or the next free id) while SCIM also has a
user `twin`, with the role `administrator` mapped to the local sudo group and a role group
`developers`, and an SSH key: files answers first, so the host's `twin` is the local account.
It must not get the SCIM user's groups through initgroups (id, getgrouplist with its own
primary gid), and `scim-authorized-keys twin` (and its alias `scimctl authorized-keys`, which
must answer alike) must print none of the SCIM user's keys.
A SCIM user no local account shadows (`real`) still gets both, also with sshd's %U; a %U
that is not the SCIM uid gets nothing, and one that is not a number is a usage error.
Needs root (unshare, bind mounts).
"""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, os.path.join(HERE, "..", "pam"))
sys.path.insert(0, HERE)
import nssenv  # noqa: E402
import scimharness as h  # noqa: E402
import scimns  # noqa: E402
from scimtest import ScimTestCase, main, unique  # noqa: E402

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9yZ2FuaXNhdGlvbi1zYW1lLW5hbWUtdGVzdC1rZXkx idp"
ROLES = [{"value": "administrator"}, {"value": "developers"}]


class SameName(ScimTestCase):
    instance_kwargs = {"extra": {"roles": {"administrator": "sudo"}}}

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (unshare -m, bind mounts)")
        if not nssenv.have_module():
            raise unittest.SkipTest("libnss_scim.so.2 not built at %s" % nssenv.module_path())
        super().setUpClass()

    def make(self, prefix):
        name = unique(prefix)
        made = self.api.create_user(name, roles=ROLES,
                                    **{h.URN_LINUX_USER: {"sshPublicKeys": [{"value": KEY}]}})
        login = name.split("@", 1)[0].lower()
        nssenv.wait_getent(self.scimd, ("passwd", login), lambda rc, out: rc == 0,
                           "%s exported" % login)
        return login, made[h.URN_LINUX_USER]["uidNumber"]

    def run_ns(self, local_name, local_id, script):
        """sh -c script in a namespace where files (with local_name) comes before scim."""
        d = self.scimd.tmpdir
        files = {"nsswitch.conf": "passwd: files scim\ngroup: files scim\nshadow: files\n"}
        with open("/etc/passwd") as f:
            files["passwd"] = f.read().rstrip("\n") + "\n%s:x:%d:%d:local twin:/tmp:/bin/sh\n" % (
                local_name, local_id, local_id)
        with open("/etc/group") as f:
            files["group"] = f.read().rstrip("\n") + "\n%s:x:%d:\n" % (local_name, local_id)
        setup = "set -e; mount --make-rprivate /; "
        for name, text in files.items():
            path = os.path.join(d, "same-name-" + name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o644)
            setup += "mount --bind %s /etc/%s; " % (path, name)
        setup += "if [ -d /run/nscd ]; then mount -t tmpfs tmpfs /run/nscd; fi; set +e; "
        return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                               setup + script], env=nssenv.env_for(self.scimd),
                              capture_output=True, text=True, timeout=60)

    def keys(self, local_name, local_id, *args):
        """(rc, stdout, stderr) of sshd's helper; scimctl's alias must give the same rc and
        stdout (its messages only name another program)."""
        helper = os.path.join(h.build_root(), "authorized_keys", "scim-authorized-keys")
        alias = [h.binary("scimctl"), "-c", self.scimd.config_path, "authorized-keys"]
        answers = []
        for cmd in ([helper], alias):
            p = self.run_ns(local_name, local_id, " ".join(cmd + list(args)) + '; echo "rc=$?"')
            out, _, rc = p.stdout.rpartition("rc=")
            answers.append((int(rc.strip()), out, p.stderr))
        self.assertEqual(answers[0][:2], answers[1][:2], "helper and scimctl alias differ: %r"
                         % (answers,))
        return answers[0]

    def test_local_twin_gets_nothing(self):
        twin, twin_uid = self.make("twin")
        real, real_uid = self.make("real")
        local_id = scimns.free_local_id(4242)

        # initgroups: id(1) and getgrouplist with the account's own primary gid.
        p = self.run_ns(twin, local_id, "id %s; echo ---; id %s" % (twin, real))
        self.assertEqual(p.returncode, 0, p.stderr)
        twin_id, real_id = p.stdout.split("---\n")
        self.assertTrue(twin_id.startswith("uid=%d(%s) gid=%d(%s)" % (local_id, twin, local_id,
                                                                     twin)), twin_id)
        self.assertNotIn("sudo", twin_id, "the local twin got the SCIM user's mapped sudo")
        self.assertNotIn("developers", twin_id, "the local twin got the SCIM role group")
        self.assertEqual(twin_id.strip(), "uid=%d(%s) gid=%d(%s) groups=%d(%s)"
                         % (local_id, twin, local_id, twin, local_id, twin))
        self.assertIn("uid=%d(%s) gid=%d(%s)" % (real_uid, real, real_uid, real), real_id)
        self.assertIn("27(sudo)", real_id)
        self.assertIn("(developers)", real_id)

        # authorized-keys: the name resolves to the local account, so no keys.
        rc, out, err = self.keys(twin, local_id, twin)
        self.assertEqual((rc, out), (0, ""), err)
        self.assertIn("resolves to uid %d on this host, not SCIM uid %d" % (local_id, twin_uid),
                      err)
        rc, out, err = self.keys(twin, local_id, twin, str(local_id))
        self.assertEqual((rc, out), (0, ""), err)
        # ... even when sshd's %U is (wrongly) the SCIM uid: NSS has the last word.
        rc, out, err = self.keys(twin, local_id, twin, str(twin_uid))
        self.assertEqual((rc, out), (0, ""), err)

        # The real SCIM user: keys by name, and with %U equal to its uid; not with another.
        rc, out, err = self.keys(twin, local_id, real)
        self.assertEqual((rc, out), (0, KEY + "\n"), err)
        rc, out, err = self.keys(twin, local_id, real, str(real_uid))
        self.assertEqual((rc, out), (0, KEY + "\n"), err)
        rc, out, err = self.keys(twin, local_id, real, str(local_id))
        self.assertEqual((rc, out), (0, ""), err)
        for bad in ("abc", "-1", "12x", "99999999999", ""):
            rc, out, err = self.keys(twin, local_id, real, "'%s'" % bad)
            self.assertEqual((rc, out), (2, ""), "%%U %r: %s" % (bad, err))
            self.assertIn("is not a uid", err)


if __name__ == "__main__":
    main()
