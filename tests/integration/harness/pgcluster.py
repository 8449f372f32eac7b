#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A throw-away PostgreSQL cluster for tests: initdb + pg_ctl in a temp dir, a unix socket
only (no TCP, no systemd), trust authentication.

    with PgCluster() as pg:
        url = pg.create_database("scimd_a")   # postgresql:///scimd_a?host=...&port=...&user=...
        pg.stop("immediate"); pg.start()       # failover-shaped faults, same data dir

    python3 pgcluster.py run -- CMD ARGS...
        runs CMD with SCIMD_TEST_PG_URL (a fresh database owned by the test role) and
        SCIMD_TEST_PG_ADMIN (the superuser on database postgres), then stops the cluster;
        exits with CMD's status.

The server refuses to run as root: as root it runs as the `postgres` system user (or
`nobody`), in a world-traversable temp dir, since the checkout may be under a 0700 /root.
Missing PostgreSQL binaries are an error, never a skip: CI must run these tests.
"""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile

ADMIN_ROLE = "scimd_admin"
TEST_ROLE = "scimd_test"
PORT = 5432  # names the socket file only: the socket dir is private to this cluster


def find_bindir():
    """The newest /usr/lib/postgresql/N/bin holding initdb, or $SCIMD_PG_BINDIR."""
    env = os.environ.get("SCIMD_PG_BINDIR")
    candidates = [env] if env else []
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    candidates += [os.path.dirname(p) for p in reversed(found)]
    for d in candidates:
        if os.access(os.path.join(d, "initdb"), os.X_OK) and \
                os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            return d
    raise RuntimeError("pgcluster: no PostgreSQL server binaries (initdb, pg_ctl) under "
                       "/usr/lib/postgresql/*/bin: install the postgresql package "
                       "(scripts/deps.sh does)")


def server_user():
    """(uid, gid) the server runs as: ourselves unless we are root."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid
        except KeyError:
            pass
    raise RuntimeError("pgcluster: running as root and neither a postgres nor a nobody user "
                       "exists to run the server as")


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


class PgCluster:
    def __init__(self, bindir=None):
        self.bindir = bindir or find_bindir()
        self.uid, self.gid = server_user()
        self.base = tempfile.mkdtemp(prefix="scimd-pg-")
        os.chmod(self.base, 0o755)
        self.data = os.path.join(self.base, "data")
        self.sockdir = os.path.join(self.base, "sock")
        self.log = os.path.join(self.base, "server.log")
        self.port = PORT
        self.running = False
        try:
            os.mkdir(self.sockdir, 0o755)
            os.chown(self.sockdir, self.uid, self.gid)
            os.chown(self.base, self.uid, self.gid)
            self._initdb()
            self.start()
            self._sql("postgres", "CREATE ROLE %s LOGIN" % quote_ident(TEST_ROLE))
        except BaseException:
            self.cleanup()
            raise

    def _run_as_server(self, argv):
        kw = {}
        if os.geteuid() == 0:
            kw = dict(user=self.uid, group=self.gid, extra_groups=[])
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        r = subprocess.run(argv, cwd=self.base, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, **kw)
        if r.returncode != 0:
            tail = ""
            if os.path.exists(self.log):
                with open(self.log, errors="replace") as f:
                    tail = "".join(f.readlines()[-20:])
            raise RuntimeError("pgcluster: %s failed (%d):\n%s%s" %
                               (" ".join(argv), r.returncode, r.stdout, tail))
        return r.stdout

    def _initdb(self):
        self._run_as_server([os.path.join(self.bindir, "initdb"), "-D", self.data,
                             "-U", ADMIN_ROLE, "--auth=trust", "-E", "UTF8",
                             "--locale=C.UTF-8", "--no-sync"])

    def start(self):
        opts = ("-k %s -p %d -c listen_addresses='' -c fsync=on -c shared_buffers=32MB" %
                (self.sockdir, self.port))
        self._run_as_server([os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                             "-l", self.log, "-w", "-t", "60", "-o", opts, "start"])
        self.running = True

    def stop(self, mode="fast"):
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError("pgcluster: stop mode %r" % mode)
        self._run_as_server([os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                             "-m", mode, "-w", "-t", "60", "stop"])
        self.running = False

    def url(self, dbname, user=TEST_ROLE):
        return "postgresql:///%s?host=%s&port=%d&user=%s" % (dbname, self.sockdir,
                                                              self.port, user)

    def admin_url(self):
        return self.url("postgres", ADMIN_ROLE)

    def _sql(self, dbname, sql):
        psql = os.path.join(self.bindir, "psql")
        r = subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                            self.url(dbname, ADMIN_ROLE), "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError("pgcluster: %s: %s" % (sql, r.stdout))
        return r.stdout

    def create_database(self, name, owner=TEST_ROLE):
        """A new empty database owned by the test role; returns its libpq URI."""
        self._sql("postgres", "CREATE DATABASE %s OWNER %s" % (quote_ident(name),
                                                                quote_ident(owner)))
        return self.url(name, owner)

    def cleanup(self):
        if self.running:
            try:
                self.stop("immediate")
            except RuntimeError as e:
                print(e, file=sys.stderr)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv):
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        print("usage: pgcluster.py run -- CMD [ARGS...]", file=sys.stderr)
        return 2
    # meson's timeout sends SIGTERM: stop the server on the way out, not leave it running.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        with PgCluster() as pg:
            env = dict(os.environ, SCIMD_TEST_PG_URL=pg.create_database("scimd_test"),
                       SCIMD_TEST_PG_ADMIN=pg.admin_url())
            try:
                return subprocess.run(argv[2:], env=env).returncode
            except OSError as e:
                print("pgcluster: %s: %s" % (argv[2], e), file=sys.stderr)
                return 127
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
