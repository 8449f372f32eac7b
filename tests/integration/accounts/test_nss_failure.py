#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The host's name service failing while users are pushed: scimd fails closed. scimd runs in
a private mount namespace whose nsswitch.conf names libnss_probefail.so.2 (built with the
core unit tests) after files; that service answers "unavailable" for a few uids and for the
name "probefail", the way an unreachable LDAP server or sssd does. A POST whose next uid the
host cannot be asked about answers 503 and changes nothing (no user, no ledger entry, the
high-water mark where it was), also when retried (no id is skipped or handed out unasked);
the same for a login name the host cannot be asked about. The service fails three ways in
turn: UNAVAIL with errno EIO, UNAVAIL with ENOENT (what libnss-ldapd answers while nslcd is
down: glibc hands that ENOENT back, and it must not read as "not found"), and TRYAGAIN with
EAGAIN. Needs root (unshare, bind mount).
"""

import os
import sqlite3
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))

import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main, unique  # noqa: E402

FIRST = h.TEST_UID_MIN + 48
FAILING = (h.TEST_UID_MIN + 50, h.TEST_UID_MIN + 59)
MODULE_DIR = os.path.join(h.build_root(), "tests", "unit", "core")
NSSWITCH = "passwd: files probefail\ngroup: files probefail\nshadow: files\nhosts: files\n"


def setUpModule():
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root (unshare -m, bind mounts)")
    if not os.path.exists(os.path.join(MODULE_DIR, "libnss_probefail.so.2")):
        raise unittest.SkipTest("libnss_probefail.so.2 not built (cmocka missing?)")
    # scimd inherits these: glibc loads the failing service from the build tree.
    os.environ["LD_LIBRARY_PATH"] = MODULE_DIR
    os.environ["PROBEFAIL_IDS"] = "%d-%d" % FAILING


class NameServiceFailure(ScimTestCase):
    """libnss_probefail failing with UNAVAIL, errno EIO."""
    instance_kwargs = {"extra": {"accounts": {"uid_min": str(FIRST)}},
                       "etc_files": {"nsswitch.conf": NSSWITCH}}
    probefail_errno = "EIO"

    @classmethod
    def setUpClass(cls):
        # scimd inherits the environment: the failure mode of the service it will load.
        os.environ["PROBEFAIL_ERRNO"] = cls.probefail_errno
        try:
            super().setUpClass()
        finally:
            os.environ.pop("PROBEFAIL_ERRNO", None)

    def store_state(self):
        db = sqlite3.connect("file:%s?mode=ro" % self.scimd.db_path, uri=True)
        try:
            users = db.execute("SELECT count(*) FROM users").fetchone()[0]
            ledger = db.execute("SELECT count(*) FROM id_ledger WHERE kind = 'user'").fetchone()[0]
            hwm = db.execute("SELECT value FROM meta WHERE key = 'uid_hwm'").fetchone()
        finally:
            db.close()
        return users, ledger, hwm[0] if hwm else None

    def assert_503(self, resp, what):
        body = self.assertScimError(resp, 503, msg=what)
        self.assertIn("name service failed", body["detail"], what)
        return body

    def test_fails_closed_and_changes_nothing(self):
        made = [self.api.create_user(unique("fine")) for _ in range(2)]
        uids = sorted(u[h.URN_LINUX_USER]["uidNumber"] for u in made)
        self.assertEqual(uids, [FIRST, FIRST + 1])
        before = self.store_state()
        self.assertEqual(before, (2, 2, str(FIRST + 1)))
        # The next uid is one the host cannot be asked about: refused, and again on retry
        # (neither skipped nor handed out).
        for attempt in ("first", "retry", "second retry"):
            name = unique("blocked")
            resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name})
            body = self.assert_503(resp, "uid %d, %s attempt" % (FAILING[0], attempt))
            self.assertIn(str(FAILING[0]), body["detail"])
            self.assertNotStored(name)
            self.assertEqual(self.store_state(), before, attempt)
        # A login name the host cannot be asked about.
        resp = self.api.post("/Users", {"schemas": [h.URN_USER],
                                        "userName": "probefail@example.com"})
        self.assert_503(resp, "login name probefail")
        self.assertNotStored("probefail@example.com")
        self.assertEqual(self.store_state(), before)
        self.scimd.assert_running()


class NameServiceFailureEnoent(NameServiceFailure):
    """UNAVAIL with errno ENOENT, as libnss-ldapd answers while nslcd is down."""
    probefail_errno = "ENOENT"


class NameServiceFailureEagain(NameServiceFailure):
    """TRYAGAIN with errno EAGAIN."""
    probefail_errno = "EAGAIN"


if __name__ == "__main__":
    main()
