# SPDX-License-Identifier: MIT
"""Disk full: scimd's state (database, WAL, caches) on a small tmpfs in a private mount
namespace. Once the file system is full, writes are refused with a SCIM 5xx error (507
Insufficient Storage for SQLITE_FULL) instead of hanging or crashing, reads keep working,
the previously exported cache stays valid and served, the database passes
integrity_check, and after space is freed writes succeed and the cache catches up.

Needs root (unshare -m, mount); skipped otherwise. The state is sized so that small
commits still fit in the WAL once the disk is full: acknowledged, while the cache export
fails - the case "the previous cache stays valid" is about."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

IN_NS = "HARDEN_DISKFULL_NS"

if __name__ == "__main__" and os.environ.get(IN_NS) != "1" and os.geteuid() == 0 \
        and shutil.which("unshare"):
    # Re-run this file in its own mount namespace: the tmpfs is invisible to the host and
    # disappears with the test.
    env = dict(os.environ, **{IN_NS: "1"})
    os.execvpe("unshare", ["unshare", "-m", "--propagation", "private", sys.executable,
                           os.path.abspath(__file__)] + sys.argv[1:], env)

from hardening_util import (cache_verify, getent, h, list_all, login_of, passwd_entries,
                            sqlite_integrity)

TMPFS_SIZE = "24m"
BIG = "x" * 60000  # a large but valid attribute, so each write needs fresh pages


def fill(path):
    """Fills the file system holding path; returns the filler's path."""
    filler = os.path.join(path, "filler")
    subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=64k"], capture_output=True)
    return filler


@unittest.skipUnless(os.environ.get(IN_NS) == "1", "needs root and unshare -m")
class DiskFullTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="scimd-diskfull-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % TMPFS_SIZE,
                        "tmpfs", self.mnt], check=True)
        self.addCleanup(lambda: (subprocess.run(["umount", "-l", self.mnt]),
                                 os.rmdir(self.mnt)))
        old_tmp = tempfile.tempdir
        tempfile.tempdir = self.mnt  # the harness puts all of the state in there
        try:
            self.inst = h.start_instance(name="diskfull")
        finally:
            tempfile.tempdir = old_tmp
        self.addCleanup(self.inst.cleanup)
        self.assertTrue(self.inst.tmpdir.startswith(self.mnt))
        self.api = self.inst.client()

    def post_user(self, name):
        return self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                        "displayName": "big", "title": BIG})

    def assertScimError5xx(self, resp):
        self.assertGreaterEqual(resp.status, 500, resp.describe())
        self.assertEqual(resp.media_type, h.SCIM_MEDIA_TYPE, resp.describe())
        self.assertEqual(resp.json.get("schemas"), [h.URN_ERROR], resp.describe())
        self.assertEqual(resp.json.get("status"), str(resp.status), resp.describe())
        self.assertTrue(resp.json.get("detail"), resp.describe())

    def cache_logins(self):
        rc, entries = passwd_entries(self.inst.cache_path)
        return set(entries) if rc == 0 else None

    def test_full_disk_fails_clearly_and_recovers(self):
        # Enough data to pass SQLite's WAL auto-checkpoint (1000 pages): the WAL file then
        # keeps its size and is reused from the start, so small commits still fit once the
        # disk is full, while the cache export (a new file) cannot be written.
        before = ["before%02d@example.com" % i for i in range(90)]
        for name in before:
            self.assertEqual(self.post_user(name).status, 201)
        want = {login_of(n) for n in before}
        h.wait_until(lambda: self.cache_logins() == want, timeout=20,
                     what="the first users in the cache")
        ok, out = cache_verify(self.inst)
        self.assertTrue(ok, out)

        filler = fill(self.mnt)
        st = os.statvfs(self.mnt)
        self.assertLess(st.f_bavail * st.f_frsize, 256 * 1024, "the tmpfs did not fill")

        # Small writes may still fit in the WAL: acknowledged (durable in SQLite) while the
        # export of the cache fails; the old cache must stay in place and valid.
        acked, failures = [], []
        for i in range(5):
            name = "small%02d@example.com" % i
            resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name})
            if resp.status == 201:
                acked.append(name)
            else:
                self.assertScimError5xx(resp)
        time.sleep(1.0)  # the exporter's debounce has passed: it tried and failed
        ok, out = cache_verify(self.inst)
        self.assertTrue(ok, "a failed export damaged the cache: " + out)
        self.assertTrue(want <= (self.cache_logins() or set()))

        # Large writes: every answer is a 201 (room left in already-allocated pages) or a
        # clear SCIM 5xx; within a few attempts the full disk must show.
        for i in range(60):
            name = "during%02d@example.com" % i
            resp = self.post_user(name)
            if resp.status == 201:
                acked.append(name)
                continue
            self.assertScimError5xx(resp)
            failures.append(resp)
            if len(failures) >= 3:
                break
        self.assertTrue(failures, "60 large writes on a full disk all succeeded")
        self.assertEqual(failures[0].status, 507, failures[0].describe())
        self.inst.assert_running()

        # Reads still work, and so does the previously exported cache.
        listed = {u["userName"] for u in list_all(self.api)}
        self.assertTrue(set(before) <= listed)
        self.assertTrue(set(acked) <= listed, "acknowledged writes are not listed")
        ok, out = cache_verify(self.inst)
        self.assertTrue(ok, "the cache is invalid while the disk is full: " + out)
        ok, out = cache_verify(self.inst, self.inst.shadow_path)
        self.assertTrue(ok, "the shadow cache is invalid while the disk is full: " + out)
        logins_while_full = self.cache_logins() or set()
        self.assertTrue(want <= logins_while_full, "the cache lost users while the disk was full")
        exported_while_full = len(logins_while_full & {login_of(n) for n in acked})
        self.assertEqual(getent(self.inst.cache_path, "passwd", login_of(before[0]))[0], 0)
        self.assertEqual(sqlite_integrity(self.inst.db_path), "ok")

        # Free the space: writes succeed again and the cache catches up on everything.
        os.unlink(filler)
        after = []
        for i in range(5):
            name = "after%02d@example.com" % i
            deadline = time.monotonic() + 15
            while True:
                resp = self.post_user(name)
                if resp.status == 201 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            self.assertEqual(resp.status, 201, "write after freeing space:\n" + resp.describe())
            after.append(name)
        final = {login_of(n) for n in before + acked + after}
        h.wait_until(lambda: self.cache_logins() == final, timeout=30, interval=0.25,
                     what="the cache to catch up after space was freed")
        ok, out = cache_verify(self.inst)
        self.assertTrue(ok, out)
        self.assertEqual(self.inst.stop(), 0)
        self.assertEqual(sqlite_integrity(self.inst.db_path), "ok")
        print("# disk full: %d writes acknowledged, %d of them exported while full, then %d: %s"
              % (len(acked), exported_while_full, failures[0].status,
                 failures[0].json.get("detail")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
