#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rootless containers (issue 16): with [accounts] subids = true a real scimd gives each SCIM
user a slice of 65,536 subordinate ids, and shadow's own setuid newuidmap/newgidmap (Debian's
uidmap package) grant it through libsubid_scim.so with `subid: scim` in nsswitch.conf.

Everything runs inside `unshare -m`: nsswitch.conf (passwd, group: files scim; subid: scim)
is bind-mounted over /etc's, an ld.so.cache built by `ldconfig -C` that also lists a staged
directory holding libnss_scim.so.2 and libsubid_scim.so is bind-mounted over
/etc/ld.so.cache (a setuid program ignores LD_LIBRARY_PATH and SCIM_NSS_CACHE), and a tmpfs
over /var/lib holds a copy of the exported cache at the compiled-in path. The host's /etc is
never touched. The user's process enters a new user namespace (unshare -U) and the user runs
`newuidmap PID 0 UID 1 1 START 65536`: allowed for its own slice, refused one id outside it,
for another user's slice, once the user is deactivated, and with `subid: files`.
Needs root and newuidmap (package uidmap); skipped otherwise. Rootless podman is not
installed on the test hosts and is not exercised here.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, HERE)

import nssenv  # noqa: E402
import scimharness as h  # noqa: E402
import staging  # noqa: E402
from scimtest import ScimTestCase, main, unique  # noqa: E402

SLICE = 65536
# Clear of the harness's uid/gid ranges (700000000-700199999) and of useradd's default
# SUB_UID/SUB_GID pool (100000-600100000) that scimd checks against.
SUB_MIN = 800000000
SUB_MAX = SUB_MIN + 4 * SLICE - 1
NEWUIDMAP = shutil.which("newuidmap")
NEWGIDMAP = shutil.which("newgidmap")
GETSUBIDS = shutil.which("getsubids")
LIBDIRS = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
           "/lib", "/usr/lib"]

# In the namespace: wait for $TARGET to be in a user namespace of its own, then try a mapping.
MAP = r"""
U=%(uid)d
setpriv --reuid=$U --regid=$U --clear-groups unshare -U sleep 20 &
TARGET=$!
i=0
while [ "$(readlink /proc/$TARGET/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do
    i=$((i+1)); [ $i -gt 200 ] && { echo "no user namespace"; exit 9; }; sleep 0.02
done
setpriv --reuid=$U --regid=$U --clear-groups %(tool)s $TARGET 0 $U 1 1 %(start)d %(count)d
rc=$?
cat /proc/$TARGET/%(map)s
kill $TARGET
exit $rc
"""


def module(name, sub):
    return os.path.join(h.build_root(), sub, name)


@unittest.skipIf(os.geteuid() != 0, "needs root (unshare -m, bind mounts, setpriv)")
@unittest.skipIf(NEWUIDMAP is None or NEWGIDMAP is None,
                 "newuidmap/newgidmap not installed (Debian: apt install uidmap)")
class SubidsTest(ScimTestCase):
    instance_kwargs = {"extra": {"accounts": {"subids": "true", "subid_min": SUB_MIN,
                                              "subid_max": SUB_MAX}}}

    @classmethod
    def setUpClass(cls):
        for path in (module("libnss_scim.so.2", "nss_scim"),
                     module("libsubid_scim.so", "subid_scim")):
            if not os.path.exists(path):
                raise unittest.SkipTest("%s not built" % path)
        super().setUpClass()
        # Outside the checkout (the setuid tool runs as the user until it is root) and in
        # front of the system's directories in a private ld.so.cache.
        cls.libdir = os.path.dirname(staging.stage(module("libnss_scim.so.2", "nss_scim"),
                                                   "subid"))
        staging.stage(module("libsubid_scim.so", "subid_scim"), "subid")
        cls.ns_dir = tempfile.mkdtemp(prefix="scimd-subid-ns-")
        os.chmod(cls.ns_dir, 0o755)
        conf = os.path.join(cls.ns_dir, "ld.so.conf")
        with open(conf, "w") as f:
            f.write("\n".join([cls.libdir] + [d for d in LIBDIRS if os.path.isdir(d)]) + "\n")
        cls.ld_cache = os.path.join(cls.ns_dir, "ld.so.cache")
        subprocess.run(["ldconfig", "-C", cls.ld_cache, "-f", conf], check=True,
                       capture_output=True)
        cls.users = {}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ns_dir, ignore_errors=True)
        super().tearDownClass()

    def user(self, key):
        """(login, uid, SCIM id) of a user made once per class."""
        if key not in self.users:
            name = unique("sub" + key)
            doc = self.api.create_user(name)
            login = name.split("@")[0].lower()
            rc, out = nssenv.wait_getent(self.scimd, ["passwd", login],
                                         lambda rc, out: rc == 0, "%s in the cache" % login)
            self.users[key] = (login, int(nssenv.passwd_fields(out)[2]), doc["id"])
        return self.users[key]

    def ns(self, script, subid="scim"):
        """Runs script in the private mount namespace described above."""
        nsswitch = os.path.join(self.ns_dir, "nsswitch.conf")
        with open(nsswitch, "w") as f:
            f.write("passwd: files scim\ngroup: files scim\nsubid: %s\n" % subid)
        setup = ("set -e; mount --make-rprivate /; mount --bind %s /etc/nsswitch.conf; "
                 "mount --bind %s /etc/ld.so.cache; mount -t tmpfs -o mode=0755 tmpfs /var/lib; "
                 "mkdir -m 0755 /var/lib/scimd; cp %s /var/lib/scimd/nss.cache; "
                 "if [ -d /run/nscd ]; then mount -t tmpfs tmpfs /run/nscd; fi; set +e; "
                 % (nsswitch, self.ld_cache, self.scimd.cache_path))
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_LIBRARY_PATH", "SCIM_NSS_CACHE", "SCIM_SHADOW_CACHE")}
        return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                               setup + script], capture_output=True, text=True, timeout=60,
                              env=env)

    def try_map(self, uid, start, count=SLICE, tool=None, subid="scim"):
        tool = tool or NEWUIDMAP
        mapfile = "gid_map" if tool == NEWGIDMAP else "uid_map"
        return self.ns(MAP % {"uid": uid, "tool": tool, "start": start, "count": count,
                              "map": mapfile}, subid=subid)

    def slice_of(self, login):
        """START of LOGIN's slice in `scimctl cache dump`, or None."""
        out = self.scimd.scimctl("cache", "dump", self.scimd.cache_path).stdout
        for line in out.splitlines():
            if line.strip().startswith(login + ":"):
                for word in line.split():
                    if word.startswith("subids="):
                        start, count = word[len("subids="):].split("+")
                        self.assertEqual(int(count), SLICE)
                        return int(start)
                return None
        self.fail("%s not in the cache dump:\n%s" % (login, out))

    def test_1_slices_in_order(self):
        a, b = self.user("a"), self.user("b")
        self.assertEqual(self.slice_of(a[0]), SUB_MIN)
        self.assertEqual(self.slice_of(b[0]), SUB_MIN + SLICE)

    def test_2_newuidmap_own_slice(self):
        login, uid, _ = self.user("a")
        p = self.try_map(uid, SUB_MIN)
        self.assertEqual(p.returncode, 0, "newuidmap refused %s's slice: %s%s"
                         % (login, p.stdout, p.stderr))
        lines = [l.split() for l in p.stdout.splitlines() if l.strip()]
        self.assertIn(["0", str(uid), "1"], lines)
        self.assertIn(["1", str(SUB_MIN), str(SLICE)], lines)
        p = self.try_map(uid, SUB_MIN, tool=NEWGIDMAP)
        self.assertEqual(p.returncode, 0, "newgidmap: %s%s" % (p.stdout, p.stderr))
        self.assertIn(["1", str(SUB_MIN), str(SLICE)],
                      [l.split() for l in p.stdout.splitlines()])
        # Part of the slice is fine too.
        p = self.try_map(uid, SUB_MIN + 1000, 1000)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_3_newuidmap_outside_refused(self):
        login, uid, _ = self.user("a")
        for start, count, what in ((SUB_MIN - 1, SLICE, "one id below"),
                                   (SUB_MIN + 1, SLICE, "one id past the end"),
                                   (SUB_MIN + SLICE, SLICE, "the next user's slice"),
                                   (100000, SLICE, "useradd's pool")):
            p = self.try_map(uid, start, count)
            self.assertNotEqual(p.returncode, 0, "newuidmap allowed %s (%d+%d) for %s"
                                % (what, start, count, login))
            self.assertIn("not allowed", p.stderr)
        # The other user cannot map this one's slice.
        _, uid_b, _ = self.user("b")
        p = self.try_map(uid_b, SUB_MIN)
        self.assertNotEqual(p.returncode, 0)

    def test_4_only_through_the_plugin(self):
        # With `subid: files` shadow reads the (empty) /etc/subuid: the same request fails,
        # so the grant above came from libsubid_scim.so.
        _, uid, _ = self.user("a")
        p = self.try_map(uid, SUB_MIN, subid="files")
        self.assertNotEqual(p.returncode, 0, p.stdout)

    @unittest.skipIf(GETSUBIDS is None, "getsubids not installed")
    def test_5_getsubids(self):
        login, uid, _ = self.user("b")
        p = self.ns("%s %s; %s -g %s" % (GETSUBIDS, login, GETSUBIDS, login))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(),
                         ["0:", login, str(SUB_MIN + SLICE), str(SLICE)] * 2)

    def test_6_deactivated_and_deleted(self):
        login, uid, sid = self.user("c")
        start = self.slice_of(login)
        self.assertEqual(start, SUB_MIN + 2 * SLICE)
        r = self.api.patch_ops("/Users/" + sid, [{"op": "replace", "path": "active",
                                                  "value": False}])
        self.assertStatus(r, 200)
        deadline = time.monotonic() + 10
        while True:
            p = self.try_map(uid, start)
            if p.returncode != 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertNotEqual(p.returncode, 0, "a deactivated user still maps its slice")
        # Deleted: the slice is never handed out again.
        self.assertStatus(self.api.delete("/Users/" + sid), 204)
        d = self.user("d")
        self.assertEqual(self.slice_of(d[0]), SUB_MIN + 3 * SLICE)
        # The range is used up: a fifth user is refused, and nothing is created.
        r = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": unique("sube"),
                                     "active": True})
        self.assertStatus(r, 500)
        self.assertIn("subordinate id range exhausted", r.json.get("detail", ""))


@unittest.skipIf(os.geteuid() != 0, "needs root")
class SubidsConfigTest(unittest.TestCase):
    def check_config(self, accounts):
        inst = h.ScimdInstance(extra={"accounts": accounts})
        try:
            return subprocess.run(inst.command("--check-config"), capture_output=True,
                                  text=True, timeout=60)
        finally:
            inst.cleanup()

    def test_ranges_refused(self):
        for accounts, why in (
                ({"subids": "true", "subid_min": 100000, "subid_max": 165535}, "SUB_UID_MIN"),
                ({"subids": "true", "subid_min": h.TEST_UID_MIN,
                  "subid_max": h.TEST_UID_MIN + SLICE}, "overlaps the uid range"),
                ({"subids": "true", "subid_min": SUB_MIN, "subid_max": SUB_MIN + 10},
                 "holds no slice")):
            p = self.check_config(accounts)
            self.assertEqual(p.returncode, 1, "accepted %r: %s" % (accounts, p.stdout))
            self.assertIn(why, p.stderr)
        p = self.check_config({"subids": "true", "subid_min": SUB_MIN, "subid_max": SUB_MAX})
        self.assertEqual(p.returncode, 0, p.stderr)
        # Off, the range is not looked at.
        p = self.check_config({"subid_min": 100000, "subid_max": 165535})
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    main()
