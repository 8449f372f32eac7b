# SPDX-License-Identifier: MIT
"""Changes that do not go through scimd's own door: a token revoked by editing the store
directly, sshPublicKeys values carrying authorized_keys options or extra lines, and a host
whose useradd would hand out subordinate ids inside scimd's ranges (issue 11, items 7-9)."""

import os
import sqlite3
import subprocess
import time
import unittest

from hardening_util import h
from scimtest import ScimTestCase, main, unique

LINUX = h.URN_LINUX_USER
ED_B64 = "AAAAC3NzaC1lZDI1NTE5AAAAIN080GsNXQsWRjbanLGtuDSaXS06lcnlUtP7QA1zfFo2"
ED_KEY = "ssh-ed25519 " + ED_B64


class RevokedInTheStore(ScimTestCase):
    """The store is the truth: a revocation written by any route applies within ~1 s."""

    def revoke_directly(self, access_id):
        # Not scimctl, and the token-epoch file is left alone: only the row changes.
        epoch = self.scimd.db_path + ".token-epoch"
        before = os.stat(epoch) if os.path.exists(epoch) else None
        db = sqlite3.connect(self.scimd.db_path, timeout=10)
        try:
            with db:
                n = db.execute("UPDATE tokens SET revoked = '2025-01-01T00:00:00Z' "
                               "WHERE id = ? AND revoked IS NULL", (access_id,)).rowcount
        finally:
            db.close()
        self.assertEqual(n, 1, "the token row to revoke is missing")
        after = os.stat(epoch) if os.path.exists(epoch) else None
        self.assertEqual(before and before.st_mtime_ns, after and after.st_mtime_ns,
                         "the epoch file changed: this test must not use the fast path")

    def test_direct_revocation_applies_within_two_seconds(self):
        doomed = self.scimd.create_token("revoke-in-store")
        api = self.scimd.client(doomed)
        self.assertListResponse(api.get("/Users"), msg="fresh token")
        # Warm the daemon's token table past the epoch-file fast path first.
        time.sleep(1.2)
        self.assertListResponse(api.get("/Users"), msg="token still valid")
        self.revoke_directly(doomed.access_id)
        deadline = time.monotonic() + 2.5
        while True:
            resp = api.get("/Users")
            if resp.status == 401:
                break
            self.assertLess(time.monotonic(), deadline,
                            "a token revoked in the store still works after 2.5 s:\n%s"
                            % resp.describe())
            time.sleep(0.1)
        self.assertListResponse(self.api.get("/Users"), msg="the other token still works")


class SshKeyValues(ScimTestCase):
    """Only plain public keys reach sshd; a bad entry is a 400 naming it, nothing stored."""

    BAD = {
        "options": 'command="/bin/sh -c id" ' + ED_KEY,
        "marker": "@cert-authority " + ED_KEY,
        "bare option": "cert-authority " + ED_KEY,
        "newline in comment": ED_KEY + " laptop\nssh-rsa AAAAB3NzaC1yc2E evil",
        "bad base64": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN0!0GsN laptop",
        "type mismatch": "ssh-rsa " + ED_B64,
    }

    def keys(self, *values):
        return {LINUX: {"sshPublicKeys": [{"value": v} for v in values]}}

    def assertNamesEntry(self, resp, index, what):
        self.assertScimError(resp, 400, "invalidValue", msg=what)
        detail = resp.json.get("detail", "")
        self.assertIn("sshPublicKeys[%d]" % index, detail, what)
        self.assertNotIn("\n", detail, what)

    def exported_key_count(self, login):
        """ssh_keys=N of login's line in the exported cache (polled: the exporter writes
        shortly after a change); authorized-keys itself needs the host's NSS to know the
        user, which this test does not set up."""
        deadline = time.monotonic() + 10
        while True:
            out = self.scimd.scimctl("cache", "dump").stdout
            for line in out.splitlines():
                if line.strip().startswith(login + ":") and "ssh_keys=" in line:
                    return int(line.split("ssh_keys=")[1].split()[0])
            self.assertLess(time.monotonic(), deadline, "%s never exported:\n%s" % (login, out))
            time.sleep(0.1)

    def test_post_refuses_each_bad_value(self):
        for what, value in self.BAD.items():
            name = unique("sshpost")
            body = dict(schemas=[h.URN_USER, LINUX], userName=name,
                        **self.keys(ED_KEY + " good", value))
            self.assertNamesEntry(self.api.post("/Users", body), 1, "POST, " + what)
            self.assertNotStored(name)

    def test_patch_and_put_refuse_and_change_nothing(self):
        name = unique("sshpatch")
        created = self.api.post("/Users", dict(schemas=[h.URN_USER, LINUX], userName=name,
                                               **self.keys(ED_KEY + " good")))
        self.assertUserResource(created, 201)
        uid = created.json["id"]
        for what, value in self.BAD.items():
            resp = self.api.patch_ops("/Users/" + uid, [
                {"op": "add", "path": LINUX + ":sshPublicKeys", "value": [{"value": value}]}])
            self.assertNamesEntry(resp, 1, "PATCH, " + what)
            body = dict(schemas=[h.URN_USER, LINUX], userName=name, **self.keys(value))
            self.assertNamesEntry(self.api.put("/Users/" + uid, body), 0, "PUT, " + what)
        keys = self.get_user(uid)[LINUX]["sshPublicKeys"]
        self.assertEqual([k["value"] for k in keys], [ED_KEY + " good"])
        self.assertEqual(self.exported_key_count(name.split("@")[0]), 1)


class SubordinateIdPool(unittest.TestCase):
    """Empty /etc/subuid and /etc/subgid: login.defs' pool decides where the next useradd's
    subordinate ids come from, and scimd refuses ranges inside it (start and --check-config)."""

    def new(self, defs):
        inst = h.ScimdInstance(etc_files={"subuid": "", "subgid": "", "login.defs": defs},
                               extra={"accounts": {"uid_min": 200000000, "uid_max": 200099999,
                                                   "gid_min": 200100000, "gid_max": 200199999}})
        self.addCleanup(inst.cleanup)
        return inst

    def test_default_pool_is_refused(self):
        inst = self.new("SUB_UID_MIN 100000\nSUB_UID_MAX 600100000\nSUB_UID_COUNT 65536\n")
        with self.assertRaises(h.HarnessError, msg="scimd started inside the subid pool"):
            inst.start()
        self.assertNotEqual(inst.proc.returncode, 0)
        self.assertIn("SUB_UID_MIN..SUB_UID_MAX = 100000-600100000", inst.log_since_start())
        check = subprocess.run(inst.command("--check-config"), capture_output=True, text=True,
                               timeout=30)
        self.assertNotEqual(check.returncode, 0, check.stdout)
        self.assertIn("SUB_UID_MIN..SUB_UID_MAX", check.stdout + check.stderr)

    def test_pool_below_the_ranges_is_accepted(self):
        inst = self.new("SUB_UID_MAX 199999999\nSUB_GID_MAX 199999999\n")
        check = subprocess.run(inst.command("--check-config"), capture_output=True, text=True,
                               timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        inst.start()
        inst.stop()


if __name__ == "__main__":
    main()
