#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""NSS readers during a 10,000-user import (issue 3): 8 concurrent SCIM clients POST
10,000 users while a separate process calls getpwnam_r/getpwuid_r through glibc (service
"scim" only, via __nss_configure_lookup) on random already-created names, plus now and then
`getent -s scim passwd NAME`. Every answer must be complete and consistent (7 fields, the
asked name, uid in range, gid = uid, home and shell as configured); no lookup may fail with
an error; a name created more than STALE_S seconds ago must resolve. At the end all 10,000
resolve. Prints the import time and the time until the last user resolved.

The reader runs as `test_import_reader.py --reader NAMES STOP` in its own process so that
LD_LIBRARY_PATH and SCIM_NSS_CACHE are in place when glibc loads libnss_scim.so.2.
"""

import ctypes
import json
import os
import random
import subprocess
import sys
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, HERE)

N_USERS = 10000
CLIENTS = 8
STALE_S = 5.0  # the exporter promises <= 1 s under continuous load; 5x margin for 2 cores
UID_MIN, UID_MAX = 700000000, 700099999  # scimharness.TEST_UID_MIN/MAX (not imported here:
                                     # the reader must start fast and import nothing big)


class Passwd(ctypes.Structure):
    _fields_ = [("pw_name", ctypes.c_char_p), ("pw_passwd", ctypes.c_char_p),
                ("pw_uid", ctypes.c_uint32), ("pw_gid", ctypes.c_uint32),
                ("pw_gecos", ctypes.c_char_p), ("pw_dir", ctypes.c_char_p),
                ("pw_shell", ctypes.c_char_p)]


class Reader:
    """Looks names up until STOP exists; returns a summary dict."""

    def __init__(self, names_path, stop_path):
        self.names_path = names_path
        self.stop_path = stop_path
        self.libc = ctypes.CDLL("libc.so.6", use_errno=True)
        configure = getattr(self.libc, "__nss_configure_lookup")  # no name mangling
        for db in (b"passwd", b"group"):
            if configure(db, b"scim") != 0:
                raise SystemExit("__nss_configure_lookup(%s) failed" % db)
        self.buf = ctypes.create_string_buffer(16384)
        self.names = []  # (login, created monotonic time)
        self.offset = 0
        self.partial = b""
        self.s = {"lookups": 0, "found": 0, "notfound_recent": 0, "stale": 0, "errors": 0,
                  "torn": 0, "getent_runs": 0, "first_problem": ""}

    def problem(self, kind, text):
        self.s[kind] += 1
        if not self.s["first_problem"]:
            self.s["first_problem"] = "%s: %s" % (kind, text)

    def read_names(self):
        with open(self.names_path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            login, t = line.decode().split("\t")
            self.names.append((login, float(t)))

    def check_entry(self, pw, login):
        name = pw.pw_name.decode() if pw.pw_name else None
        fields = [name, pw.pw_passwd, pw.pw_uid, pw.pw_gid, pw.pw_gecos, pw.pw_dir,
                  pw.pw_shell]
        if (name != login or pw.pw_passwd != b"x" or not UID_MIN <= pw.pw_uid <= UID_MAX
                or pw.pw_gid != pw.pw_uid or pw.pw_gecos is None
                or pw.pw_dir != ("/home/" + login).encode() or pw.pw_shell != b"/bin/bash"):
            self.problem("torn", "getpwnam_r(%s) gave %r" % (login, fields))
            return None
        return pw.pw_uid

    def lookup(self, login, created):
        pw = Passwd()
        res = ctypes.POINTER(Passwd)()
        rc = self.libc.getpwnam_r(login.encode(), ctypes.byref(pw), self.buf,
                                  len(self.buf), ctypes.byref(res))
        self.s["lookups"] += 1
        if rc != 0:
            self.problem("errors", "getpwnam_r(%s) -> %s" % (login, os.strerror(rc)))
            return
        if not res:
            age = time.monotonic() - created
            if age > STALE_S:
                self.problem("stale", "%s not found %.1f s after its 201" % (login, age))
            else:
                self.s["notfound_recent"] += 1
            return
        uid = self.check_entry(pw, login)
        if uid is None:
            return
        self.s["found"] += 1
        pw2 = Passwd()
        res2 = ctypes.POINTER(Passwd)()
        rc = self.libc.getpwuid_r(uid, ctypes.byref(pw2), self.buf, len(self.buf),
                                  ctypes.byref(res2))
        self.s["lookups"] += 1
        if rc != 0 or not res2:
            # A uid once served never goes away during an import (no deletes here).
            self.problem("errors", "getpwuid_r(%d) after getpwnam_r(%s) -> rc %d, %s"
                         % (uid, login, rc, "found" if res2 else "not found"))
        elif pw2.pw_name.decode() != login:
            self.problem("torn", "getpwuid_r(%d) names %r, getpwnam_r gave %s"
                         % (uid, pw2.pw_name, login))

    def run_getent(self, login, created):
        p = subprocess.run(["getent", "-s", "scim", "passwd", login], capture_output=True,
                           text=True, timeout=30)
        self.s["getent_runs"] += 1
        if p.returncode == 2 and time.monotonic() - created <= STALE_S:
            return
        parts = p.stdout.rstrip("\n").split(":")
        if p.returncode != 0 or len(parts) != 7 or parts[0] != login or \
                not parts[2].isdigit() or not UID_MIN <= int(parts[2]) <= UID_MAX:
            self.problem("torn" if p.returncode == 0 else "errors",
                         "getent -s scim passwd %s -> rc %d %r" % (login, p.returncode,
                                                                   p.stdout))

    def run(self):
        i = 0
        while True:
            if i % 64 == 0:
                if os.path.exists(self.stop_path):
                    break
                self.read_names()
            i += 1
            if not self.names:
                time.sleep(0.005)
                continue
            login, created = random.choice(self.names)
            if i % 500 == 0:
                self.run_getent(login, created)
            else:
                self.lookup(login, created)
        return self.s

    def check_all(self):
        """Every name in the file resolves now, with a distinct uid."""
        self.read_names()
        missing, uids = [], set()
        for login, _ in self.names:
            pw = Passwd()
            res = ctypes.POINTER(Passwd)()
            rc = self.libc.getpwnam_r(login.encode(), ctypes.byref(pw), self.buf,
                                      len(self.buf), ctypes.byref(res))
            if rc != 0 or not res:
                missing.append(login)
                continue
            uid = self.check_entry(pw, login)
            if uid is not None:
                uids.add(uid)
        return {"names": len(self.names), "missing": len(missing), "first_missing":
                missing[:5], "distinct_uids": len(uids), "torn": self.s["torn"],
                "first_problem": self.s["first_problem"]}


def reader_main(argv):
    mode, names, stop = argv[0], argv[1], argv[2] if len(argv) > 2 else ""
    r = Reader(names, stop)
    result = r.run() if mode == "--reader" else r.check_all()
    print(json.dumps(result))
    return 0


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] in ("--reader",
                                                                     "--check-all"):
    sys.exit(reader_main(sys.argv[1:]))

import nssenv  # noqa: E402
import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main  # noqa: E402


class ImportWhileReading(ScimTestCase):

    @classmethod
    def setUpClass(cls):
        if not nssenv.have_module():
            raise unittest.SkipTest("libnss_scim.so.2 not built at %s" % nssenv.module_path())
        super().setUpClass()

    def helper(self, *args, timeout=120):
        p = subprocess.run([sys.executable, os.path.abspath(__file__)] + list(args),
                           env=nssenv.env_for(self.scimd), capture_output=True, text=True,
                           timeout=timeout)
        self.assertEqual(p.returncode, 0, "helper %s failed: %s" % (args, p.stderr))
        return json.loads(p.stdout.strip().splitlines()[-1])

    def test_10000_users_with_a_reader_running(self):
        self.assertEqual((h.TEST_UID_MIN, h.TEST_UID_MAX), (UID_MIN, UID_MAX))
        names_path = os.path.join(self.scimd.tmpdir, "created.txt")
        stop_path = os.path.join(self.scimd.tmpdir, "stop")
        open(names_path, "w").close()
        reader = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--reader",
                                   names_path, stop_path], env=nssenv.env_for(self.scimd),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lock = threading.Lock()
        names_file = open(names_path, "a")
        clients = [self.scimd.client() for _ in range(CLIENTS)]

        def create(i):
            name = "imp%05d@example.com" % i
            resp = clients[i % CLIENTS].post("/Users", {"schemas": [h.URN_USER],
                                                        "userName": name, "active": True})
            if resp.status != 201:
                return resp.describe()
            with lock:
                names_file.write("imp%05d\t%f\n" % (i, time.monotonic()))
                names_file.flush()
            return None

        try:
            t0 = time.monotonic()
            with ThreadPoolExecutor(CLIENTS) as pool:
                failures = [f for f in pool.map(create, range(N_USERS)) if f]
            t_import = time.monotonic() - t0
            self.assertEqual(failures, [], "%d POSTs failed; first:\n%s"
                             % (len(failures), failures[0] if failures else ""))
            last = "imp%05d" % (N_USERS - 1)

            def all_there():
                rc, out = nssenv.getent(self.scimd, "passwd")
                return rc == 0 and len(out.splitlines()) == N_USERS

            h.wait_until(all_there, timeout=30, interval=0.05,
                         what="all %d users in getent -s scim passwd" % N_USERS)
            t_resolved = time.monotonic() - t0
        finally:
            names_file.close()
            open(stop_path, "w").close()
            out, err = reader.communicate(timeout=60)
        summary = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        print("\n# import of %d users by %d clients: %.1f s (%.0f users/s); all resolved "
              "%.1f s after the start (%.2f s after the last 201)"
              % (N_USERS, CLIENTS, t_import, N_USERS / t_import, t_resolved,
                 t_resolved - t_import))
        print("# reader: %s" % json.dumps(summary))
        self.assertEqual(reader.returncode, 0, "reader crashed: %s" % err)
        self.assertEqual(summary["errors"], 0, "NSS errors during the import: %s" % summary)
        self.assertEqual(summary["torn"], 0, "torn or inconsistent entries: %s" % summary)
        self.assertEqual(summary["stale"], 0, "users not resolvable %.0f s after their 201: %s"
                         % (STALE_S, summary))
        self.assertGreater(summary["found"], 1000, "the reader barely ran: %s" % summary)
        self.assertGreater(summary["getent_runs"], 0, summary)

        final = self.helper("--check-all", names_path)
        self.assertEqual(final["names"], N_USERS)
        self.assertEqual(final["missing"], 0, "users that do not resolve: %s" % final)
        self.assertEqual(final["torn"], 0, final)
        self.assertEqual(final["distinct_uids"], N_USERS, "uids are not unique: %s" % final)
        rc, out = nssenv.getent(self.scimd, "passwd", last)
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    main()
