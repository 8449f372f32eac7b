"""Disk full: scimd's state (database, WAL, caches) on a small tmpfs in a private mount
namespace. Once the file system is full, writes are refused with a SCIM 5xx error (507
Insufficient Storage for SQLITE_FULL) instead of hanging or crashing, reads keep working,
the previously exported cache stays valid and served, the database passes
integrity_check, and after space is freed writes succeed and the cache catches up.

Needs root (unshare -m, mount); skipped otherwise."""

import hashlib
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

TMPFS_SIZE = "16m"
BIG = "x" * 60000  # a large but valid attribute, so each write needs fresh pages


def file_sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


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

    def cache_logins(self):
        rc, entries = passwd_entries(self.inst.cache_path)
        return set(entries) if rc == 0 else None

    def test_full_disk_fails_clearly_and_recovers(self):
        before = ["before%02d@example.com" % i for i in range(10)]
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

        # Writes: every answer is a 201 (room left in already-allocated pages) or a clear
        # SCIM 5xx; within a few attempts the full disk must show.
        acked, failures = [], []
        for i in range(60):
            name = "during%02d@example.com" % i
            resp = self.post_user(name)
            if resp.status == 201:
                acked.append(name)
                continue
            self.assertGreaterEqual(resp.status, 500, resp.describe())
            self.assertEqual(resp.media_type, h.SCIM_MEDIA_TYPE, resp.describe())
            self.assertEqual(resp.json.get("schemas"), [h.URN_ERROR], resp.describe())
            self.assertEqual(resp.json.get("status"), str(resp.status), resp.describe())
            self.assertTrue(resp.json.get("detail"), resp.describe())
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
        self.assertTrue(want <= (self.cache_logins() or set()),
                        "the cache lost users while the disk was full")
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
        print("# disk full: %d writes acknowledged before the first %d; detail: %s"
              % (len(acked), failures[0].status, failures[0].json.get("detail")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
