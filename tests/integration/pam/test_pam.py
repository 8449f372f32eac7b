#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pam_scim.so with pamtester in a private mount namespace (our /etc/pam.d, nsswitch.conf
naming scim, libnss_scim.so.2 from the build), against a real scimd changed through SCIM.
Needs root (unshare -m, root-owned caches)."""
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, HERE)
import scimharness as h  # noqa: E402
import scimns  # noqa: E402

MSG = "account deactivated by your identity provider; contact your administrator"
PASSWORD = "Pam-Scim-Integration-1"
URN_PATCH = h.URN_PATCH_OP


def pam_args(inst, extra=""):
    return "cache=%s shadow=%s uid_min=%d uid_max=%d %s" % (
        inst.cache_path, inst.shadow_path, h.TEST_UID_MIN, h.TEST_UID_MAX, extra)


class PamIntegration(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scimd = h.start_instance(name="pam")
        try:
            cls.api = cls.scimd.client()
            cls.ns = scimns.Namespace(cls.scimd.cache_path, cls.scimd.shadow_path, syslog=True)
            mod = scimns.pam_module()
            args = pam_args(cls.scimd)
            # pam_scim alone decides (pam_permit only turns its PAM_IGNORE into success).
            cls.ns.write_pam("scim-acct", "account required %s %s\n"
                             "account required pam_permit.so\n" % (mod, args))
            # PAM_IGNORE made visible: pamtester reports pam_debug's PAM_SERVICE_ERR.
            cls.ns.write_pam("scim-marker", "account [success=done ignore=ignore default=die] "
                             "%s %s\naccount required pam_debug.so acct=service_err\n"
                             % (mod, args))
            cls.ns.write_pam("scim-group", "account required %s %s\n"
                             "account required pam_permit.so\n"
                             % (mod, pam_args(cls.scimd, "require_group=pamops")))
            # What a Debian host gets: pam_unix, then the pam-auth-update line.
            cls.ns.write_pam("scim-debian", "account required pam_unix.so\n"
                             "account [success=ok new_authtok_reqd=ok ignore=ignore "
                             "user_unknown=ignore default=bad] %s %s\n" % (mod, args))
            cls.ns.write_pam("scim-auth", "auth required %s %s\n" % (mod, args))
            cls.ns.write_pam("unix-auth", "auth required pam_unix.so\n")

            cls.alice = cls.api.create_user("pamalice@example.com", password=PASSWORD)
            cls.bob = cls.api.create_user("pambob@example.com")
            cls.carol = cls.api.create_user("pamcarol@example.com",
                                            roles=[{"value": "pamops", "primary": True}])
            for name in ("pamalice", "pambob", "pamcarol"):
                cls.wait_resolvable(name)
        except BaseException:
            cls.scimd.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.ns.cleanup()
            status = cls.scimd.stop()
            if status != 0:
                raise AssertionError("scimd exited with %s" % status)
        finally:
            cls.scimd.cleanup()

    # -- helpers ----------------------------------------------------------------------
    @classmethod
    def getent(cls, *args):
        p = subprocess.run(["getent", "-s", "scim"] + list(args), env=cls.ns.env(),
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout

    @classmethod
    def wait_resolvable(cls, name):
        h.wait_until(lambda: cls.getent("passwd", name)[0] == 0, 10,
                     what="%s in the exported cache" % name)

    def pamtester(self, service, user, op="acct_mgmt", password=None):
        self.ns.read_log()
        p = self.ns.run(["pamtester", "-v", service, user, op],
                        input=(password + "\n") if password is not None else "")
        p.log = "".join(self.ns.read_log())
        return p

    def assertPamOk(self, p, what):
        self.assertEqual(p.returncode, 0, "%s: pamtester failed:\n%s%s\nlog: %s"
                         % (what, p.stdout, p.stderr, p.log))

    def assertPamFails(self, p, reason, what):
        self.assertNotEqual(p.returncode, 0, "%s: pamtester succeeded:\n%s%s"
                            % (what, p.stdout, p.stderr))
        self.assertIn(reason, p.stderr, "%s: pamtester output:\n%s%s" % (what, p.stdout,
                                                                        p.stderr))

    def set_active(self, user, active, login):
        r = self.api.patch_ops("/Users/" + user["id"],
                               [{"op": "replace", "path": "active", "value": active}])
        self.assertEqual(r.status, 200, r.describe())
        h.wait_until(lambda: self.shadow_locked(login) == (not active), 10,
                     what="%s active=%s exported" % (login, active))

    def shadow_locked(self, login):
        rc, out = self.getent("shadow", login)
        fields = out.split(":")
        return rc == 0 and len(fields) > 1 and fields[1].startswith("!")

    # -- tests ------------------------------------------------------------------------
    def test_active_user_succeeds(self):
        p = self.pamtester("scim-acct", "pamalice")
        self.assertPamOk(p, "active SCIM user")
        self.assertIn("granted pamalice", p.log)
        self.assertPamOk(self.pamtester("scim-debian", "pamalice"), "debian stack")

    def test_unknown_user_ignored(self):
        p = self.pamtester("scim-marker", "root")
        self.assertPamFails(p, "Error in service module", "root through the marker stack")
        self.assertNotIn(MSG, p.stderr)
        self.assertPamOk(self.pamtester("scim-debian", "root"), "root, debian stack")
        self.assertPamOk(self.pamtester("scim-acct", "root"), "root, pam_scim + pam_permit")

    def test_deactivated_via_patch_then_reactivated(self):
        self.assertPamOk(self.pamtester("scim-acct", "pambob"), "before deactivation")
        self.set_active(self.bob, False, "pambob")
        try:
            p = self.pamtester("scim-acct", "pambob")
            self.assertPamFails(p, "User account has expired", "deactivated")
            self.assertIn(MSG, p.stderr)
            self.assertIn("denied pambob", p.log)
            self.assertIn("account deactivated by the identity provider", p.log)
            # The Debian stack: pam_unix sees the locked, expired shadow entry; pam_scim
            # still adds its message.
            p = self.pamtester("scim-debian", "pambob")
            self.assertPamFails(p, "expired", "deactivated, debian stack")
            self.assertIn(MSG, p.stderr)
        finally:
            self.set_active(self.bob, True, "pambob")
        self.assertPamOk(self.pamtester("scim-acct", "pambob"), "reactivated")

    def test_corrupt_cache_denies_scim_users_only(self):
        saved = self.scimd.cache_path + ".saved"
        shutil.copy2(self.scimd.cache_path, saved)
        tmp = self.scimd.cache_path + ".corrupt"
        with open(tmp, "wb") as f:
            f.write(b"\x00garbage, not a cache\n" * 512)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.scimd.cache_path)
        try:
            p = self.pamtester("scim-acct", "pamalice")
            self.assertPamFails(p, "Permission denied", "SCIM user, corrupt cache")
            self.assertIn("cache unusable", p.log)
            self.assertPamOk(self.pamtester("scim-acct", "root"), "local user, corrupt cache")
            p = self.pamtester("scim-marker", "root")
            self.assertPamFails(p, "Error in service module", "local user ignored")
            self.assertIn("ignoring root (uid 0, outside the SCIM range", p.log)
        finally:
            os.replace(saved, self.scimd.cache_path)
        self.assertPamOk(self.pamtester("scim-acct", "pamalice"), "cache restored")

    def test_require_group(self):
        self.assertPamOk(self.pamtester("scim-group", "pamcarol"), "member of pamops")
        p = self.pamtester("scim-group", "pamalice")
        self.assertPamFails(p, "Permission denied", "not a member of pamops")
        self.assertIn("requires membership in group pamops", p.stderr)
        self.assertPamOk(self.pamtester("scim-group", "root"), "local user unaffected")

    def test_password_auth(self):
        self.assertPamOk(self.pamtester("scim-auth", "pamalice", "authenticate", PASSWORD),
                         "right password")
        p = self.pamtester("scim-auth", "pamalice", "authenticate", PASSWORD + "x")
        self.assertPamFails(p, "Authentication failure", "wrong password")
        self.assertIn("wrong password", p.log)
        p = self.pamtester("scim-auth", "pambob", "authenticate", PASSWORD)
        self.assertPamFails(p, "cannot retrieve authentication info", "no synced password")
        # The same hash through pam_unix and nss_scim's getspnam (defence in depth).
        self.assertPamOk(self.pamtester("unix-auth", "pamalice", "authenticate", PASSWORD),
                         "pam_unix, right password")
        p = self.pamtester("unix-auth", "pamalice", "authenticate", "nope")
        self.assertPamFails(p, "Authentication failure", "pam_unix, wrong password")


def require_environment():
    """Not root: skip (meson's exit code 77); root but a tool missing: fail, saying which."""
    if os.geteuid() != 0:
        print("skipping: needs root (unshare -m, bind mounts, root-owned caches)")
        sys.exit(77)
    missing = [t for t in ("unshare", "pamtester", "getent") if not shutil.which(t)]
    if missing:
        sys.exit("missing %s: run scripts/deps.sh" % ", ".join(missing))


if __name__ == "__main__":
    require_environment()
    prog = unittest.main(verbosity=2, exit=False)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
