#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A real OpenSSH sshd on 127.0.0.1 gated by scimd: key logins of a SCIM-provisioned user
stop when the IdP deactivates it (PATCH active=false) and work again when it is
reactivated, while a local user is unaffected.

sshd runs in a private mount namespace (scimns.Namespace): nsswitch.conf `files scim`,
our own /etc/pam.d, a namespace-only local user, libnss_scim.so.2 from the build. Set-ups:
  1. keys in AuthorizedKeysFile, PAM alone gates (pam_scim, then pam_unix only, then
     UsePAM no: the locked, expired shadow entry nss_scim serves refuses it on its own);
  2. AuthorizedKeysCommand `scim-authorized-keys %u %U` as user nobody;
  3. Debian's common-* as the real pam-auth-update builds them with our profile, for sshd
     and (pamtester) the login service: the refusal is pam_scim's, with its message;
and a password login (keyboard-interactive) through pam_scim's auth phase; and a user the
IdP renames logging in to the home and files it had before (issue 17).
Needs root, unshare, openssh-server and openssh-client."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, os.path.join(HERE, "..", "pam"))
import scimharness as h  # noqa: E402
import scimns  # noqa: E402

MSG = "account deactivated by your identity provider; contact your administrator"
# pam_unix's own refusal of the expired shadow entry (pamtester adds pam_strerror's
# "user account has expired" to whichever module refused).
UNIX_EXPIRED = "Your account has expired"
URN_LINUX = "urn:scimd:params:scim:schemas:extension:linux:1.0:User"
SSHD = "/usr/sbin/sshd"  # sshd re-executes itself: it must be started by absolute path
REFUSAL_DEADLINE = 10.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path, comment):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
                   check=True, stdin=subprocess.DEVNULL)
    with open(path + ".pub") as f:
        return f.read().strip()


class Sshd:
    """One sshd -D -e in the namespace; stop() before starting another config."""

    def __init__(self, ns, workdir, port):
        self.ns, self.dir, self.port = ns, workdir, port
        self.proc = None
        self.log_path = os.path.join(workdir, "sshd.log")

    def start(self, extra):
        cfg = os.path.join(self.dir, "sshd_config")
        with open(cfg, "w") as f:
            # sshd keeps the first value it reads for a keyword: extra comes first.
            f.write("\n".join(extra + [
                "Port %d" % self.port,
                "ListenAddress 127.0.0.1",
                "AddressFamily inet",
                "HostKey %s/ssh_host_ed25519_key" % self.dir,
                "PidFile %s/sshd.pid" % self.dir,
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "AuthenticationMethods publickey",
                "StrictModes no",
                "PermitRootLogin no",
                "PrintMotd no",
                "PrintLastLog no",
                "UseDNS no",
                "X11Forwarding no",
                "MaxStartups 100:30:200",
                "LogLevel VERBOSE",
            ]) + "\n")
        check = self.ns.run([SSHD, "-t", "-f", cfg])
        if check.returncode != 0:
            raise AssertionError("sshd -t refused the config:\n%s%s" % (check.stdout,
                                                                      check.stderr))
        self.log = open(self.log_path, "ab")
        self.proc = self.ns.popen([SSHD, "-D", "-e", "-f", cfg], stdin=subprocess.DEVNULL,
                                  stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("sshd exited (%s):\n%s" % (self.proc.returncode,
                                                                self.log_text()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("sshd did not listen on port %d:\n%s" % (self.port,
                                                                      self.log_text()))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-6000:]

    def log_size(self):
        return os.path.getsize(self.log_path)

    def log_since(self, offset):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")


class SshdGate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="scim-sshd-")
        os.chmod(cls.dir, 0o755)
        cls.scimd = None
        cls.ns = None
        cls.sshd = None
        cls.safe_dir = None
        try:
            cls._set_up()
        except BaseException:
            cls._clean_up()
            raise

    @classmethod
    def _set_up(cls):
        d = cls.dir
        for sub in ("home", "keys", "client"):
            os.makedirs(os.path.join(d, sub))
            os.chmod(os.path.join(d, sub), 0o755)
        cls.scimd = h.start_instance(name="sshd", extra={
            "accounts": {"home": d + "/home/%u", "shell": "/bin/sh"}})
        cls.api = cls.scimd.client()

        local_uid = scimns.free_local_id()
        cls.local = scimns.LocalUser("sshlocal", local_uid, d + "/home/sshlocal")
        cls.ns = scimns.Namespace(cls.scimd.cache_path, cls.scimd.shadow_path,
                                  local_users=[cls.local])
        cls.mod = scimns.pam_module()

        cls.scim_key = os.path.join(d, "client", "id_scim")
        cls.local_key = os.path.join(d, "client", "id_local")
        scim_pub = keygen(cls.scim_key, "sshbob@test")
        local_pub = keygen(cls.local_key, "sshlocal@test")

        cls.user = cls.api.create_user(
            "sshbob@example.com",
            schemas=[h.URN_USER, URN_LINUX],
            **{URN_LINUX: {"sshPublicKeys": [{"value": scim_pub}]}})
        cls.login = "sshbob"
        h.wait_until(lambda: cls.getent("passwd", cls.login)[0] == 0, 10,
                     what="sshbob in the exported cache")
        cls.uid = int(cls.getent("passwd", cls.login)[1].split(":")[2])

        for name, uid, pub in ((cls.login, cls.uid, scim_pub),
                               (cls.local.name, local_uid, local_pub)):
            home = os.path.join(d, "home", name)
            os.makedirs(home)
            os.chown(home, uid, uid)
            keyfile = os.path.join(d, "keys", name)
            with open(keyfile, "w") as f:
                f.write(pub + "\n")
            os.chmod(keyfile, 0o644)

        host_pub = keygen(os.path.join(d, "ssh_host_ed25519_key"), "host")
        cls.port = free_port()
        cls.known_hosts = os.path.join(d, "client", "known_hosts")
        with open(cls.known_hosts, "w") as f:
            f.write("[127.0.0.1]:%d %s\n" % (cls.port, " ".join(host_pub.split()[:2])))
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        cls.sshd = Sshd(cls.ns, d, cls.port)

    @classmethod
    def _clean_up(cls):
        if cls.sshd:
            cls.sshd.stop()
        if cls.ns:
            cls.ns.cleanup()
        if cls.scimd:
            cls.scimd.cleanup()
        if cls.safe_dir:
            shutil.rmtree(cls.safe_dir, ignore_errors=True)
        subprocess.run(["rm", "-rf", "--one-file-system", cls.dir], check=False)

    @classmethod
    def tearDownClass(cls):
        try:
            status = cls.scimd.stop() if cls.scimd else 0
            if status != 0:
                raise AssertionError("scimd exited with %s on SIGTERM" % status)
        finally:
            cls._clean_up()

    def tearDown(self):
        self.sshd.stop()
        self.set_active(True)

    # -- helpers ----------------------------------------------------------------------
    @classmethod
    def getent(cls, *args):
        p = subprocess.run(["getent", "-s", "scim"] + list(args), env=cls.ns.env(),
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout

    def exported_locked(self):
        rc, out = self.getent("shadow", self.login)
        fields = out.split(":")
        return rc == 0 and len(fields) > 1 and fields[1].startswith("!")

    def patch_active(self, active):
        """PATCH active and return the monotonic time of the 2xx."""
        r = self.api.patch_ops("/Users/" + self.user["id"],
                               [{"op": "replace", "path": "active", "value": active}])
        t = time.monotonic()
        self.assertIn(r.status, (200, 204), r.describe())
        return t

    def set_active(self, active):
        self.patch_active(active)
        h.wait_until(lambda: self.exported_locked() == (not active), 10,
                     what="sshbob active=%s in the exported cache" % active)

    def ssh(self, user, key, command="echo login-ok; id -u"):
        argv = ["ssh", "-F", "/dev/null", "-p", str(self.port), "-i", key,
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "UserKnownHostsFile=" + self.known_hosts,
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
                "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
                "-o", "ConnectTimeout=5",
                "%s@127.0.0.1" % user, command]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        p.ok = (p.returncode == 0 and command.startswith("echo login-ok") and
                p.stdout.split() == ["login-ok", str(self.uid_of(user))])
        return p

    def uid_of(self, user):
        return self.uid if user == self.login else self.local.uid

    def assertLogin(self, user, key, what):
        p = self.ssh(user, key)
        self.assertTrue(p.ok, "%s: %s could not log in (rc %d)\nstdout: %s\nstderr: %s\n"
                        "sshd log:\n%s" % (what, user, p.returncode, p.stdout, p.stderr,
                                           self.sshd.log_text()))

    def assertRefused(self, user, key, what):
        p = self.ssh(user, key)
        self.assertNotEqual(p.returncode, 0, "%s: %s logged in:\n%s" % (what, user, p.stdout))
        self.assertNotIn("login-ok", p.stdout)
        return p

    def assertBothWork(self, what):
        self.assertLogin(self.login, self.scim_key, what)
        self.assertLogin(self.local.name, self.local_key, what + " (local user)")

    def pam_service(self, account_lines):
        self.ns.write_pam("sshd", "\n".join([
            "auth     required pam_deny.so",
        ] + account_lines + [
            "session  required pam_permit.so",
            "password required pam_deny.so",
        ]) + "\n")

    def scim_account_line(self):
        return "account  required %s cache=%s shadow=%s uid_min=%d uid_max=%d" % (
            self.mod, self.scimd.cache_path, self.scimd.shadow_path, h.TEST_UID_MIN,
            h.TEST_UID_MAX)

    def wait_refused(self, t_patch, what):
        attempts = 0
        while True:
            attempts += 1
            p = self.ssh(self.login, self.scim_key)
            if p.returncode != 0 and "login-ok" not in p.stdout:
                elapsed = time.monotonic() - t_patch
                print("\n# %s: PATCH active=false 2xx -> first refused login: %.3f s "
                      "(%d login attempts)" % (what, elapsed, attempts), flush=True)
                return p
            self.assertTrue(p.ok, "unexpected ssh result: %s %s" % (p.stdout, p.stderr))
            if time.monotonic() - t_patch > REFUSAL_DEADLINE:
                self.fail("%s: still logging in %.0f s after the PATCH" % (what,
                                                                         REFUSAL_DEADLINE))

    # -- set-up 1: AuthorizedKeysFile, PAM gates -------------------------------------
    def test_1_pam_scim_gates_key_logins(self):
        self.pam_service([self.scim_account_line(), "account  required pam_permit.so"])
        self.sshd.start(["UsePAM yes", "AuthorizedKeysFile %s/keys/%%u" % self.dir])
        self.assertBothWork("active")

        t_patch = self.patch_active(False)
        p = self.wait_refused(t_patch, "pam_scim account phase")
        self.assertIn(MSG, p.stderr, "the client should see pam_scim's message:\n" + p.stderr)
        self.assertLogin(self.local.name, self.local_key, "local user while sshbob is "
                         "deactivated")
        self.assertIn("Access denied for user %s by PAM account configuration" % self.login,
                      self.sshd.log_text())

        self.patch_active(True)
        h.wait_until(lambda: self.ssh(self.login, self.scim_key).ok, REFUSAL_DEADLINE,
                     what="sshbob logging in again after reactivation")
        self.assertBothWork("reactivated")

    def test_2_pam_unix_alone_refuses_deactivated(self):
        # Defence in depth: pam_scim left out of the stack.
        self.pam_service(["account  required pam_unix.so"])
        self.sshd.start(["UsePAM yes", "AuthorizedKeysFile %s/keys/%%u" % self.dir])
        self.assertBothWork("active, pam_unix only")
        self.set_active(False)
        p = self.assertRefused(self.login, self.scim_key, "deactivated, pam_unix only")
        self.assertNotIn(MSG, p.stderr)
        self.assertIn("expired", p.stderr.lower())
        self.assertLogin(self.local.name, self.local_key, "local user, pam_unix only")

    def test_3_usepam_no_refuses_deactivated(self):
        self.sshd.start(["UsePAM no", "AuthorizedKeysFile %s/keys/%%u" % self.dir])
        self.assertBothWork("active, UsePAM no")
        self.set_active(False)
        self.assertRefused(self.login, self.scim_key, "deactivated, UsePAM no")
        log = self.sshd.log_text()
        self.assertTrue("account is locked" in log or "expired" in log,
                        "sshd should say why:\n" + log)
        self.assertLogin(self.local.name, self.local_key, "local user, UsePAM no")

    # -- set-up 2: AuthorizedKeysCommand ----------------------------------------------
    def helper_for_sshd(self):
        """A root-owned wrapper in a safe directory: sshd runs the command with a minimal
        environment, and scim-authorized-keys asks the host's NSS (files scim) who the name
        is, so the wrapper hands it the build's libnss_scim.so.2 and the instance's cache."""
        cls = type(self)
        if cls.safe_dir is None:
            cls.safe_dir = tempfile.mkdtemp(prefix="scim-sshd-bin-", dir="/run")
            os.chmod(cls.safe_dir, 0o755)
        copy = os.path.join(cls.safe_dir, "scim-authorized-keys")
        shutil.copy2(os.path.join(h.build_root(), "authorized_keys", "scim-authorized-keys"),
                     copy)
        os.chmod(copy, 0o755)
        wrapper = os.path.join(cls.safe_dir, "scim-authorized-keys-ns")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexport LD_LIBRARY_PATH='%s' SCIM_NSS_CACHE='%s'\n"
                    "exec '%s' \"$@\"\n" % (scimns.nss_libdir(), self.scimd.cache_path, copy))
        os.chmod(wrapper, 0o755)
        return wrapper

    def authorized_keys_as_nobody(self, helper, *extra):
        p = self.ns.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                         helper, self.login] + list(extra), timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_4_authorized_keys_command(self):
        helper = self.helper_for_sshd()
        with open(self.scim_key + ".pub") as f:
            pub = f.read().strip()
        # Only the keys gate here: the PAM account phase lets everyone through.
        self.pam_service(["account  required pam_permit.so"])
        self.sshd.start(["UsePAM yes", "AuthorizedKeysFile none",
                         "AuthorizedKeysCommand %s %%u %%U" % helper,
                         "AuthorizedKeysCommandUser nobody"])
        self.assertEqual(self.authorized_keys_as_nobody(helper).strip(), pub)
        uid = self.ns.run(["id", "-u", self.login]).stdout.strip()
        self.assertEqual(self.authorized_keys_as_nobody(helper, uid).strip(), pub)
        self.assertLogin(self.login, self.scim_key, "keys served by scim-authorized-keys")

        self.set_active(False)
        self.assertEqual(self.authorized_keys_as_nobody(helper), "")
        p = self.assertRefused(self.login, self.scim_key, "keys withheld")
        self.assertIn("Permission denied (publickey)", p.stderr)

        self.set_active(True)
        self.assertLogin(self.login, self.scim_key, "keys served again")

    # -- password logins: pam_scim's auth phase --------------------------------------
    PASSWORD = "Ssh-Scim-Password-7"

    def ssh_password(self, password):
        askpass = os.path.join(self.dir, "client", "askpass")
        if not os.path.exists(askpass):
            with open(askpass, "w") as f:
                f.write('#!/bin/sh\nprintf \'%s\\n\' "$SCIM_TEST_PASSWORD"\n')
            os.chmod(askpass, 0o700)
        env = dict(os.environ, SSH_ASKPASS=askpass, SSH_ASKPASS_REQUIRE="force",
                   SCIM_TEST_PASSWORD=password, DISPLAY=":0")
        argv = ["ssh", "-F", "/dev/null", "-p", str(self.port),
                "-o", "PubkeyAuthentication=no", "-o", "PasswordAuthentication=no",
                "-o", "PreferredAuthentications=keyboard-interactive",
                "-o", "NumberOfPasswordPrompts=1",
                "-o", "UserKnownHostsFile=" + self.known_hosts,
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
                "-o", "ConnectTimeout=5",
                "%s@127.0.0.1" % self.login, "echo login-ok; id -u"]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL, env=env)
        p.ok = p.returncode == 0 and p.stdout.split() == ["login-ok", str(self.uid)]
        return p

    def test_5_synced_password_login(self):
        """keyboard-interactive checked against the hash the IdP's password became; a
        deactivated user never gets in, even with the right password."""
        r = self.api.patch_ops("/Users/" + self.user["id"],
                               [{"op": "replace", "path": "password",
                                 "value": self.PASSWORD}])
        self.assertIn(r.status, (200, 204), r.describe())
        h.wait_until(lambda: (self.getent("shadow", self.login)[1].split(":") + ["", ""])[1]
                     .startswith("$y$"), 10, what="the password hash in shadow.cache")
        line = self.scim_account_line()
        self.ns.write_pam("sshd", "\n".join([
            line.replace("account  required", "auth     sufficient"),
            "auth     required pam_deny.so",
            line,
            "account  required pam_permit.so",
            "session  required pam_permit.so",
            "password required pam_deny.so",
        ]) + "\n")
        self.sshd.start(["UsePAM yes", "KbdInteractiveAuthentication yes",
                         "AuthenticationMethods keyboard-interactive",
                         "AuthorizedKeysFile none"])
        p = self.ssh_password(self.PASSWORD)
        self.assertTrue(p.ok, "right password refused:\n%s%s\nsshd log:\n%s"
                        % (p.stdout, p.stderr, self.sshd.log_text()))
        p = self.ssh_password(self.PASSWORD + "x")
        self.assertNotEqual(p.returncode, 0, "wrong password accepted: " + p.stdout)
        self.assertNotIn("login-ok", p.stdout)

        self.set_active(False)
        mark = self.sshd.log_size()
        p = self.ssh_password(self.PASSWORD)
        self.assertNotEqual(p.returncode, 0, "deactivated user got in: " + p.stdout)
        self.assertNotIn("login-ok", p.stdout)
        # Refused by the auth phase already, not only by the account phase.
        log = self.sshd.log_since(mark)
        self.assertIn("Failed keyboard-interactive/pam for %s" % self.login, log)
        self.assertNotIn("Accepted keyboard-interactive", log)
        self.set_active(True)
        self.assertTrue(self.ssh_password(self.PASSWORD).ok, "reactivated user refused")

    # -- set-up 3: Debian's stock stacks, as pam-auth-update builds them -------------
    def debian_common_stacks(self):
        """The common-* files the real pam-auth-update writes from the host's stock
        profiles plus our packaging/pam-configs/scim, built on copies of its inputs in a
        private mount namespace (the host's /etc/pam.d is never written)."""
        out = os.path.join(self.dir, "debian-pam")
        os.makedirs(out, exist_ok=True)
        profile = os.path.join(HERE, "..", "..", "..", "packaging", "pam-configs", "scim")
        script = "\n".join([
            "set -e",
            'T=$(mktemp -d); trap \'rm -rf "$T"\' EXIT',
            "for d in /etc/pam.d /var/lib/pam /usr/share/pam-configs /var/cache/debconf; do",
            '  mkdir -p "$T$d"; if [ -d "$d" ]; then cp -a "$d/." "$T$d/"; fi',
            '  mkdir -p "$d"; mount --bind "$T$d" "$d"',
            "done",
            'install -m 0644 "$1" /usr/share/pam-configs/scim',
            "pam-auth-update --force --package >/dev/null 2>&1",
            'cp /etc/pam.d/common-* "$2/"',
        ])
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c",
                            script, "stack", profile, out], capture_output=True, text=True,
                           timeout=60, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        self.assertEqual(p.returncode, 0, "pam-auth-update failed:\n" + p.stderr)
        stacks = {}
        for name in os.listdir(out):
            if name.startswith("common-") and not name.endswith(".pam-old"):
                with open(os.path.join(out, name)) as f:
                    stacks[name] = f.read()
        return stacks

    def install_debian_stacks(self, ns):
        """common-* into NS's /etc/pam.d with pam_scim pointed at this test's caches (the
        control flags and line order are pam-auth-update's), and Debian's login service."""
        stacks = self.debian_common_stacks()
        account = stacks["common-account"]
        self.assertRegex(account, r"(?m)^account\s.*pam_scim\.so",
                         "pam-auth-update left pam_scim out of common-account:\n" + account)
        opts = self.scim_account_line().split(None, 2)[2]
        for name, text in stacks.items():
            ns.write_pam(name, text.replace("pam_scim.so", opts))
        # The account phase of Debian's login service is common-account alone; the host's
        # own file is used when it has one.
        login = "/etc/pam.d/login"
        if os.path.exists(login):
            with open(login) as f:
                ns.write_pam("login", f.read())
        else:
            ns.write_pam("login", "@include common-auth\n@include common-account\n"
                         "@include common-session\n@include common-password\n")
        return account

    def test_6_debian_stock_stack_says_why(self):
        """With common-account as pam-auth-update builds it, a deactivated user is refused
        by pam_scim, with its message and log line, not by pam_unix's "Your account has
        expired"; local and active SCIM users still log in."""
        if not shutil.which("pam-auth-update") or not shutil.which("pamtester"):
            self.skipTest("pam-auth-update (libpam-runtime) or pamtester not installed")
        account = self.install_debian_stacks(self.ns)
        self.ns.write_pam("sshd", "auth     required pam_deny.so\n@include common-account\n"
                          "session  required pam_permit.so\npassword required pam_deny.so\n")
        self.sshd.start(["UsePAM yes", "AuthorizedKeysFile %s/keys/%%u" % self.dir])
        self.assertBothWork("active, Debian common-account")

        logns = scimns.Namespace(self.scimd.cache_path, self.scimd.shadow_path,
                                 local_users=[self.local], syslog=True,
                                 workdir=tempfile.mkdtemp(prefix="scim-ns-log-"))
        try:
            self.install_debian_stacks(logns)
            for user in (self.login, self.local.name):
                p = logns.run(["pamtester", "login", user, "acct_mgmt"])
                self.assertEqual(p.returncode, 0, "login acct_mgmt of active %s:\n%s%s"
                                 % (user, p.stdout, p.stderr))

            self.set_active(False)
            p = self.assertRefused(self.login, self.scim_key, "deactivated, Debian stack")
            self.assertIn(MSG, p.stderr, "sshd: pam_scim's message should reach the client "
                          "(common-account:\n%s):\n%s" % (account, p.stderr))
            self.assertNotIn(UNIX_EXPIRED, p.stderr, "pam_unix answered first")
            self.assertLogin(self.local.name, self.local_key, "local user, Debian stack")

            logns.read_log()
            p = logns.run(["pamtester", "login", self.login, "acct_mgmt"])
            self.assertNotEqual(p.returncode, 0, "login acct_mgmt let a deactivated user in")
            self.assertIn(MSG, p.stdout + p.stderr, "login: pam_scim's message:\n%s%s"
                          % (p.stdout, p.stderr))
            self.assertNotIn(UNIX_EXPIRED, p.stdout + p.stderr, "pam_unix answered first")
            log = "".join(logns.read_log())
            self.assertIn("denied %s (uid %d): account deactivated by the identity provider"
                          % (self.login, self.uid), log)
            p = logns.run(["pamtester", "login", self.local.name, "acct_mgmt"])
            self.assertEqual(p.returncode, 0, "login acct_mgmt of the local user:\n%s%s"
                             % (p.stdout, p.stderr))
        finally:
            logns.cleanup()

    # -- movers: a renamed user keeps the home (issue 17) ----------------------------
    def test_7_renamed_user_finds_their_files(self):
        """A user with a home and a file in it is renamed by the IdP (Entra's PATCH): the
        new name logs in through sshd (keys from scim-authorized-keys, pam_scim's account
        phase) to the same home and reads the file written before the rename; the old
        name no longer gets in."""
        key = os.path.join(self.dir, "client", "id_mover")
        pub = keygen(key, "sshmover@test")
        user = self.api.create_user("sshmover@example.com", schemas=[h.URN_USER, URN_LINUX],
                                    **{URN_LINUX: {"sshPublicKeys": [{"value": pub}]}})
        uid = user[URN_LINUX]["uidNumber"]
        h.wait_until(lambda: self.getent("passwd", "sshmover")[0] == 0, 10,
                     what="sshmover in the exported cache")
        home = self.getent("passwd", "sshmover")[1].split(":")[5]
        self.assertEqual(home, os.path.join(self.dir, "home", "sshmover"))
        os.makedirs(home)
        with open(os.path.join(home, "file"), "w") as f:
            f.write("written before the rename\n")
        for path in (home, os.path.join(home, "file")):
            os.chown(path, uid, uid)
        try:
            r = self.api.patch_ops("/Users/" + user["id"], [
                {"op": "Replace", "path": "userName", "value": "sshmoved@example.com"}])
            self.assertIn(r.status, (200, 204), r.describe())
            h.wait_until(lambda: self.getent("passwd", "sshmoved")[0] == 0, 10,
                         what="sshmoved in the exported cache")
            pw = self.getent("passwd", "sshmoved")[1].split(":")
            self.assertEqual((int(pw[2]), pw[5]), (uid, home))

            helper = self.helper_for_sshd()
            self.pam_service([self.scim_account_line(), "account  required pam_permit.so"])
            self.sshd.start(["UsePAM yes", "AuthorizedKeysFile none",
                             "AuthorizedKeysCommand %s %%u %%U" % helper,
                             "AuthorizedKeysCommandUser nobody"])
            p = self.ssh("sshmoved", key, "cat ~/file; pwd; id -u")
            self.assertEqual((p.returncode, p.stdout),
                             (0, "written before the rename\n%s\n%d\n" % (home, uid)),
                             "%s\nsshd log:\n%s" % (p.stderr, self.sshd.log_text()))
            p = self.ssh("sshmover", key, "cat ~/file")
            self.assertNotEqual(p.returncode, 0, "the old name logged in: " + p.stdout)
        finally:
            self.assertIn(self.api.delete("/Users/" + user["id"]).status, (204, 200))


def require_environment():
    """Not root: skip (meson's exit code 77); root but a tool missing: fail, saying which."""
    if os.geteuid() != 0:
        print("skipping: needs root (unshare -m, bind mounts, root-owned caches)")
        sys.exit(77)
    missing = [t for t in ("unshare", "ssh", "ssh-keygen", "setpriv", "getent")
               if not shutil.which(t)]
    if not os.access(SSHD, os.X_OK):
        missing.append(SSHD + " (openssh-server)")
    if missing:
        sys.exit("missing %s: run scripts/deps.sh" % ", ".join(missing))


if __name__ == "__main__":
    require_environment()
    prog = unittest.main(verbosity=2, exit=False)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
