# SPDX-License-Identifier: MIT
"""Reusable harness for scimd integration tests (Python 3 stdlib only).

A ScimdInstance owns one temporary state directory with a config file, the SQLite
store and the exported cache files, starts `scimd -c CONFIG` on a free loopback port,
creates access tokens with `scimctl`, and hands out ScimClient objects whose request
helpers return Response objects that unpack as (status, headers, json).

Later suites (NSS, PAM, sshd) reuse the paths it exposes: tmpdir, config_path,
db_path, cache_path, shadow_path, log_path, and can add config with `extra=`.

Environment:
  SCIMD_BUILD_ROOT   meson build dir holding scimd/scimd and scimd/scimctl (required)
  SCIMD_SOURCE_ROOT  source dir (optional; defaults to this file's checkout)
  SCIM_HARNESS_KEEP  set to 1 to keep the temporary directories for inspection
  SCIM_HARNESS_LOG   set to 1 to print the daemon log tail on every stop
  SCIMD_TEST_BACKEND sqlite (default) or postgresql: the store every ScimdInstance uses
                     (postgresql: a fresh database per instance in the run's shared cluster
                     when SCIMD_TEST_PG_HOST names one, else in a throw-away cluster of the
                     test process's own; pgcluster.open_cluster, on first use)
  SCIMD_TEST_PG_HOST socket dir of the cluster `pgcluster.py serve` started for the run
  SCIMD_TEST_PG_REQUIRED  1: missing PostgreSQL server binaries fail the test instead of
                     skipping it (meson's *-pg tests set it, so CI never skips them)
"""

import atexit
import base64
import glob
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402

URN_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
URN_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
URN_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
URN_PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
URN_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
URN_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
URN_SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
URN_RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
URN_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
# scimd's own extension: the uidNumber/gidNumber it allocated (read-only).
URN_LINUX_USER = "urn:scimd:params:scim:schemas:extension:linux:1.0:User"

SCIM_MEDIA_TYPE = "application/scim+json"

# A test id range clear of local ids, of useradd's subordinate id pool (login.defs'
# SUB_UID_MIN..SUB_UID_MAX, 100000..600100000 by default: scimd refuses ranges inside it)
# and of systemd's reserved ranges.
TEST_UID_MIN = 700000000
TEST_UID_MAX = 700099999
TEST_GID_MIN = 700100000
TEST_GID_MAX = 700199999

STARTUP_TIMEOUT = 10.0
LISTEN_RE = re.compile(r"listening on (https?)://([^\s/]+):(\d+)(/\S*)?")


class HarnessError(Exception):
    """The harness could not do its job (binary missing, daemon did not start...)."""


def source_root():
    env = os.environ.get("SCIMD_SOURCE_ROOT")
    if env:
        return env
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def build_root():
    env = os.environ.get("SCIMD_BUILD_ROOT")
    if not env:
        raise HarnessError("SCIMD_BUILD_ROOT is not set: run through `meson test` or export "
                           "it to the meson build directory")
    return env


def binary(name):
    """Path of a built program, e.g. binary('scimd') -> <build>/scimd/scimd."""
    path = os.path.join(build_root(), "scimd", name)
    if not os.access(path, os.X_OK):
        raise HarnessError("%s not found or not executable (build it: ninja -C %s scimd/%s)"
                           % (path, build_root(), name))
    return path


def _ranges_from(path):
    ranges = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.strip().split(":")
                if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                    start = int(parts[1])
                    ranges.append((start, start + int(parts[2]) - 1))
    except FileNotFoundError:
        pass
    return ranges


def check_test_range_is_safe(lo=TEST_UID_MIN, hi=TEST_GID_MAX):
    """Raise if the host's subordinate id ranges or local ids overlap the test range:
    scimd would (rightly) refuse to start, and the failure should say why."""
    for path in ("/etc/subuid", "/etc/subgid"):
        for start, end in _ranges_from(path):
            if start <= hi and end >= lo:
                raise HarnessError("%s range %d-%d overlaps the test id range %d-%d"
                                   % (path, start, end, lo, hi))
    for path in ("/etc/passwd", "/etc/group"):
        with open(path) as f:
            for line in f:
                parts = line.split(":")
                if len(parts) > 2 and parts[2].isdigit() and lo <= int(parts[2]) <= hi:
                    raise HarnessError("%s entry %r has an id in the test range"
                                       % (path, parts[0]))


BACKENDS = ("sqlite", "postgresql")
_pg = {"cluster": None, "databases": 0}


def backend_under_test():
    """The store backend the tests run against: $SCIMD_TEST_BACKEND, sqlite by default."""
    backend = os.environ.get("SCIMD_TEST_BACKEND") or "sqlite"
    if backend not in BACKENDS:
        raise HarnessError("SCIMD_TEST_BACKEND must be sqlite or postgresql, not %r" % backend)
    return backend


def _stop_pg_cluster():
    cluster, _pg["cluster"] = _pg["cluster"], None
    if cluster is not None:
        cluster.cleanup()


def _exit_on_sigterm(signum, frame):
    # meson's timeout sends SIGTERM: unwind so atexit stops the cluster.
    raise SystemExit(128 + signum)


def pg_cluster():
    """The test process's PostgreSQL cluster, on first use: the run's shared one (its
    databases dropped at exit) or a throw-away one of its own (stopped at exit). Without the
    server binaries the test is skipped, or fails when SCIMD_TEST_PG_REQUIRED=1 (CI); a
    shared cluster that does not answer always fails it."""
    if _pg["cluster"] is None:
        try:
            bindir = pgcluster.find_bindir()
        except RuntimeError as e:
            if os.environ.get("SCIMD_TEST_PG_REQUIRED") == "1":
                raise HarnessError(str(e))
            raise unittest.SkipTest(str(e))
        try:
            _pg["cluster"] = pgcluster.open_cluster(bindir)
        except RuntimeError as e:
            raise HarnessError(str(e))
        atexit.register(_stop_pg_cluster)
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
    return _pg["cluster"]


class Token:
    def __init__(self, access_id, access_key, bearer):
        self.access_id = access_id
        self.access_key = access_key
        self.bearer = bearer

    def basic_header(self):
        raw = ("%s:%s" % (self.access_id, self.access_key)).encode()
        return "Basic " + base64.b64encode(raw).decode()

    def bearer_header(self):
        return "Bearer " + self.bearer


class Response:
    """status, headers (http.client.HTTPMessage: case-insensitive .get), json (parsed body
    or None), raw (bytes). Unpacks as (status, headers, json)."""

    def __init__(self, method, target, status, headers, raw):
        self.method = method
        self.target = target
        self.status = status
        self.headers = headers
        self.raw = raw
        self.json = None
        if raw:
            try:
                self.json = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                self.json = None

    def __iter__(self):
        return iter((self.status, self.headers, self.json))

    @property
    def media_type(self):
        ctype = self.headers.get("Content-Type") or ""
        return ctype.split(";")[0].strip().lower()

    def describe(self):
        """One readable block for assertion messages."""
        body = self.raw.decode("utf-8", "replace")
        if len(body) > 2000:
            body = body[:2000] + "...(%d bytes)" % len(self.raw)
        hdrs = "".join("  %s: %s\n" % (k, v) for k, v in self.headers.items())
        return "%s %s -> %d\n%s  body: %s" % (self.method, self.target, self.status, hdrs, body)

    def __repr__(self):
        return "<Response %s %s -> %d>" % (self.method, self.target, self.status)


def quote_query(params):
    """Encode query parameters the way Entra and Okta do (spaces as %20, quotes as %22)."""
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="")


class _RawHeaders(http.client.HTTPMessage):
    pass


def _parse_raw_response(method, target, data, closed=False):
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise HarnessError("malformed status line %r" % lines[0])
    headers = _RawHeaders()
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip()] = value.strip()
    length = headers.get("Content-Length")
    if length is None and not closed:
        return None  # body runs to the end of the connection
    if length is not None and len(rest) < int(length):
        return None
    if length is not None:
        rest = rest[:int(length)]
    return Response(method, target, int(parts[1]), headers, rest)


def raw_http(port, method, target, header_lines, body_pieces, answer_wait=2.0, timeout=15.0):
    """Send a request by hand: headers first, then each body piece, stopping as soon as
    the server answers (a server that refuses an oversized body from its headers alone
    need not read it). For 413 tests and other framing that http.client won't do.
    Returns a Response, or raises HarnessError if the server closed without answering."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (method, target, port)
        head += "".join(line + "\r\n" for line in header_lines) + "\r\n"
        sock.sendall(head.encode("iso-8859-1"))
        pieces = list(body_pieces)
        readable, _, _ = select.select([sock], [], [], answer_wait)
        sent_all = True
        if not readable:
            try:
                for i, piece in enumerate(pieces):
                    sock.sendall(piece)
                    readable, _, _ = select.select([sock], [], [], 0)
                    if readable and i + 1 < len(pieces):
                        sent_all = False
                        break
            except (BrokenPipeError, ConnectionResetError):
                sent_all = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            resp = _parse_raw_response(method, target, data) if data else None
            if resp is not None:
                return resp
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        resp = _parse_raw_response(method, target, data, closed=True) if data else None
        if resp is not None:
            return resp
        raise HarnessError("%s %s: connection closed without a complete response "
                           "(sent whole body: %s; got %r)" % (method, target, sent_all,
                                                              data[:300]))
    finally:
        sock.close()


class ScimClient:
    """Talks to one ScimdInstance. auth: 'bearer' (default), 'basic', None (no header),
    or a literal Authorization header value."""

    def __init__(self, instance, token, auth="bearer", timeout=30.0):
        self.instance = instance
        self.token = token
        self.auth = auth
        self.timeout = timeout

    def _auth_header(self, auth):
        if auth is None:
            return None
        if auth == "bearer":
            return self.token.bearer_header()
        if auth == "basic":
            return self.token.basic_header()
        return auth

    def request(self, method, path, body=None, *, query=None, headers=None, auth="default",
                content_type=SCIM_MEDIA_TYPE, raw=None, base=True):
        """path is relative to base_path unless base=False. query: dict (encoded with %20)
        or a pre-encoded string (sent as is). body: JSON-serialisable object; raw: bytes
        sent as the body verbatim (then body is ignored)."""
        self.instance.assert_running()
        target = (self.instance.base_path + path) if base else path
        if query is not None:
            target += "?" + (query if isinstance(query, str) else quote_query(query))
        hdrs = {"Accept": SCIM_MEDIA_TYPE, "User-Agent": "scimd-itest/1"}
        auth_value = self._auth_header(self.auth if auth == "default" else auth)
        if auth_value is not None:
            hdrs["Authorization"] = auth_value
        payload = None
        if raw is not None:
            payload = raw
        elif body is not None:
            payload = json.dumps(body).encode("utf-8")
        if payload is not None and content_type is not None:
            hdrs["Content-Type"] = content_type
        if headers:
            hdrs.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.instance.port, timeout=self.timeout)
        try:
            conn.request(method, target, body=payload, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return Response(method, target, resp.status, resp.headers, data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # Convenience helpers for the common SCIM calls.
    def patch_ops(self, path, operations, **kw):
        return self.patch(path, {"schemas": [URN_PATCH_OP], "Operations": operations}, **kw)

    def filter_users(self, filter_expr, **params):
        q = {"filter": filter_expr}
        q.update({k: str(v) for k, v in params.items()})
        return self.get("/Users", query=q)

    def create_user(self, user_name, **attrs):
        """POST a minimal valid user; raises with the response on anything but 201."""
        body = {"schemas": [URN_USER], "userName": user_name, "active": True}
        body.update(attrs)
        resp = self.post("/Users", body)
        if resp.status != 201 or not isinstance(resp.json, dict) or "id" not in resp.json:
            raise HarnessError("creating user %r failed:\n%s" % (user_name, resp.describe()))
        return resp.json


class ScimdInstance:
    """One scimd with its own state directory. Usable as a context manager.

    extra: {section: {key: value}} merged into the generated config (overrides keys).
    extra_lines: raw text appended to the config file (for deliberately odd configs).
    backend: sqlite or postgresql (default: backend_under_test()). On postgresql the store is a
    fresh database in pg_cluster() (pg_url, pg_dbname) and db_path stays the local anchor
    of the state files scimd keeps next to it. pg_synchronous_commit: the database's
    synchronous_commit, "off" by default: a commit is then acknowledged before its WAL reaches
    the disk, which loses nothing unless the PostgreSQL server itself crashes (these suites
    SIGKILL scimd, never the server) and spares a WAL fsync per write batch (2,000 POSTs: 9.4 s
    with "on", 4.3 s with "off", SQLite 4.6 s). Tests that crash the server pass "on".
    """

    def __init__(self, extra=None, extra_lines="", name="scimd", login_name="localpart",
                 etc_files=None, backend=None, pg_synchronous_commit="off"):
        check_test_range_is_safe()
        self.backend = backend or backend_under_test()
        if self.backend not in BACKENDS:
            raise HarnessError("backend must be sqlite or postgresql, not %r" % self.backend)
        self.scimd = binary("scimd")
        self.scimctl_path = binary("scimctl")
        self.tmpdir = tempfile.mkdtemp(prefix="scimd-itest-%s-" % name)
        os.chmod(self.tmpdir, 0o755)
        self.config_path = os.path.join(self.tmpdir, "scimd.conf")
        self.db_path = os.path.join(self.tmpdir, "scimd.db")
        self.cache_path = os.path.join(self.tmpdir, "nss.cache")
        self.shadow_path = os.path.join(self.tmpdir, "shadow.cache")
        self.log_path = os.path.join(self.tmpdir, "scimd.log")
        # scimd keeps its uid/gid high-water guard file next to the database.
        self.hwm_path = os.path.join(self.tmpdir, "uid-high-water")
        self.base_path = "/scim/v2"
        self.sections = {
            "server": {"listen": "127.0.0.1:0", "base_path": self.base_path,
                       "max_body_size": "1048576"},
            "store": {"database": self.db_path},
            # The tests point nss_scim and pam_scim at these (SCIM_NSS_CACHE, cache=).
            "cache": {"path": self.cache_path, "shadow_path": self.shadow_path,
                      "nonstandard_path_ok": "true"},
            "accounts": {"uid_min": str(TEST_UID_MIN), "uid_max": str(TEST_UID_MAX),
                         "gid_min": str(TEST_GID_MIN), "gid_max": str(TEST_GID_MAX),
                         "login_name": login_name},
        }
        for section, keys in (extra or {}).items():
            self.sections.setdefault(section, {}).update({k: str(v) for k, v in keys.items()})
        self.base_path = self.sections["server"]["base_path"]
        self.extra_lines = extra_lines
        # etc_files {"subuid": "text", ...}: scimd then runs in a private mount namespace
        # over a copy of /etc with these files replaced (the host's /etc is never touched).
        self.etc_dir = None
        if etc_files:
            self.etc_dir = os.path.join(self.tmpdir, "etc")
            shutil.copytree("/etc", self.etc_dir, symlinks=True,
                            ignore=shutil.ignore_patterns("ssl", "ssh", "shadow*", "gshadow*"),
                            ignore_dangling_symlinks=True)
            for rel, text in etc_files.items():
                with open(os.path.join(self.etc_dir, rel), "w") as f:
                    f.write(text)
        self.pg_dbname = self.pg_url = None
        if pg_synchronous_commit not in ("on", "off", "local", "remote_write", "remote_apply"):
            raise HarnessError("pg_synchronous_commit %r" % pg_synchronous_commit)
        self.pg_synchronous_commit = pg_synchronous_commit
        if self.backend == "postgresql":
            pg_cluster()
            _pg["databases"] += 1
            self._pg_name = "scimd_%d_%d" % (os.getpid(), _pg["databases"])
            try:
                self._pg_create()
            except RuntimeError as e:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
                raise HarnessError(str(e))
            store = {"backend": "postgresql", "url": self.pg_url}
            store.update(self.sections["store"])
            self.sections["store"] = store
        self.proc = None
        self.port = None
        self.starts = 0
        self._log_offset = 0
        self._expected_exit = False
        self.token = None
        self.write_config()

    # -- config and state ------------------------------------------------------------
    def config_text(self):
        out = []
        for section, keys in self.sections.items():
            out.append("[%s]" % section)
            out.extend("%s = %s" % (k, v) for k, v in keys.items())
            out.append("")
        if self.extra_lines:
            out.append(self.extra_lines)
        return "\n".join(out) + "\n"

    def write_config(self):
        with open(self.config_path, "w") as f:
            f.write(self.config_text())

    @property
    def base_url(self):
        return "http://127.0.0.1:%d%s" % (self.port, self.base_path)

    # -- process control ---------------------------------------------------------------
    def command(self, *args):
        """argv for scimd with this config (plus args), wrapped in a private mount namespace
        with a modified /etc when etc_files was given."""
        argv = [self.scimd, "-c", self.config_path] + list(args)
        if self.etc_dir:
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" /etc && exec "$@"', self.etc_dir] + argv
        return argv

    def spawn(self, argv=None):
        """Start scimd (or argv) with output appended to log_path; no waiting."""
        if self.proc is not None and self.proc.poll() is None:
            raise HarnessError("scimd is already running")
        log = open(self.log_path, "ab")
        self._log_offset = log.tell()
        log.write(("---- start #%d ----\n" % (self.starts + 1)).encode())
        log.flush()
        try:
            self.proc = subprocess.Popen(argv or self.command(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, cwd=self.tmpdir)
        finally:
            log.close()
        self.starts += 1
        self._expected_exit = False
        return self.proc

    def start(self, timeout=STARTUP_TIMEOUT, socket_activation=False):
        """Start and wait until it listens. socket_activation: run it the way systemd does,
        under systemd-socket-activate on a free loopback port (scimd is spawned by the
        first connection and prints its own line then)."""
        if socket_activation:
            port = free_port()
            self.spawn(["systemd-socket-activate", "-l", "127.0.0.1:%d" % port]
                       + self.command())
            wanted = re.compile(r"Listening on 127\.0\.0\.1:%d" % port)
        else:
            self.spawn()
            wanted = LISTEN_RE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = wanted.search(self.log_since_start())
            if m:
                self.port = port if socket_activation else int(m.group(3))
                return self
            if self.proc.poll() is not None:
                raise HarnessError("scimd exited with status %s before listening; log:\n%s"
                                   % (self.proc.returncode, self.log_since_start()))
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        raise HarnessError("scimd printed no 'listening on http://...' line within %.0f s; "
                           "log:\n%s" % (timeout, self.log_since_start()))

    def assert_running(self):
        if self.proc is None:
            raise HarnessError("scimd is not started")
        if self.proc.poll() is not None and not self._expected_exit:
            raise HarnessError("scimd died (status %s); log tail:\n%s"
                               % (self.proc.returncode, self.log_tail()))

    def stop(self, timeout=10.0):
        """SIGTERM and wait; returns the exit status (0 on a clean exit)."""
        return self._signal_and_wait(signal.SIGTERM, timeout)

    def kill(self):
        """SIGKILL (crash simulation); returns the wait status (-9)."""
        return self._signal_and_wait(signal.SIGKILL, 10.0)

    def _signal_and_wait(self, sig, timeout):
        if self.proc is None:
            return None
        self._expected_exit = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise HarnessError("scimd did not exit within %.0f s of signal %d; log tail:\n%s"
                                   % (timeout, sig, self.log_tail()))
        if os.environ.get("SCIM_HARNESS_LOG") == "1":
            sys.stderr.write("scimd log tail (%s):\n%s\n" % (self.tmpdir, self.log_tail()))
        return self.proc.returncode

    def restart(self, crash=False):
        """Stop (SIGKILL when crash) and start again on the same state and config."""
        if crash:
            self.kill()
        else:
            status = self.stop()
            if status != 0:
                raise HarnessError("scimd exited with %s on SIGTERM; log tail:\n%s"
                                   % (status, self.log_tail()))
        return self.start()

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
        if os.environ.get("SCIM_HARNESS_KEEP") == "1":
            sys.stderr.write("keeping %s%s\n" % (self.tmpdir, " and database " + self.pg_url
                                                   if self.pg_url else ""))
            return
        if self.pg_dbname and _pg["cluster"] is not None:
            try:
                _pg["cluster"].drop_database(self._pg_name)
            except RuntimeError as e:
                sys.stderr.write("%s\n" % e)
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    # -- the store, whatever its backend (for tests that back it up, lose it or check it) --
    def _pg_tool(self, tool, *args):
        cluster = pg_cluster()
        proc = subprocess.run([os.path.join(cluster.bindir, tool)] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=120)
        return proc.returncode, (proc.stdout + proc.stderr).strip()

    def _pg_recreate(self):
        pg_cluster().drop_database(self._pg_name)
        self._pg_create()

    def _pg_create(self):
        cluster = pg_cluster()
        self.pg_url = cluster.create_database(
            self._pg_name, settings={"synchronous_commit": self.pg_synchronous_commit})
        self.pg_dbname = cluster.dbname(self._pg_name)  # prefixed in a shared cluster

    def store_files(self):
        """The local files of the store: the SQLite database and its -wal/-shm, and the
        state files scimd keeps next to db_path (both backends)."""
        return glob.glob(self.db_path + "*")

    def store_backup(self, dest):
        """Copy the store into directory dest (created): the store_files(), and on
        PostgreSQL a pg_dump of the database. scimd should be stopped."""
        os.mkdir(dest)
        for path in self.store_files():
            shutil.copy2(path, dest)
        if self.pg_url:
            rc, out = self._pg_tool("pg_dump", "-Fc", "-f", os.path.join(dest, "pg_dump"),
                                    "-d", self.pg_url)
            if rc != 0:
                raise HarnessError("pg_dump of %s failed: %s" % (self.pg_url, out))

    def store_restore(self, backup):
        """Replace the store by a store_backup(); scimd must be stopped."""
        self.store_delete()
        for name in os.listdir(backup):
            if name != "pg_dump":
                shutil.copy2(os.path.join(backup, name), self.tmpdir)
        if self.pg_url:
            rc, out = self._pg_tool("pg_restore", "--exit-on-error", "-d", self.pg_url,
                                    os.path.join(backup, "pg_dump"))
            if rc != 0:
                raise HarnessError("pg_restore into %s failed: %s" % (self.pg_url, out))

    def store_delete(self):
        """Lose the store: its files, and on PostgreSQL the database's contents (it is
        created again empty, as an operator pointing scimd at a new database would)."""
        for path in self.store_files():
            os.unlink(path)
        if self.pg_url:
            self._pg_recreate()

    def store_integrity(self):
        """"ok", or what the store's own checker reports: PRAGMA integrity_check on SQLite,
        pg_amcheck (tables and every index against its table) on PostgreSQL."""
        if not self.pg_url:
            proc = subprocess.run(["sqlite3", self.db_path, "PRAGMA integrity_check;"],
                                  capture_output=True, text=True, timeout=120)
            return (proc.stdout + proc.stderr).strip()
        cluster = pg_cluster()
        rc, out = self._pg_tool("pg_amcheck", "--install-missing", "--heapallindexed",
                                "--parent-check", "-h", cluster.sockdir, "-p", str(cluster.port),
                                "-U", pgcluster.ADMIN_ROLE, self.pg_dbname)
        return "ok" if rc == 0 else "pg_amcheck exited %d: %s" % (rc, out)

    # -- logs --------------------------------------------------------------------------
    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_since_start(self):
        with open(self.log_path, "rb") as f:
            f.seek(self._log_offset)
            return f.read().decode("utf-8", "replace")

    def log_tail(self, lines=60):
        return "\n".join(self.log_text().splitlines()[-lines:])

    # -- scimctl and tokens -----------------------------------------------------------
    def scimctl(self, *args, check=True, timeout=30):
        proc = subprocess.run([self.scimctl_path, "-c", self.config_path] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise HarnessError("scimctl %s failed (%d):\nstdout: %s\nstderr: %s"
                               % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def create_token(self, name="itest"):
        out = self.scimctl("token", "create", name).stdout
        fields = {}
        for line in out.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        missing = [k for k in ("access_id", "access_key", "bearer") if not fields.get(k)]
        if missing:
            raise HarnessError("`scimctl token create` output lacks %s:\n%s" % (missing, out))
        token = Token(fields["access_id"], fields["access_key"], fields["bearer"])
        expected = base64.b64encode(("%s:%s" % (token.access_id, token.access_key)).encode())
        if token.bearer != expected.decode():
            raise HarnessError("bearer %r is not base64(access_id:access_key)" % token.bearer)
        return token

    def client(self, token=None, auth="bearer"):
        if token is None:
            if self.token is None:
                self.token = self.create_token()
            token = self.token
        return ScimClient(self, token, auth=auth)


def free_port():
    """A loopback port free right now (for programs that cannot take port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_instance(**kw):
    """Create, start and return an instance; cleans up if the start fails."""
    inst = ScimdInstance(**kw)
    try:
        inst.start()
    except BaseException:
        inst.cleanup()
        raise
    return inst


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Poll predicate() until truthy (returned) or raise after timeout: for debounced
    effects such as the cache export."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)
