# SPDX-License-Identifier: MIT
"""Configuration drop-ins (FILE.d/*.conf after FILE, for scimd and scimctl alike) and the
warnings of scimd --check-config: files others may write, a TLS key others may read, a
mapping onto a local group the host lacks. Each bad drop-in stops everything with its name
and line."""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402

NO_SUCH_GROUP = "scimd-itest-no-such-group"


def dropin_dir(s):
    d = s.config_path + ".d"
    os.makedirs(d, mode=0o755, exist_ok=True)
    return d


def put_dropin(s, name, text, mode=0o644):
    path = os.path.join(dropin_dir(s), name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def check_config(s):
    return subprocess.run(s.command("--check-config"), capture_output=True, text=True,
                          timeout=30)


def warnings(out):
    return [l for l in out.splitlines() if l.startswith("warning: ")]


class DropIns(unittest.TestCase):
    def assertStoppedAt(self, s, where, what):
        """--check-config, scimd and scimctl all refuse, naming where; nothing is created."""
        r = check_config(s)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(where, r.stderr)
        self.assertIn(what, r.stderr)
        s.spawn()
        self.assertEqual(s.proc.wait(timeout=30), 1, s.log_since_start())
        self.assertIn("configuration error: " + where, s.log_since_start())
        self.assertNotIn("listening on", s.log_since_start())
        r = s.scimctl("token", "create", "t", check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(where, r.stderr)
        self.assertFalse(os.path.exists(s.db_path), "a store was created")

    def test_syntax_error_names_the_dropin_and_line(self):
        with h.ScimdInstance(name="dropin-syntax") as s:
            put_dropin(s, "10-ok.conf", "[server]\nmax_connections = 100\n")
            bad = put_dropin(s, "20-bad.conf", "[server]\nmax_connections 100\n")
            self.assertStoppedAt(s, bad + ":2: ", "expected 'key = value'")

    def test_bad_value_in_dropin_names_it(self):
        with h.ScimdInstance(name="dropin-value") as s:
            bad = put_dropin(s, "50-ids.conf", "# local ids\n[accounts]\nuid_min = 10\n")
            self.assertStoppedAt(s, bad + ":3: ", "uid_min")

    @unittest.skipUnless(shutil.which("setpriv"), "setpriv is not installed")
    def test_unreadable_dropin_stops_everything(self):
        # scimd.service runs root without capabilities (CapabilityBoundingSet=): a drop-in
        # that root does not own and may not read is unreadable to it, as here.
        with h.ScimdInstance(name="dropin-unreadable") as s:
            secret = put_dropin(s, "30-secret.conf", "[server]\n", mode=0o600)
            os.chown(secret, 65534, 65534)
            nocaps = ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]
            r = subprocess.run(nocaps + s.command("--check-config"), capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn(secret + ": Permission denied", r.stderr)
            s.spawn(nocaps + s.command())
            self.assertEqual(s.proc.wait(timeout=30), 1, s.log_since_start())
            self.assertIn("configuration error: " + secret + ": Permission denied",
                          s.log_since_start())
            r = subprocess.run(nocaps + [s.scimctl_path, "-c", s.config_path, "token", "create",
                                         "t"], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn(secret + ": Permission denied", r.stderr)
            self.assertFalse(os.path.exists(s.db_path), "a store was created")

    def test_dropin_that_is_a_directory_or_dangling_link(self):
        with h.ScimdInstance(name="dropin-odd") as s:
            os.makedirs(os.path.join(dropin_dir(s), "40-dir.conf"))
            self.assertStoppedAt(s, os.path.join(dropin_dir(s), "40-dir.conf") + ": ",
                                 "not a regular file")
            os.rmdir(os.path.join(dropin_dir(s), "40-dir.conf"))
            link = os.path.join(dropin_dir(s), "40-link.conf")
            os.symlink("/nonexistent/scimd-itest.conf", link)
            self.assertStoppedAt(s, link + ": ", "No such file or directory")

    def test_later_files_win_for_scimd_and_scimctl(self):
        with h.ScimdInstance(name="dropin-order") as s:
            other_db = os.path.join(s.tmpdir, "dropin.db")
            put_dropin(s, "10-first.conf", "[server]\nbase_path = /first\n"
                       "[store]\ndatabase = %s\n" % os.path.join(s.tmpdir, "first.db"))
            # "9-" sorts after "10-": byte order of the names, not numbers.
            put_dropin(s, "9-last.conf", "[server]\nbase_path = /last\n")
            put_dropin(s, "20-second.conf", "[server]\nbase_path = /second\n"
                       "[store]\ndatabase = %s\n" % other_db)
            # Not drop-ins: each would be an error if read.
            for name in (".hidden.conf", "20-second.conf~", "20-second.conf.dpkg-old",
                         "README"):
                put_dropin(s, name, "not a config line\n")
            r = check_config(s)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(r.stdout, "%s: configuration OK\n" % s.config_path)
            # scimctl writes the token into the database the last drop-in names ...
            s.create_token("order")
            self.assertTrue(os.path.exists(other_db))
            self.assertFalse(os.path.exists(s.db_path))
            self.assertFalse(os.path.exists(os.path.join(s.tmpdir, "first.db")))
            # ... and scimd serves from it, under the base path of the last file by name.
            s.start()
            self.assertIn("listening on http://127.0.0.1:%d/last" % s.port, s.log_text())
            s.base_path = "/last"
            status, _, body = s.client().get("/Users")
            self.assertEqual(status, 200, body)


class CheckConfigWarnings(unittest.TestCase):
    def test_world_writable_dropin(self):
        with h.ScimdInstance(name="warn-writable") as s:
            d = put_dropin(s, "10-roles.conf", "[roles]\nadmin = root\n", mode=0o666)
            r = check_config(s)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(len(warnings(r.stdout)), 1, r.stdout)
            self.assertIn("warning: drop-in %s is world-writable" % d, r.stdout)
            self.assertIn("chmod go-w %s" % d, r.stdout)
            self.assertTrue(r.stdout.endswith("%s: configuration OK, 1 warning\n"
                                              % s.config_path), r.stdout)
            # scimd starts, and says so in its log.
            s.start()
            self.assertIn("configuration: drop-in %s is world-writable" % d, s.log_text())
            # A group-writable main file and drop-in directory too.
            os.chmod(d, 0o644)
            os.chmod(s.config_path, 0o664)
            os.chmod(dropin_dir(s), 0o775)
            r = check_config(s)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(len(warnings(r.stdout)), 2, r.stdout)
            self.assertIn("configuration file %s is writable by group" % s.config_path, r.stdout)
            self.assertIn("drop-in directory %s is writable by group" % dropin_dir(s), r.stdout)
            # Root's alone again: not a word.
            os.chmod(s.config_path, 0o644)
            os.chmod(dropin_dir(s), 0o755)
            r = check_config(s)
            self.assertEqual((r.returncode, r.stdout), (0, "%s: configuration OK\n"
                                                        % s.config_path))

    @unittest.skipUnless(shutil.which("openssl"), "openssl is not installed")
    def test_tls_key_readable_by_others(self):
        with h.ScimdInstance(name="warn-tls") as s:
            key = os.path.join(s.tmpdir, "key.pem")
            cert = os.path.join(s.tmpdir, "cert.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            put_dropin(s, "50-tls.conf", "[server]\ntls_cert = %s\ntls_key = %s\n" % (cert, key))
            os.chmod(key, 0o644)
            r = check_config(s)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(warnings(r.stdout),
                             ["warning: [server] tls_key %s is readable by everyone: any local "
                              "user can impersonate this SCIM endpoint and read the identity "
                              "provider's token; chmod 0600 %s" % (key, key)])
            os.chmod(key, 0o600)
            r = check_config(s)
            self.assertEqual((r.returncode, warnings(r.stdout)), (0, []), r.stdout)

    def test_mapping_onto_missing_local_group(self):
        with h.ScimdInstance(name="warn-group",
                             extra={"roles": {"admin": "root", "dev": NO_SUCH_GROUP}}) as s:
            put_dropin(s, "10-groups.conf", "[groups]\nLinux Admins = %s\nOps = root\n"
                       % NO_SUCH_GROUP)
            r = check_config(s)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            w = warnings(r.stdout)
            self.assertEqual(len(w), 2, r.stdout)
            self.assertTrue(w[0].startswith("warning: [roles] dev = %s: this host has no group"
                                            % NO_SUCH_GROUP), w)
            self.assertTrue(w[1].startswith("warning: [groups] Linux Admins = %s: this host has "
                                            "no group" % NO_SUCH_GROUP), w)
            self.assertIn("configuration OK, 2 warnings", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
