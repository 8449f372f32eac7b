# SPDX-License-Identifier: MIT
"""Several scimd instances on one throw-away PostgreSQL database (issue 15), for the tests of
a hub that survives the loss of a machine.

    with PgHub() as hub:
        a, b = hub.instance("a"), hub.instance("b")   # started, same database, own state dirs
        hub.query("SELECT count(*) FROM users")       # [(row...)] as text, as the superuser

    with PgHub(own_cluster=True) as hub:              # a server of the test's own, to fault
        hub.pg.stop("immediate"); hub.pg.start()      # the database's failover-shaped faults

    set_up(self, "a", "b", token="faults")            # self.hub, self.a, self.b, self.token

The database is in the test run's shared cluster when there is one (pgcluster.open_cluster:
SCIMD_TEST_PG_HOST, set by scripts/test.sh), else in a cluster of the test's own; a test
that stops or restarts the server asks for its own with own_cluster=True.

Each instance is a fleetharness Hub (a fixed loopback port, [fleet] signing_key in its own
state dir) whose [store] is backend = postgresql on the shared database; `database` stays
each instance's own local anchor (its uid high-water guard file). The first instance runs
`scimctl fleet init`; the others get a copy of its key file, as docs/fleet.md tells an admin
to do: every instance signs the feed with the same key.

PostgreSQL's server binaries are required (pgcluster.py raises without them): these tests
run in CI with SCIMD_TEST_PG_REQUIRED=1 and never skip.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fleet"))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import fleetharness as fh  # noqa: E402
from fleetharness import h  # noqa: E402
from pgcluster import PgCluster, open_cluster  # noqa: E402


class PgHub:
    def __init__(self, dbname="scimd_hub", own_cluster=False):
        self.pg = PgCluster() if own_cluster else open_cluster()
        self.instances = []
        self.followers = []
        try:
            self.url = self.pg.create_database(dbname)
            self.dbname = dbname
        except BaseException:
            self.pg.cleanup()
            raise
        self.public_key = None

    def instance(self, name, start=True, extra=None, url=None):
        """A new hub instance on the shared database (through url, e.g. a PgProxy's, when
        given); the first one makes the fleet key."""
        ex = {"store": {"backend": "postgresql", "url": url or self.url}}
        for section, keys in (extra or {}).items():
            ex.setdefault(section, {}).update(keys)
        inst = fh.Hub(extra=ex, name="pg-" + name)
        inst.iname = name
        self.instances.append(inst)
        if self.public_key is None:
            inst.fleet_init()
            self.public_key = inst.public_key
            self.key_path = inst.key_path
        else:
            shutil.copyfile(self.key_path, inst.key_path)
            os.chmod(inst.key_path, 0o600)
            inst.public_key = self.public_key
        if start:
            inst.start()
        return inst

    def follower(self, via, name, **kw):
        """A follower of instance `via`, with a host token made by scimctl on the shared
        database (through `via`'s config) and the hub's one public key pinned."""
        token = via.add_host(name)
        f = fh.Follower(via.url, token, [self.public_key], name=name, **kw)
        self.followers.append(f)
        f.start()
        return f

    def query(self, sql):
        """Rows of sql on the shared database, as lists of text (psql -At, as superuser)."""
        psql = os.path.join(self.pg.bindir, "psql")
        r = subprocess.run([psql, "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d",
                            self.pg.url(self.dbname, "scimd_admin"), "-c", sql],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise h.HarnessError("psql %s: %s" % (sql, r.stderr))
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def cleanup(self):
        for f in self.followers:
            if f._ns is not None:
                f._ns.cleanup()
            f.cleanup()
        for inst in self.instances:
            inst.cleanup()
        self.pg.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


def set_up(target, *names, token=None, own_cluster=False, then=None):
    """Gives target (a test, or its class in setUpClass) `hub`, a PgHub, and one started
    instance per name as the attribute of that name; `token`, made through the first, when
    token names one; then(target) last, for the test's own setup. If any of it fails the hub
    is cleaned up before the error goes on. The test's tearDown(Class) calls hub.cleanup()."""
    target.hub = PgHub(own_cluster=own_cluster)
    try:
        for name in names:
            setattr(target, name, target.hub.instance(name))
        if token is not None:
            target.token = getattr(target, names[0]).create_token(token)
        if then is not None:
            then(target)
    except BaseException:
        target.hub.cleanup()
        raise


def user_body(user_name, **attrs):
    body = {"schemas": [h.URN_USER], "userName": user_name, "active": True}
    body.update(attrs)
    return body


def run_threads(n, target):
    """Runs target(i) in n threads at once (released together) and returns their results
    in order; an exception in a thread is re-raised here."""
    results = [None] * n
    errors = []
    gate = threading.Barrier(n)

    def body(i):
        try:
            gate.wait()
            results[i] = target(i)
        except BaseException as e:  # noqa: B902 - re-raised in the caller
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def elapsed_since(t0):
    return time.monotonic() - t0


class PgProxy:
    """A TCP listener on loopback in front of the cluster's Unix socket, for a database
    that becomes unreachable the way a failed-over address does: `blackhole()` drops every
    connection through it and then accepts new ones but never answers them (a host that is
    gone, its address still routed); `restore()` forwards again."""

    def __init__(self, pg):
        self.pg = pg
        self.target = os.path.join(pg.sockdir, ".s.PGSQL.%d" % pg.port)
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.black = False
        self.socks = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, dbname, user="scimd_test"):
        return "postgresql:///%s?host=127.0.0.1&port=%d&user=%s" % (self.pg.dbname(dbname),
                                                                     self.port, user)

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                self.socks.append(c)
                black = self.black
            if black:
                continue  # held open, never read: the client waits for an answer
            try:
                u = socket.socket(socket.AF_UNIX)
                u.connect(self.target)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.socks.append(u)
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _drop_all(self):
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def blackhole(self):
        with self.lock:
            self.black = True
        self._drop_all()

    def restore(self):
        with self.lock:
            self.black = False
        self._drop_all()

    def close(self):
        self.closed = True
        self.lsock.close()
        self._drop_all()
