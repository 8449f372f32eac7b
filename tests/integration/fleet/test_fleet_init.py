# SPDX-License-Identifier: MIT
"""`scimctl fleet init` and `fleet show` (issue 14, docs/fleet.md "Signature"): the hub's
signing key is written 0600 through O_EXCL, an existing key is refused unless --force, the
printed public_key is the key file's own public half (a signature made with the file verifies
against it), feed_id is the store's meta feed_id, and a key file others can read is refused."""

import base64
import ctypes
import ctypes.util
import hashlib
import os
import sqlite3
import stat
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402

CONTEXT = b"scimd-feed-v1\n"


def sodium():
    lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    if lib.sodium_init() < 0:
        raise h.HarnessError("sodium_init failed")
    return lib


def fields(text):
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            out[key] = value
    return out


class FleetInit(unittest.TestCase):
    def setUp(self):
        self.inst = h.ScimdInstance(name="fleet-init")
        self.key = os.path.join(self.inst.tmpdir, "fleet.key")
        self.inst.sections["fleet"] = {"signing_key": self.key}
        self.inst.write_config()

    def tearDown(self):
        self.inst.__exit__(None, None, None)

    def ctl(self, *args):
        return self.inst.scimctl(*args, check=False)

    def meta_feed_id(self):
        con = sqlite3.connect(self.inst.db_path, timeout=10)
        try:
            return con.execute("SELECT value FROM meta WHERE key = 'feed_id'").fetchone()[0]
        finally:
            con.close()

    def sign_with_key_file(self, body):
        """A signature made with the secret key as the file holds it (libsodium)."""
        with open(self.key, "rb") as f:
            sk = base64.b64decode(f.read().strip(), validate=True)
        self.assertEqual(len(sk), 64)
        sig = ctypes.create_string_buffer(64)
        msg = CONTEXT + body
        self.assertEqual(sodium().crypto_sign_detached(sig, None, msg,
                                                       ctypes.c_ulonglong(len(msg)), sk), 0)
        return sig.raw

    def verifies(self, pub_b64, sig, body):
        pk = base64.b64decode(pub_b64, validate=True)
        msg = CONTEXT + body
        return sodium().crypto_sign_verify_detached(sig, msg, ctypes.c_ulonglong(len(msg)),
                                                    pk) == 0

    def test_init_writes_a_0600_key_whose_public_half_it_prints(self):
        r = self.ctl("fleet", "init")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = fields(r.stdout)
        st = os.lstat(self.key)
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_uid, os.geteuid())
        with open(self.key, "rb") as f:
            text = f.read()
        self.assertEqual(len(text), 89)           # base64 of 64 bytes and a newline
        self.assertTrue(text.endswith(b"\n"))

        pub = out["public_key"]
        self.assertEqual(len(base64.b64decode(pub, validate=True)), 32)
        self.assertEqual(out["key_id"],
                         hashlib.sha256(base64.b64decode(pub)).hexdigest()[:16])
        body = b'{"feed":"x","from":0,"to":1}'
        sig = self.sign_with_key_file(body)
        self.assertTrue(self.verifies(pub, sig, body))
        self.assertFalse(self.verifies(pub, sig, body + b" "))

        self.assertRegex(out["feed_id"], r"^[0-9a-f]{32}$")
        self.assertEqual(out["feed_id"], self.meta_feed_id())

        shown = self.ctl("fleet", "show")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(fields(shown.stdout), {k: out[k] for k in
                                                ("public_key", "key_id", "feed_id")})

    def test_existing_key_refused_without_force_and_replaced_with_it(self):
        first = fields(self.ctl("fleet", "init").stdout)
        with open(self.key, "rb") as f:
            before = f.read()
        again = self.ctl("fleet", "init")
        self.assertEqual(again.returncode, 1)
        self.assertIn("exists", again.stderr)
        self.assertIn("--force", again.stderr)
        self.assertEqual(again.stdout, "")
        with open(self.key, "rb") as f:
            self.assertEqual(f.read(), before)

        forced = self.ctl("fleet", "init", "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)
        new = fields(forced.stdout)
        self.assertNotEqual(new["public_key"], first["public_key"])
        self.assertEqual(new["feed_id"], first["feed_id"])       # followers pin the feed id
        self.assertEqual(stat.S_IMODE(os.lstat(self.key).st_mode), 0o600)
        self.assertEqual([n for n in os.listdir(self.inst.tmpdir) if ".tmp." in n], [])
        body = b"rotated"
        self.assertTrue(self.verifies(new["public_key"], self.sign_with_key_file(body), body))
        self.assertFalse(self.verifies(first["public_key"], self.sign_with_key_file(body), body))

    def test_existing_file_of_any_kind_is_not_replaced(self):
        os.symlink(os.path.join(self.inst.tmpdir, "elsewhere"), self.key)
        r = self.ctl("fleet", "init")
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.inst.tmpdir, "elsewhere")))

    def test_show_refuses_a_key_others_can_read(self):
        self.assertEqual(self.ctl("fleet", "init").returncode, 0)
        os.chmod(self.key, 0o640)
        r = self.ctl("fleet", "show")
        self.assertEqual(r.returncode, 1)
        self.assertIn("mode 0640", r.stderr)
        self.assertNotIn("public_key", r.stdout)

    def test_usage_errors(self):
        for args in (("fleet",), ("fleet", "init", "--forse"), ("fleet", "show", "x"),
                     ("fleet", "rotate")):
            r = self.ctl(*args)
            self.assertEqual(r.returncode, 2, args)
        self.assertFalse(os.path.exists(self.key))

    def test_show_without_init(self):
        # No store yet: a read names the missing database and creates nothing.
        r = self.ctl("fleet", "show")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no store there", r.stderr)
        self.assertFalse(os.path.exists(self.inst.db_path))
        # A store without a key: the key file is named.
        self.assertEqual(self.ctl("token", "create", "t").returncode, 0)
        r = self.ctl("fleet", "show")
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.key, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
