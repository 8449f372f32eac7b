# SPDX-License-Identifier: MIT
"""A fleet on loopback for the integration tests (Python 3 stdlib plus libsodium by ctypes).

- Hub: a ScimdInstance on a fixed loopback port (so followers find it again after a
  restart) with its own Ed25519 key from `scimctl fleet init` ([fleet] signing_key in its
  state dir). `add_host(NAME)` runs `scimctl host add NAME` and returns the host bearer.
- Follower: a ScimdInstance whose config has [follow] hub/token/hub_keys/wait (and
  optionally groups); its own state dir, store and exported cache. Its own NSS/PAM view:
  `getent(...)` runs `getent -s scim` with SCIM_NSS_CACHE at this follower's cache;
  `pam(user)` runs pamtester in a private mount namespace whose /etc/pam.d names pam_scim
  with this follower's cache; `local_users` gives it its own /etc/passwd and /etc/group
  (the daemon runs over that copy of /etc in a private mount namespace, so its "local
  wins" probe sees them; the host's /etc is never touched).
- FeedProxy: a small HTTP proxy between one follower and the hub that records every
  request and can answer for the hub or rewrite its answers (tampered bytes, forced 410,
  replayed or re-signed snapshots). It always hands the follower an uncompressed body.
- Signer: an Ed25519 key made with libsodium (the library scimd uses), signing feed
  bodies the way docs/fleet.md describes (Scimd-Signature: ed25519 KEYID BASE64).

Feature detection (`fleet_support()`): the suite asks the built binaries, not a list of
commits, whether the fleet pieces exist, so skipped tests run as soon as they land.
"""

import base64
import ctypes
import ctypes.util
import gzip
import hashlib
import http.client
import http.server
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, os.path.join(HERE, "..", "accounts"))
sys.path.insert(0, os.path.join(HERE, "..", "pam"))
import nssenv  # noqa: E402
import scimharness as h  # noqa: E402
import scimns  # noqa: E402

SIG_CONTEXT = b"scimd-feed-v1\n"
PAM_SERVICE = "fleet-acct"


# -- feature detection -----------------------------------------------------------------
def _scimctl_help():
    try:
        p = subprocess.run([h.binary("scimctl"), "--help"], capture_output=True, text=True,
                           timeout=10)
    except (h.HarnessError, OSError, subprocess.SubprocessError):
        return ""
    return p.stdout + p.stderr


def _scimd_knows_follow():
    """Does this scimd take a [follow] section? Asked of `scimd --check-config` with a
    follower's config (an unknown section or key is refused there)."""
    try:
        path = h.binary("scimd")
    except h.HarnessError:
        return False
    import tempfile
    d = tempfile.mkdtemp(prefix="scimd-fleet-probe-")
    try:
        conf = os.path.join(d, "scimd.conf")
        key = base64.b64encode(b"k" * 32).decode()
        bearer = base64.b64encode(b"0123456789abcdef:" + b"x" * 43).decode()
        with open(conf, "w") as f:
            f.write("[server]\nlisten = 127.0.0.1:0\n[store]\ndatabase = %s/db\n"
                    "[cache]\npath = %s/nss.cache\nshadow_path = %s/shadow.cache\n"
                    "nonstandard_path_ok = true\n[follow]\nhub = http://127.0.0.1:1\n"
                    "token = %s\nhub_keys = %s\nwait = 5\n" % (d, d, d, bearer, key))
        p = subprocess.run([path, "-c", conf, "--check-config"], capture_output=True,
                           text=True, timeout=10)
        return p.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def _scimd_asks_a_hub(timeout=4.0):
    """Does a follower scimd ask its hub for a snapshot? (The config can land before the
    client.) A FeedProxy in front of a closed port records the request and answers 502."""
    proxy = FeedProxy(h.free_port())
    f = None
    try:
        f = Follower(proxy.url, base64.b64encode(b"probe:" + b"k" * 43).decode(),
                     [base64.b64encode(b"k" * 32).decode()], name="probe")
        f.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.startswith("/fleet/v1/") for (_, p, _) in proxy.seen()):
                return True
            if f.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False
    except (h.HarnessError, OSError):
        return False
    finally:
        if f is not None:
            f.cleanup()
        proxy.close()


_support = None


def fleet_support():
    """{'hub': bool, 'follow': bool, 'why': str}: hub = scimctl has `fleet init` and
    `host add` (and scimd serves /fleet/v1/); follow = scimd knows [follow] hub_keys."""
    global _support
    if _support is None:
        text = _scimctl_help()
        hub = ("fleet init" in text and "host add" in text)
        follow = _scimd_knows_follow() and _scimd_asks_a_hub()
        why = []
        if not hub:
            why.append("scimctl --help lacks `fleet init`/`host add`")
        if not follow:
            why.append("scimd takes no [follow] section or, following a hub, asks it for nothing")
        _support = {"hub": hub, "follow": follow,
                    "why": "; ".join(why) + " (fleet lane not built yet)"}
    return _support


def have_fleet():
    s = fleet_support()
    return s["hub"] and s["follow"] and nssenv.have_module()


# -- signing ---------------------------------------------------------------------------
class Signer:
    """An Ed25519 key pair from libsodium: pub_b64 for hub_keys, sign(body) -> header."""

    _lib = None

    @classmethod
    def lib(cls):
        if cls._lib is None:
            name = ctypes.util.find_library("sodium") or "libsodium.so.23"
            cls._lib = ctypes.CDLL(name)
            if cls._lib.sodium_init() < 0:
                raise h.HarnessError("sodium_init failed")
        return cls._lib

    def __init__(self):
        lib = self.lib()
        self.pk = ctypes.create_string_buffer(32)
        self.sk = ctypes.create_string_buffer(64)
        if lib.crypto_sign_keypair(self.pk, self.sk) != 0:
            raise h.HarnessError("crypto_sign_keypair failed")
        self.pub_b64 = base64.b64encode(self.pk.raw).decode()
        self.key_id = hashlib.sha256(self.pk.raw).hexdigest()[:16]

    def sign(self, body):
        sig = ctypes.create_string_buffer(64)
        msg = SIG_CONTEXT + body
        siglen = ctypes.c_ulonglong(0)
        if self.lib().crypto_sign_detached(sig, ctypes.byref(siglen), msg,
                                           ctypes.c_ulonglong(len(msg)), self.sk) != 0:
            raise h.HarnessError("crypto_sign_detached failed")
        return "ed25519 %s %s" % (self.key_id, base64.b64encode(sig.raw[:64]).decode())


def verify(pub_b64, header, body):
    """True when header is a valid Scimd-Signature of body by pub_b64 (for assertions
    about what the hub sends)."""
    parts = (header or "").split()
    if len(parts) != 3 or parts[0] != "ed25519":
        return False
    pk = base64.b64decode(pub_b64)
    if parts[1] != hashlib.sha256(pk).hexdigest()[:16]:
        return False
    sig = base64.b64decode(parts[2])
    msg = SIG_CONTEXT + body
    return Signer.lib().crypto_sign_verify_detached(sig, msg, ctypes.c_ulonglong(len(msg)),
                                                    pk) == 0


def parse_fields(text):
    """`key: value` lines of a scimctl answer as a dict."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


# -- hub -------------------------------------------------------------------------------
class Hub(h.ScimdInstance):
    """The hub: a standalone scimd with a fleet key, on a port that survives restarts."""

    def __init__(self, extra=None, **kw):
        self.fixed_port = h.free_port()
        extra = dict(extra or {})
        extra.setdefault("server", {})["listen"] = "127.0.0.1:%d" % self.fixed_port
        super().__init__(extra=extra, name=kw.pop("name", "hub"), **kw)
        self.key_path = os.path.join(self.tmpdir, "fleet.key")
        self.sections.setdefault("fleet", {})["signing_key"] = self.key_path
        self.write_config()
        self.public_key = None
        self.feed_id = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.fixed_port

    def fleet_init(self):
        fields = parse_fields(self.scimctl("fleet", "init").stdout)
        self.public_key = fields.get("public_key")
        self.feed_id = fields.get("feed_id")
        if not self.public_key or not self.feed_id:
            raise h.HarnessError("`scimctl fleet init` printed no public_key/feed_id")
        return self.public_key

    def add_host(self, name):
        out = self.scimctl("host", "add", name).stdout
        token = parse_fields(out).get("token")
        if not token:
            raise h.HarnessError("`scimctl host add %s` printed no token:\n%s" % (name, out))
        return token

    def host_list(self):
        return self.scimctl("host", "list").stdout

    def db(self):
        conn = sqlite3.connect(self.db_path, timeout=10)
        conn.execute("PRAGMA busy_timeout = 10000")
        return conn

    def prune_changes(self):
        """Forget the change log before its newest entry, as the hub's retention pruning
        does (it keeps the newest change so the sequence never goes backwards; the floor
        is the lowest since still answerable): a follower behind it gets 410. Done on the
        store because retention_days counts whole days. Returns the new floor."""
        conn = self.db()
        try:
            with conn:
                top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
                conn.execute("DELETE FROM changes WHERE seq < ?", (top,))
                floor = max(top - 1, 0)
                conn.execute("INSERT INTO meta(key, value) VALUES('changes_floor', ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                             (str(floor),))
        finally:
            conn.close()
        return floor

    def max_seq(self):
        conn = self.db()
        try:
            return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
        finally:
            conn.close()


def start_hub(**kw):
    hub = Hub(**kw)
    try:
        hub.fleet_init()
        hub.start()
    except BaseException:
        hub.cleanup()
        raise
    return hub


# -- follower --------------------------------------------------------------------------
class Follower(h.ScimdInstance):
    """A scimd in follow mode with its own state dir, cache and (optionally) /etc."""

    def __init__(self, hub_url, token, hub_keys, name="follower", groups=None, wait=5,
                 local_users=(), follow_extra=None):
        self.local_users = list(local_users)
        etc_files = None
        if self.local_users:
            etc_files = {}
            with open("/etc/passwd") as f:
                etc_files["passwd"] = f.read() + "".join(
                    "%s:x:%d:%d:local %s:/home/%s:/bin/sh\n" % (u.name, u.uid, u.uid, u.name,
                                                               u.name)
                    for u in self.local_users)
            with open("/etc/group") as f:
                etc_files["group"] = f.read() + "".join(
                    "%s:x:%d:\n" % (u.name, u.uid) for u in self.local_users)
        follow = {"hub": hub_url, "token": token, "hub_keys": ", ".join(hub_keys),
                  "wait": str(wait)}
        if groups:
            follow["groups"] = groups
        follow.update(follow_extra or {})
        super().__init__(extra={"follow": follow}, name=name, etc_files=etc_files)
        self.fname = name
        self._ns = None

    def start(self, timeout=h.STARTUP_TIMEOUT):
        """A follower serves no SCIM: it is up once it runs and has exported a cache (or
        printed a listening line, if it has a listener for metrics)."""
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise h.HarnessError("follower %s exited with status %s; log:\n%s"
                                     % (self.fname, self.proc.returncode,
                                        self.log_since_start()))
            m = h.LISTEN_RE.search(self.log_since_start())
            if m:
                self.port = int(m.group(3))
                return self
            if os.path.exists(self.cache_path):
                return self
            time.sleep(0.02)
        return self  # still running: the tests' waits say what did not happen

    def restart(self, crash=False):
        if crash:
            self.kill()
        else:
            self.stop()
        return self.start()

    # -- this follower's NSS and PAM view ------------------------------------------------
    def getent(self, *args):
        return nssenv.getent(self, *args)

    def passwd(self, login):
        """(uid, gid) of login in this follower's cache, or None."""
        rc, out = self.getent("passwd", login)
        if rc != 0:
            return None
        f = nssenv.passwd_fields(out.splitlines()[0])
        return int(f[2]), int(f[3])

    def group(self, name):
        """(gid, members) of group name in this follower's cache, or None."""
        rc, out = self.getent("group", name)
        if rc != 0:
            return None
        _, gid, members = nssenv.group_fields(out.splitlines()[0])
        return gid, members

    def in_etc(self, argv, timeout=30):
        """Run argv with this follower's /etc (its local accounts) in a private namespace."""
        if self.etc_dir:
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" /etc && exec "$@"', self.etc_dir] + list(argv)
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def ns(self):
        if self._ns is None:
            workdir = os.path.join(self.tmpdir, "pamns")
            os.makedirs(workdir, exist_ok=True)
            self._ns = scimns.Namespace(self.cache_path, self.shadow_path, workdir=workdir)
            self._ns.write_pam(PAM_SERVICE, "account required %s cache=%s shadow=%s "
                               "uid_min=%d uid_max=%d\naccount required pam_permit.so\n"
                               % (scimns.pam_module(), self.cache_path, self.shadow_path,
                                  h.TEST_UID_MIN, h.TEST_UID_MAX))
        return self._ns

    def pam(self, user):
        """pamtester acct_mgmt for user through pam_scim on this follower's cache:
        True when granted."""
        p = self.ns().run(["pamtester", "-v", PAM_SERVICE, user, "acct_mgmt"], input="")
        return p.returncode == 0

    def cleanup(self):
        super().cleanup()


def wait_for(predicate, what, timeout=10.0, interval=0.05):
    """wait_until that fails the test (AssertionError) with what was awaited."""
    try:
        return h.wait_until(predicate, timeout=timeout, interval=interval, what=what)
    except h.HarnessError as e:
        raise AssertionError(str(e))


def holds(predicate, seconds, interval=0.1):
    """True when predicate() stays truthy for the whole time (for "never installs")."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not predicate():
            return False
        time.sleep(interval)
    return bool(predicate())


# -- tampering proxy -------------------------------------------------------------------
class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _relay(self):
        proxy = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = proxy.answer_for(self.command, self.path, self.headers)
        if answer is None:
            answer = proxy.forward(self.command, self.path, self.headers, body)
        status, headers, out = answer
        status, headers, out = proxy.rewrite(self.path, status, headers, out)
        proxy.record(self.command, self.path, status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if status not in (204, 304) and out:
            self.wfile.write(out)

    do_GET = _relay
    do_POST = _relay


class _ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A follower killed mid-request leaves a broken pipe: expected here, not news.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
        "content-encoding", "server", "date"}


class FeedProxy:
    """HTTP proxy on a loopback port in front of the hub.

    requests: [(method, path, status)] in order. Set `respond(method, path)` to answer
    for the hub ((status, [(header, value)], body) or None to forward) and
    `tamper(path, status, headers, body)` to rewrite what goes back (return the triple).
    Bodies handed to tamper are uncompressed.
    """

    def __init__(self, hub_port):
        self.hub_port = hub_port
        self.requests = []
        self.lock = threading.Lock()
        self.respond = None
        self.tamper = None
        self.snapshots = []   # [(headers, body)] of every genuine 200 snapshot seen
        self.server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self.server.owner = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def record(self, method, path, status):
        with self.lock:
            self.requests.append((method, path, status))

    def seen(self):
        with self.lock:
            return list(self.requests)

    def answer_for(self, method, path, headers):
        fn = self.respond
        return fn(method, path) if fn else None

    def forward(self, method, path, headers, body):
        fwd = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.hub_port, timeout=330)
            conn.request(method, path, body=body or None, headers=fwd)
            resp = conn.getresponse()
            data = resp.read()
            enc = (resp.getheader("Content-Encoding") or "").lower()
            out_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP]
            status = resp.status
            conn.close()
        except OSError:
            return 502, [("Content-Type", "text/plain")], b"hub unreachable\n"
        if enc == "gzip":
            data = gzip.decompress(data)
        elif enc == "deflate":
            data = zlib.decompress(data)
        if status == 200 and path.startswith("/fleet/v1/snapshot"):
            with self.lock:
                self.snapshots.append((list(out_headers), data))
        return status, out_headers, data

    def rewrite(self, path, status, headers, body):
        fn = self.tamper
        return fn(path, status, headers, body) if fn else (status, headers, body)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def header(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


def with_header(headers, name, value):
    return [(k, v) for k, v in headers if k.lower() != name.lower()] + [(name, value)]


def flip(body, old, new):
    """body with old replaced by new (same length, so only bytes change), or None when
    old is absent."""
    assert len(old) == len(new)
    return body.replace(old, new) if old in body else None


def since_of(path):
    m = re.search(r"[?&]since=(\d+)", path)
    return int(m.group(1)) if m else None


class Fleet:
    """One hub plus followers, cleaned up together."""

    def __init__(self, hub_extra=None):
        self.hub = start_hub(extra=hub_extra)
        self.api = None
        self.followers = []
        self.proxies = []
        try:
            self.api = self.hub.client()
        except BaseException:
            self.cleanup()
            raise

    def follower(self, name, via_proxy=False, keys=None, start=True, **kw):
        """A new follower with its own host token; via_proxy puts a FeedProxy between it
        and the hub (returned as follower.proxy)."""
        token = self.hub.add_host(name)
        proxy = None
        url = self.hub.url
        if via_proxy:
            proxy = FeedProxy(self.hub.fixed_port)
            self.proxies.append(proxy)
            url = proxy.url
        f = Follower(url, token, keys or [self.hub.public_key], name=name, **kw)
        f.proxy = proxy
        f.token_value = token
        self.followers.append(f)
        if start:
            f.start()
        return f

    def cleanup(self):
        for f in self.followers:
            if f._ns is not None:
                f._ns.cleanup()
            f.cleanup()
        for p in self.proxies:
            p.close()
        self.hub.cleanup()


def free_local_id():
    return scimns.free_local_id(4300)


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False
