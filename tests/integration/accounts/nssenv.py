# SPDX-License-Identifier: MIT
"""glibc NSS against a running scimd's exported cache (Python 3 stdlib only).

Two ways in:
- `getent(inst, *args)` runs `getent -s scim ...` with LD_LIBRARY_PATH pointing at the built
  libnss_scim.so.2 and SCIM_NSS_CACHE/SCIM_SHADOW_CACHE at the instance's cache files: the
  module alone, no nsswitch.conf involved.
- `in_namespace(inst, script)` runs a shell snippet inside `unshare -m` with a bind-mounted
  nsswitch.conf naming scim after files (passwd, group, shadow) and a tmpfs over /run/nscd,
  so id(1), initgroups and the files+scim merge behave as on a configured host. The host's
  own /etc/nsswitch.conf is never touched.

Used by tests/integration/accounts and tests/integration/groups.
"""

import os
import subprocess
import time

import scimharness as h
import staging

NSSWITCH = "passwd: files scim\ngroup: files scim\nshadow: files scim\n"
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def build_libdir():
    return os.path.join(h.build_root(), "nss_scim")


def module_path():
    return os.path.join(build_libdir(), "libnss_scim.so.2")


_staged = None


def libdir():
    """The module staged outside the checkout: some lookups run as nobody."""
    global _staged
    if _staged is None:
        _staged = staging.nss_libdir(build_libdir())
    return _staged


def have_module():
    return os.path.exists(module_path())


def env_for(inst):
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = libdir()
    env["SCIM_NSS_CACHE"] = inst.cache_path
    env["SCIM_SHADOW_CACHE"] = inst.shadow_path
    return env


def getent(inst, *args, prefix=(), timeout=60):
    """(returncode, stdout) of `getent -s scim ARGS`; a signal death is an error."""
    p = subprocess.run(list(prefix) + ["getent", "-s", "scim"] + list(args), env=env_for(inst),
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode < 0:
        raise AssertionError("getent -s scim %s killed by signal %d; stderr: %s"
                             % (" ".join(args), -p.returncode, p.stderr))
    return p.returncode, p.stdout


def wait_getent(inst, args, predicate, what, timeout=10.0):
    """Poll getent until predicate(rc, out) holds (the export is debounced); returns the
    last (rc, out) or raises AssertionError naming what was awaited and what was seen."""
    deadline = time.monotonic() + timeout
    while True:
        rc, out = getent(inst, *args)
        if predicate(rc, out):
            return rc, out
        if time.monotonic() >= deadline:
            raise AssertionError("after %.1f s, getent -s scim %s still gives rc %d, %r; "
                                 "waited for %s" % (timeout, " ".join(args), rc, out[:600],
                                                    what))
        time.sleep(0.05)


def in_namespace(inst, script, timeout=60):
    """Run `sh -c script` in a private mount namespace with nsswitch.conf naming scim.
    Returns the CompletedProcess (text)."""
    conf = os.path.join(inst.tmpdir, "nsswitch.conf")
    with open(conf, "w") as f:
        f.write(NSSWITCH)
    setup = ("set -e; mount --make-rprivate /; mount --bind %s /etc/nsswitch.conf; "
             "if [ -d /run/nscd ]; then mount -t tmpfs tmpfs /run/nscd; fi; set +e; "
             % conf)
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                           setup + script], env=env_for(inst), capture_output=True, text=True,
                          timeout=timeout)


def passwd_fields(line):
    """name, passwd, uid, gid, gecos, home, shell of one passwd line (7 fields)."""
    parts = line.rstrip("\n").split(":")
    if len(parts) != 7:
        raise AssertionError("passwd line has %d fields, not 7: %r" % (len(parts), line))
    return parts


def group_fields(line):
    """(name, gid, [members]) of one group line."""
    parts = line.rstrip("\n").split(":")
    if len(parts) != 4:
        raise AssertionError("group line has %d fields, not 4: %r" % (len(parts), line[:300]))
    return parts[0], int(parts[2]), [m for m in parts[3].split(",") if m]


def shadow_fields(line):
    parts = line.rstrip("\n").split(":")
    if len(parts) != 9:
        raise AssertionError("shadow line has %d fields, not 9: %r" % (len(parts), line))
    return parts


_TIME_GETGRNAM = r"""
import ctypes, sys, time
libc = ctypes.CDLL("libc.so.6")
getattr(libc, "__nss_configure_lookup")(b"group", b"scim")
class Group(ctypes.Structure):
    _fields_ = [("gr_name", ctypes.c_char_p), ("gr_passwd", ctypes.c_char_p),
                ("gr_gid", ctypes.c_uint32), ("gr_mem", ctypes.POINTER(ctypes.c_char_p))]
name, n = sys.argv[1].encode(), int(sys.argv[2])
buf = ctypes.create_string_buffer(4 << 20)
gr, res = Group(), ctypes.POINTER(Group)()
best = None
for _ in range(n):
    t = time.perf_counter()
    rc = libc.getgrnam_r(name, ctypes.byref(gr), buf, len(buf), ctypes.byref(res))
    dt = time.perf_counter() - t
    if rc != 0 or not res:
        print("error rc=%d found=%s" % (rc, bool(res)))
        sys.exit(1)
    best = dt if best is None else min(best, dt)
count = 0
while gr.gr_mem[count]:
    count += 1
print("%d %.6f" % (count, best))
"""


def time_getgrnam(inst, name, n=50):
    """(member count, best seconds) of getgrnam_r(NAME) through glibc (service scim only,
    a 4 MiB buffer) in a fresh process, best of n calls."""
    import sys
    p = subprocess.run([sys.executable, "-c", _TIME_GETGRNAM, name, str(n)], env=env_for(inst),
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("getgrnam_r(%s) timing helper failed: %s %s"
                             % (name, p.stdout, p.stderr))
    count, best = p.stdout.split()
    return int(count), float(best)
