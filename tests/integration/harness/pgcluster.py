#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A throw-away PostgreSQL cluster for tests: initdb + pg_ctl in a temp dir, a unix socket
only (no TCP, no systemd), trust authentication.

    with PgCluster() as pg:
        url = pg.create_database("scimd_a")   # postgresql:///scimd_a?host=...&port=...&user=...
        pg.stop("immediate"); pg.start()       # failover-shaped faults, same data dir

    with open_cluster() as pg:                 # the run's shared cluster, else a PgCluster
        url = pg.create_database("scimd_a")   # a database only this process uses

    python3 pgcluster.py run -- CMD ARGS...
        runs CMD with SCIMD_TEST_PG_URL (a fresh database owned by the test role) and
        SCIMD_TEST_PG_ADMIN (the superuser on database postgres), then stops the cluster;
        exits with CMD's status.

    python3 pgcluster.py serve -- CMD ARGS...
        runs CMD (e.g. meson test) with SCIMD_TEST_PG_HOST, the socket directory of one
        cluster that every test under it shares, then stops and removes that cluster, also
        when CMD fails or the wrapper gets SIGTERM (passed on to CMD first) or SIGINT.

A cluster costs an initdb and a server start (~3 s on a loaded 2-core machine), so under
`serve` each test asks open_cluster() for a handle on the shared one: its databases get a
prefix no other test process has (t_<random>_NAME, dropped when the handle is cleaned up) and
it cannot stop the server. Tests that stop or restart the server, or end every session of the
test role, make their own PgCluster. Without SCIMD_TEST_PG_HOST (one test run by hand)
open_cluster() starts a PgCluster of the test's own.

The server refuses to run as root: as root it runs as the `postgres` system user (or
`nobody`), in a world-traversable temp dir, since the checkout may be under a 0700 /root.
Missing PostgreSQL binaries are an error, never a skip: CI must run these tests.
"""

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

ADMIN_ROLE = "scimd_admin"
TEST_ROLE = "scimd_test"
PORT = 5432  # names the socket file only: the socket dir is private to this cluster
SHARED_ENV = "SCIMD_TEST_PG_HOST"  # socket dir of the cluster `serve` shares with its tests


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
    def __init__(self, bindir=None, fsync=True):
        self.bindir = bindir or find_bindir()
        self.fsync = fsync
        self.uid, self.gid = server_user()
        self.base = tempfile.mkdtemp(prefix="scimd-pg-")
        os.chmod(self.base, 0o755)
        self.data = os.path.join(self.base, "data")
        self.sockdir = os.path.join(self.base, "sock")
        self.log = os.path.join(self.base, "server.log")
        self.port = PORT
        self.running = False
        self._names = {}  # database names asked for -> the names created
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
        opts = ("-k %s -p %d -c listen_addresses='' -c fsync=%s -c shared_buffers=32MB" %
                (self.sockdir, self.port, "on" if self.fsync else "off"))
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
        return "postgresql:///%s?host=%s&port=%d&user=%s" % (self.dbname(dbname), self.sockdir,
                                                              self.port, user)

    def dbname(self, name):
        """The name in the server of a database this handle created as `name` (its own name
        for any other, e.g. postgres)."""
        return self._names.get(name, name)

    def _new_name(self, name):
        return name

    def admin_url(self):
        return self.url("postgres", ADMIN_ROLE)

    def _sql(self, dbname, *sql):
        """Runs each statement on its own (CREATE DATABASE cannot share a transaction), in
        one psql, as the superuser."""
        psql = os.path.join(self.bindir, "psql")
        argv = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(dbname, ADMIN_ROLE)]
        for statement in sql:
            argv += ["-c", statement]
        try:
            r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=120)
        except subprocess.TimeoutExpired:
            raise RuntimeError("pgcluster: %s: no answer within 120 s" % "; ".join(sql))
        if r.returncode != 0:
            raise RuntimeError("pgcluster: %s: %s" % ("; ".join(sql), r.stdout))
        return r.stdout

    def create_database(self, name, owner=TEST_ROLE, settings=None):
        """A new empty database owned by the test role, with settings {parameter: value}
        (ALTER DATABASE ... SET); returns its libpq URI."""
        real = quote_ident(self._new_name(name))
        statements = ["CREATE DATABASE %s OWNER %s" % (real, quote_ident(owner))]
        for key, value in (settings or {}).items():
            statements.append("ALTER DATABASE %s SET %s = %s" % (real, key, value))
        self._sql("postgres", *statements)
        self._names[name] = self._new_name(name)
        return self.url(name, owner)

    def drop_database(self, name):
        """Drops a database this handle created, ending its sessions (WITH FORCE)."""
        self._sql("postgres", "DROP DATABASE IF EXISTS %s WITH (FORCE)"
                  % quote_ident(self.dbname(name)))
        self._names.pop(name, None)

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


class SharedCluster(PgCluster):
    """A handle on the cluster `pgcluster.py serve` started for a whole test run (its socket
    dir in SCIMD_TEST_PG_HOST): the databases it creates carry a prefix of its own and are
    dropped by cleanup(); the server is not its to stop or start."""

    def __init__(self, sockdir, bindir=None):
        self.bindir = bindir or find_bindir()
        self.sockdir = sockdir
        self.port = PORT
        self.base = None
        self.running = True
        self._names = {}
        self.prefix = "t_%s_" % secrets.token_hex(4)
        if not os.path.exists(os.path.join(sockdir, ".s.PGSQL.%d" % PORT)):
            raise RuntimeError("pgcluster: %s=%s holds no PostgreSQL socket (.s.PGSQL.%d): is "
                               "the cluster of `pgcluster.py serve` still running?"
                               % (SHARED_ENV, sockdir, PORT))
        self._sql("postgres", "SELECT 1")

    def _new_name(self, name):
        return self.prefix + name

    def start(self):
        raise RuntimeError("pgcluster: the shared cluster is not this test's to start or stop: "
                           "a test that stops the server needs its own PgCluster()")

    def stop(self, mode="fast"):
        self.start()

    def cleanup(self):
        for name in list(self._names):
            try:
                self.drop_database(name)
            except RuntimeError as e:
                print(e, file=sys.stderr)


def open_cluster(bindir=None):
    """The run's shared cluster when `serve` started one (SCIMD_TEST_PG_HOST), else a new
    PgCluster of this process's own. Either way cleanup() leaves nothing of this process's
    behind."""
    sockdir = os.environ.get(SHARED_ENV)
    if sockdir:
        return SharedCluster(sockdir, bindir)
    return PgCluster(bindir)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def serve(cmd):
    """Runs cmd with SCIMD_TEST_PG_HOST set to a cluster started for it; returns its status.
    SIGTERM is passed on to cmd (meson test then ends its tests, which drop their databases),
    a terminal's SIGINT reaches cmd by itself; the cluster is stopped once cmd has exited."""
    child = None

    def forward(signum, frame):
        if child is None:
            raise SystemExit(128 + signum)
        if signum == signal.SIGTERM:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        # fsync off: only an operating system crash could tell, and no test on the shared
        # cluster stops even the server (those that do have their own, with fsync on). Each
        # CREATE DATABASE then takes ~0.5 s instead of 1.2-2.6 s, each DROP 0.06 s instead of
        # 0.4-5 s on a loaded machine: seconds per test that starts several instances.
        with PgCluster(fsync=False) as pg:
            env = dict(os.environ, SCIMD_PG_BINDIR=pg.bindir)
            env[SHARED_ENV] = pg.sockdir
            try:
                child = subprocess.Popen(cmd, env=env)
            except OSError as e:
                print("pgcluster: %s: %s" % (cmd[0], e), file=sys.stderr)
                return 127
            return child.wait()
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1


def main(argv):
    if len(argv) >= 3 and argv[0] == "serve" and argv[1] == "--":
        return serve(argv[2:])
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        print("usage: pgcluster.py run|serve -- CMD [ARGS...]", file=sys.stderr)
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
