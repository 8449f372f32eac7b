# SPDX-License-Identifier: MIT
"""Helpers shared by the hardening tests: the harness import, glibc NSS through getent,
listing every SCIM user through the API, and whole-state consistency checks."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))

import scimharness as h  # noqa: E402


def nss_env(cache_path):
    """Environment for getent that loads build/nss_scim/libnss_scim.so.2 and points it at
    one instance's cache (SCIM_NSS_CACHE, honoured for non-setuid programs)."""
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.path.join(h.build_root(), "nss_scim")
    env["SCIM_NSS_CACHE"] = cache_path
    return env


def getent(cache_path, database, *keys, timeout=20):
    """Runs `getent -s scim DATABASE KEYS...`; returns (returncode, stdout lines).
    getent exits 0 on success, 2 when a key is not found, 1 on usage errors."""
    proc = subprocess.run(["getent", "-s", "scim", database] + list(keys),
                          env=nss_env(cache_path), capture_output=True, text=True,
                          timeout=timeout)
    return proc.returncode, [l for l in proc.stdout.splitlines() if l]


def passwd_entries(cache_path):
    """All passwd entries the NSS module enumerates: {name: fields}."""
    rc, lines = getent(cache_path, "passwd")
    out = {}
    for line in lines:
        fields = line.split(":")
        out[fields[0]] = fields
    return rc, out


def group_entries(cache_path):
    rc, lines = getent(cache_path, "group")
    out = {}
    for line in lines:
        fields = line.split(":")
        out[fields[0]] = fields
    return rc, out


def list_all(api, endpoint="/Users", page=500):
    """Every resource of an endpoint, following startIndex paging; raises on an error."""
    resources, start = [], 1
    while True:
        resp = api.get(endpoint, query={"startIndex": str(start), "count": str(page)})
        if resp.status != 200 or not isinstance(resp.json, dict):
            raise h.HarnessError("listing %s failed:\n%s" % (endpoint, resp.describe()))
        batch = resp.json.get("Resources") or []
        resources.extend(batch)
        total = resp.json.get("totalResults", 0)
        start += len(batch)
        if not batch or start > total:
            return resources


def login_of(user_name):
    """The login the default test config derives (login_name = localpart, lower-cased)."""
    return user_name.split("@", 1)[0].lower()


def cache_verify(instance, path=None):
    """`scimctl cache verify [PATH]`: (ok, output)."""
    args = ["cache", "verify"] + ([path] if path else [])
    proc = instance.scimctl(*args, check=False)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def sqlite_integrity(db_path):
    proc = subprocess.run(["sqlite3", db_path, "PRAGMA integrity_check;"], capture_output=True,
                          text=True, timeout=120)
    return (proc.stdout + proc.stderr).strip()


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None
