#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scimd as a service: socket activation, signals, /healthz, configuration errors with
file and line, refusal of unsafe id ranges (local ids, 65534, /etc/subuid), and the uid
high-water guard that stops a restored or lost database from handing out old uids.
"""

import os
import pwd
import signal
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main  # noqa: E402


def uid_of(user):
    return user[h.URN_LINUX_USER]["uidNumber"]


class Instance(unittest.TestCase):
    """Tests that manage their own ScimdInstance."""

    def new(self, **kw):
        inst = h.ScimdInstance(**kw)
        self.addCleanup(inst.cleanup)
        return inst

    def assertRefusesToStart(self, inst, *needles):
        """scimd exits non-zero before listening, and its log says why."""
        with self.assertRaises(h.HarnessError, msg="scimd started but should refuse") as cm:
            inst.start()
        self.assertIsNotNone(inst.proc.returncode, str(cm.exception))
        self.assertNotEqual(inst.proc.returncode, 0, str(cm.exception))
        log = inst.log_since_start()
        for needle in needles:
            self.assertIn(needle, log, "the refusal should mention %r" % needle)
        return log


class ServiceBehaviour(Instance):

    def test_socket_activation(self):
        inst = self.new(extra={"server": {"listen": "127.0.0.1:%d" % h.free_port()}})
        ignored_port = int(inst.sections["server"]["listen"].rsplit(":", 1)[1])
        inst.start(socket_activation=True)
        api = inst.client()
        user = api.create_user("activated@example.com")
        resp = api.get("/Users/" + user["id"])
        self.assertEqual(resp.status, 200, resp.describe())
        self.assertIn("socket-activated", inst.log_since_start())
        with self.assertRaises(OSError, msg="`listen` must be ignored under socket activation"):
            socket.create_connection(("127.0.0.1", ignored_port), timeout=2).close()
        self.assertEqual(inst.stop(), 0, inst.log_tail())

    def test_sigint_is_a_clean_exit(self):
        inst = self.new()
        inst.start()
        inst.client().create_user("interrupted@example.com")
        self.assertEqual(inst._signal_and_wait(signal.SIGINT, 10), 0, inst.log_tail())

    def test_healthz_needs_no_token(self):
        inst = self.new()
        inst.start()
        resp = inst.client().get("/healthz", auth=None, base=False)
        self.assertEqual(resp.status, 200, resp.describe())
        resp = inst.client().get("/Users", auth=None)
        self.assertEqual(resp.status, 401, "only /healthz is open:\n" + resp.describe())
        self.assertEqual(inst.stop(), 0)


class ConfigurationErrors(Instance):
    """Unknown keys and bad values stop scimd with FILE:LINE (docs/architecture.md)."""

    def bad_config(self, extra_lines, line_of):
        inst = self.new(extra_lines=extra_lines)
        text = inst.config_text()
        lineno = text.splitlines().index(line_of) + 1
        log = self.assertRefusesToStart(inst, "%s:%d" % (inst.config_path, lineno))
        check = subprocess.run(inst.command("--check-config"), capture_output=True, text=True,
                               timeout=30)
        self.assertNotEqual(check.returncode, 0, "--check-config accepted:\n" + text)
        self.assertIn("%s:%d" % (inst.config_path, lineno), check.stdout + check.stderr)
        return log

    def test_unknown_key(self):
        self.bad_config("[accounts]\nfavourite_colour = blue", "favourite_colour = blue")

    def test_bad_value(self):
        self.bad_config("[server]\nmax_body_size = lots", "max_body_size = lots")

    def test_unknown_section(self):
        self.bad_config("[nonsense]\nkey = value", "[nonsense]")

    def test_good_config_checks_ok(self):
        inst = self.new()
        check = subprocess.run(inst.command("--check-config"), capture_output=True, text=True,
                               timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)


class UnsafeRanges(Instance):
    """scimd refuses id ranges that could alias an existing identity."""

    def test_range_containing_nobody(self):
        inst = self.new(extra={"accounts": {"uid_min": 65000, "uid_max": 66000}})
        self.assertRefusesToStart(inst, "[accounts]")

    def test_range_containing_a_local_user(self):
        local = sorted(p.pw_uid for p in pwd.getpwall() if 1000 <= p.pw_uid < 60000)
        if not local:
            self.skipTest("no local user with an id in 1000..59999")
        uid = local[0]
        inst = self.new(extra={"accounts": {"uid_min": uid, "uid_max": uid + 10}})
        self.assertRefusesToStart(inst, "[accounts]")

    def test_uid_and_gid_ranges_overlap(self):
        inst = self.new(extra={"accounts": {"gid_min": h.TEST_UID_MAX - 5,
                                            "gid_max": h.TEST_GID_MAX}})
        self.assertRefusesToStart(inst, "[accounts]")

    def test_range_overlapping_subuid(self):
        inst = self.new(etc_files={"subuid": "someone:%d:65536\n" % (h.TEST_UID_MIN + 50000)})
        self.assertRefusesToStart(inst, "/etc/subuid")

    def test_range_overlapping_subgid(self):
        inst = self.new(etc_files={"subgid": "someone:%d:65536\n" % (h.TEST_GID_MIN + 50000)})
        self.assertRefusesToStart(inst, "/etc/subgid")

    def test_subuid_elsewhere_is_fine(self):
        inst = self.new(etc_files={"subuid": "someone:100000:65536\n",
                                   "subgid": "someone:100000:65536\n"})
        inst.start()
        self.assertEqual(inst.stop(), 0)


class HighWaterMark(Instance):
    """A uid handed out once is never handed out again, even from a restored database."""

    def backup(self, inst):
        dest = os.path.join(inst.tmpdir, "backup")
        inst.store_backup(dest)
        return dest

    def restore(self, inst, backup):
        inst.store_restore(backup)

    def test_restored_backup_is_refused_until_adopted(self):
        inst = self.new()
        inst.start()
        api = inst.client()
        first = api.create_user("before.backup@example.com")
        self.assertEqual(inst.stop(), 0)
        backup = self.backup(inst)
        inst.start()
        later = [api.create_user("after.backup%d@example.com" % i) for i in range(3)]
        self.assertEqual(inst.stop(), 0)

        self.restore(inst, backup)
        self.assertRefusesToStart(inst, "high-water")
        # Without the guard file, the cache header still remembers.
        os.rename(inst.hwm_path, inst.hwm_path + ".moved")
        self.assertRefusesToStart(inst, "high-water")
        os.rename(inst.hwm_path + ".moved", inst.hwm_path)

        adopt = inst.scimctl("high-water", "adopt")
        self.assertEqual(adopt.returncode, 0)
        inst.start()
        self.assertEqual(api.get("/Users/" + first["id"]).status, 200)
        for u in later:
            self.assertEqual(api.get("/Users/" + u["id"]).status, 404, "not in the backup")
        fresh = api.create_user("after.restore@example.com")
        self.assertGreater(uid_of(fresh), max(uid_of(u) for u in later + [first]),
                           "a uid handed out before the restore was handed out again")
        self.assertEqual(inst.stop(), 0)

    def test_lost_database_is_refused(self):
        inst = self.new()
        inst.start()
        inst.client().create_user("will.be.lost@example.com")
        self.assertEqual(inst.stop(), 0)
        inst.store_delete()
        self.assertRefusesToStart(inst, "high-water")


class TokensSurviveRestart(ScimTestCase):

    def test_token_and_revocation_persist(self):
        other = self.scimd.create_token("second")
        self.scimd.scimctl("token", "revoke", other.access_id)
        self.scimd.restart()
        self.assertEqual(self.api.get("/Users").status, 200)
        resp = self.scimd.client(other).get("/Users")
        self.assertScimError(resp, 401, msg="a revoked token came back after restart")


if __name__ == "__main__":
    main()
