# SPDX-License-Identifier: MIT
"""Private mount namespaces for the PAM and sshd integration tests (Python 3 stdlib).

A Namespace is a recipe run by `unshare -m` before the program under test: our own
nsswitch.conf (`files scim`), our own /etc/pam.d directory, a tmpfs over /run/nscd when it
exists (so glibc asks the modules, not nscd), optionally /etc/passwd, /etc/shadow and
/etc/group copies with extra local users, and optionally a tmpfs /dev whose /dev/log is a
socket of ours (to read what PAM modules log). The host's files are never touched: all of
it disappears with the namespace.

libnss_scim.so.2 comes from the build directory through LD_LIBRARY_PATH (glibc loads NSS
modules by soname from the library path; fine for the non-setuid programs used here), and
the cache paths through SCIM_NSS_CACHE / SCIM_SHADOW_CACHE.
"""

import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import staging  # noqa: E402


def build_root():
    return os.environ["SCIMD_BUILD_ROOT"]


_staged_nss = None


def nss_libdir():
    """The build's libnss_scim.so.2, staged outside the checkout (sshd's
    AuthorizedKeysCommand and other unprivileged processes load it)."""
    global _staged_nss
    path = os.path.join(build_root(), "nss_scim")
    if not os.path.exists(os.path.join(path, "libnss_scim.so.2")):
        raise RuntimeError("libnss_scim.so.2 not built in %s" % path)
    if _staged_nss is None:
        _staged_nss = staging.nss_libdir(path)
    return _staged_nss


def pam_module():
    path = os.path.join(build_root(), "pam_scim", "pam_scim.so")
    if not os.path.exists(path):
        raise RuntimeError("pam_scim.so not built: %s" % path)
    return path


def free_local_id(start=4200):
    """An id no local user or group has (for a namespace-only local user)."""
    used = set()
    for path in ("/etc/passwd", "/etc/group"):
        with open(path) as f:
            for line in f:
                parts = line.split(":")
                if len(parts) > 2 and parts[2].isdigit():
                    used.add(int(parts[2]))
    uid = start
    while uid in used:
        uid += 1
    return uid


class LocalUser:
    def __init__(self, name, uid, home, shell="/bin/sh"):
        self.name, self.uid, self.home, self.shell = name, uid, home, shell


class Namespace:
    def __init__(self, nss_cache, shadow_cache, local_users=(), syslog=False, workdir=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="scim-ns-")
        os.chmod(self.dir, 0o755)
        self.nss_cache = nss_cache
        self.shadow_cache = shadow_cache
        self.local_users = list(local_users)
        self.pam_dir = os.path.join(self.dir, "pam.d")
        os.makedirs(self.pam_dir, exist_ok=True)
        self.write_pam("other", "auth required pam_deny.so\naccount required pam_deny.so\n"
                       "password required pam_deny.so\nsession required pam_deny.so\n")
        self.log_sock = None
        self._write_files(syslog)

    # -- files -------------------------------------------------------------------------
    def write_pam(self, service, text):
        path = os.path.join(self.pam_dir, service)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    def _write(self, name, text, mode=0o644):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def _copy_with(self, src, name, extra, mode):
        with open(src) as f:
            text = f.read()
        if text and not text.endswith("\n"):
            text += "\n"
        return self._write(name, text + "".join(extra), mode)

    def _write_files(self, syslog):
        self._write("nsswitch.conf", "passwd: files scim\ngroup: files scim\n"
                    "shadow: files scim\nhosts: files\n")
        lines = ["#!/bin/sh", "set -e", 'W="%s"' % self.dir,
                 'mount --bind "$W/nsswitch.conf" /etc/nsswitch.conf',
                 'mount --bind "$W/pam.d" /etc/pam.d',
                 "if [ -d /run/nscd ]; then mount -t tmpfs tmpfs /run/nscd; fi"]
        if self.local_users:
            self._copy_with("/etc/passwd", "passwd", ["%s:x:%d:%d:local test user:%s:%s\n"
                            % (u.name, u.uid, u.uid, u.home, u.shell)
                            for u in self.local_users], 0o644)
            self._copy_with("/etc/group", "group", ["%s:x:%d:\n" % (u.name, u.uid)
                                                    for u in self.local_users], 0o644)
            self._copy_with("/etc/shadow", "shadow", ["%s:*:19000:0:99999:7:::\n" % u.name
                                                      for u in self.local_users], 0o640)
            for name in ("passwd", "group", "shadow"):
                lines.append('mount --bind "$W/%s" /etc/%s' % (name, name))
        if syslog:
            self.log_path = os.path.join(self.dir, "log.sock")
            self.log_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.log_sock.bind(self.log_path)
            self.log_sock.setblocking(False)
            os.makedirs(os.path.join(self.dir, "olddev"), exist_ok=True)
            lines += ['mount --rbind /dev "$W/olddev"',
                      "mount -t tmpfs -o mode=0755 tmpfs /dev",
                      "for n in null zero full random urandom tty; do",
                      '  if [ -e "$W/olddev/$n" ]; then : > /dev/$n; '
                      'mount --bind "$W/olddev/$n" /dev/$n; fi',
                      "done",
                      "ln -s /proc/self/fd /dev/fd",
                      ": > /dev/log",
                      'mount --bind "$W/log.sock" /dev/log']
        lines.append('exec "$@"')
        self.setup = self._write("setup.sh", "\n".join(lines) + "\n", 0o755)

    # -- running -----------------------------------------------------------------------
    def env(self, extra=None):
        e = dict(os.environ)
        e["LD_LIBRARY_PATH"] = nss_libdir()
        e["SCIM_NSS_CACHE"] = self.nss_cache
        e["SCIM_SHADOW_CACHE"] = self.shadow_cache
        e.pop("LANGUAGE", None)
        e["LC_ALL"] = "C"
        if extra:
            e.update(extra)
        return e

    def argv(self, cmd):
        return ["unshare", "-m", "--propagation", "private", "/bin/sh", self.setup] + list(cmd)

    def run(self, cmd, input=None, timeout=30):
        return subprocess.run(self.argv(cmd), input=input, capture_output=True, text=True,
                              env=self.env(), timeout=timeout)

    def popen(self, cmd, **kw):
        return subprocess.Popen(self.argv(cmd), env=self.env(), **kw)

    def read_log(self):
        """Every syslog line received since the last call."""
        out = []
        while self.log_sock is not None:
            try:
                out.append(self.log_sock.recv(65536).decode("utf-8", "replace"))
            except BlockingIOError:
                break
        return out

    def cleanup(self):
        if self.log_sock is not None:
            self.log_sock.close()
        subprocess.run(["rm", "-rf", "--one-file-system", self.dir], check=False)
