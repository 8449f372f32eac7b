# SPDX-License-Identifier: MIT
"""Crash safety: SIGKILL scimd at many random moments of a bulk import by concurrent
clients, restart it each time, then check that nothing acknowledged was lost, that the
store, the API and the exported cache agree, and that an NSS reader running the whole time
never saw the cache missing, torn or invalid.

Size: HARDEN_CRASH_USERS (default 10000), HARDEN_CRASH_CLIENTS (6), HARDEN_CRASH_KILLS (24):
the whole test takes about a minute on 2 cores; raise them for a longer soak."""

import http.client
import os
import random
import subprocess
import threading
import time
import unittest

from hardening_util import (cache_verify, getent, h, list_all, login_of, nss_env,
                            passwd_entries)

N_USERS = int(os.environ.get("HARDEN_CRASH_USERS", "10000"))
N_CLIENTS = int(os.environ.get("HARDEN_CRASH_CLIENTS", "6"))
N_KILLS = int(os.environ.get("HARDEN_CRASH_KILLS", "24"))
SENTINEL = "sentinel@example.com"

TRANSIENT = (ConnectionError, OSError, http.client.HTTPException, h.HarnessError)


class Ledger:
    """What the clients were told: acked[id] = userName for every 201; maybe = userNames
    whose request got no answer (the daemon died): they may or may not be stored."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}
        self.maybe = set()
        self.errors = []
        self.busy = 0

    def ack_count(self):
        with self.lock:
            return len(self.acked)


def import_worker(api, names, ledger, stop):
    for name in names:
        while not stop.is_set():
            try:
                resp = api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                           "active": True,
                                           "name": {"givenName": "Crash", "familyName": name}})
            except TRANSIENT:
                with ledger.lock:
                    ledger.maybe.add(name)
                time.sleep(0.05)
                continue
            with ledger.lock:
                if resp.status == 201:
                    ledger.acked[resp.json["id"]] = name
                    ledger.maybe.discard(name)
                elif resp.status == 409 and name in ledger.maybe:
                    pass  # an earlier unanswered attempt was stored: fine, not acked
                elif resp.status == 503:
                    # "not ready yet" while starting up is an answer, not a loss: retry
                    ledger.busy += 1
                    time.sleep(0.05)
                    continue
                else:
                    ledger.errors.append(resp.describe())
            break


class NssReader(threading.Thread):
    """Loops getent for the sentinel and for users it has already resolved once: any
    failure after a first success means a reader saw a missing, torn or invalid cache."""

    def __init__(self, cache_path, ledger):
        super().__init__(daemon=True)
        self.cache_path = cache_path
        self.ledger = ledger
        self.stop = threading.Event()
        self.lookups = 0
        self.failures = []
        self.seen = {}  # login -> passwd line
        self.rng = random.Random(7)

    def check(self, login):
        proc = subprocess.run(["getent", "-s", "scim", "passwd", login],
                              env=nss_env(self.cache_path), capture_output=True, text=True,
                              timeout=20)
        self.lookups += 1
        line = proc.stdout.strip()
        if proc.returncode == 0 and line.startswith(login + ":"):
            if login in self.seen and self.seen[login] != line:
                self.failures.append("%s changed from %r to %r" % (login, self.seen[login], line))
            self.seen.setdefault(login, line)
        elif login in self.seen:
            self.failures.append("getent passwd %s failed (rc %d, %r) after succeeding"
                                 % (login, proc.returncode, line + proc.stderr.strip()))

    def run(self):
        while not self.stop.is_set():
            self.check(login_of(SENTINEL))
            with self.ledger.lock:
                names = list(self.ledger.acked.values())
            if names:
                self.check(login_of(self.rng.choice(names)))
            if len(self.seen) > 1:
                self.check(self.rng.choice(sorted(self.seen)))


class CrashSafetyTest(unittest.TestCase):
    maxDiff = None

    def test_sigkill_during_import_loses_nothing(self):
        inst = h.start_instance(name="crash")
        self.addCleanup(inst.cleanup)
        api = inst.client()
        api.create_user(SENTINEL)
        h.wait_until(lambda: getent(inst.cache_path, "passwd", login_of(SENTINEL))[0] == 0,
                     timeout=15, what="the sentinel user in the NSS cache")

        ledger = Ledger()
        reader = NssReader(inst.cache_path, ledger)
        reader.start()
        names = ["crash%05d@example.com" % i for i in range(N_USERS)]
        stop = threading.Event()
        workers = [threading.Thread(target=import_worker,
                                    args=(inst.client(), names[k::N_CLIENTS], ledger, stop),
                                    daemon=True) for k in range(N_CLIENTS)]
        started = time.monotonic()
        for w in workers:
            w.start()

        # Kill points spread over the import: one each time the acknowledged count passes
        # a jittered threshold, so kills land early, midway and late, under load.
        rng = random.Random(int(os.environ.get("HARDEN_CRASH_SEED", "20240601")))
        step = N_USERS / (N_KILLS + 1)
        thresholds = sorted(int((k + 1) * step + rng.uniform(-step / 3, step / 3))
                            for k in range(N_KILLS))
        kills = 0
        bad_after_kill = []
        try:
            for threshold in thresholds:
                while ledger.ack_count() < threshold and any(w.is_alive() for w in workers):
                    time.sleep(0.005)
                time.sleep(rng.uniform(0, 0.05))  # not exactly at the acknowledgement
                inst.kill()
                kills += 1
                # what a crash leaves on disk is a complete, valid cache (old or new)
                for path in (inst.cache_path, inst.shadow_path):
                    ok, out = cache_verify(inst, path)
                    if not ok:
                        bad_after_kill.append("kill %d: %s" % (kills, out))
                inst.start()
            for w in workers:
                w.join(timeout=600)
                self.assertFalse(w.is_alive(), "an import client hung")
        finally:
            stop.set()
        import_seconds = time.monotonic() - started
        self.assertGreaterEqual(kills, min(N_KILLS, 20))
        self.assertEqual(ledger.errors, [], "unexpected answers during the import")
        self.assertEqual(bad_after_kill, [], "a SIGKILL left an invalid cache behind")

        # One more crash with no traffic, then the final daemon must catch up the cache.
        inst.kill()
        inst.start()
        api = inst.client()

        with ledger.lock:
            acked = dict(ledger.acked)
            maybe = set(ledger.maybe)
        lost = []
        for uid, name in acked.items():
            resp = api.get("/Users/" + uid)
            if resp.status != 200 or resp.json.get("userName", "").lower() != name:
                lost.append((uid, name, resp.status))
        self.assertEqual(lost, [], "acknowledged users lost after %d SIGKILLs" % kills)

        users = list_all(api)
        api_names = [u["userName"].lower() for u in users]
        self.assertEqual(len(api_names), len(set(api_names)), "duplicate userNames stored")
        expected = set(acked.values()) | {SENTINEL}
        self.assertTrue(expected <= set(api_names))
        extra = set(api_names) - expected
        self.assertTrue(extra <= maybe,
                        "stored users nobody asked for: %s" % sorted(extra - maybe)[:10])
        api_ids = {u["id"] for u in users}
        self.assertTrue(set(acked) <= api_ids)

        # The cache converges on exactly the store's users.
        api_logins = {login_of(n) for n in api_names}

        def cache_matches():
            rc, entries = passwd_entries(inst.cache_path)
            return rc == 0 and set(entries) == api_logins

        h.wait_until(cache_matches, timeout=60, interval=0.5,
                     what="getent -s scim passwd to list exactly the API's users")
        ok, out = cache_verify(inst)
        self.assertTrue(ok, "scimctl cache verify: " + out)
        ok, out = cache_verify(inst, inst.shadow_path)
        self.assertTrue(ok, "scimctl cache verify (shadow): " + out)
        rc, entries = passwd_entries(inst.cache_path)
        uids = [int(f[2]) for f in entries.values()]
        self.assertEqual(len(uids), len(set(uids)), "two users share a uid")
        self.assertTrue(all(h.TEST_UID_MIN <= u <= h.TEST_UID_MAX for u in uids))

        reader.stop.set()
        reader.join(timeout=60)
        self.assertEqual(reader.failures[:20], [],
                         "the NSS reader saw an unavailable or inconsistent cache")
        self.assertGreater(reader.lookups, 100, "the NSS reader loop barely ran")

        self.assertEqual(inst.stop(), 0, "scimd did not exit cleanly on SIGTERM")
        self.assertEqual(inst.store_integrity(), "ok")
        print("# %d users acknowledged, %d unanswered, %d answered 503, %d SIGKILLs, import "
              "%.1f s, %d NSS lookups" % (len(acked), len(maybe), ledger.busy, kills,
                                          import_seconds, reader.lookups))


if __name__ == "__main__":
    unittest.main(verbosity=2)
