#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 14 end to end: one hub scimd taking SCIM, real follower scimds on loopback, each
with its own store, cache and NSS/PAM view (getent -s scim and pamtester on that
follower's cache). What a fleet promises (docs/fleet.md): the same uid and gids
everywhere, a deactivation denied on every follower within seconds, local accounts win
and the hub lists the conflict, scoped followers see only their groups; and under faults
(hub killed mid-change, follower killed, offline past retention, tampered bytes, a
replayed snapshot, another key, a revoked token) nothing acknowledged is lost, nothing
bad is installed and logins keep resolving. Needs root (unshare -m, pamtester)."""
import os
import re
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fleetharness as fh  # noqa: E402
from fleetharness import h, nssenv, scimns  # noqa: E402

SUPPORT = fh.fleet_support()
PROPAGATE = 10.0   # seconds a change may take to reach a connected follower (it takes ~1)
DENY_WITHIN = 5.0  # "within a few seconds"


def host_conflicts(text):
    """{host name: [its indented conflict lines]} from `scimctl host list`."""
    out, host = {}, None
    for line in text.splitlines()[1:]:
        if line[:1].isspace():
            if host is not None and line.strip():
                out[host].append(line.strip())
        elif line.strip():
            host = line.split()[0]
            out[host] = []
    return out


def login(user_name):
    return user_name.split("@", 1)[0].lower()


@unittest.skipUnless(fh.have_fleet(), SUPPORT["why"])
class Fleet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fleet = fh.Fleet()
        try:
            cls.hub, cls.api = cls.fleet.hub, cls.fleet.api
            cls.bob_uid = scimns.free_local_id(4300)
            cls.f1 = cls.fleet.follower("f1")
            cls.f2 = cls.fleet.follower("f2")
            # f3 has a local account fltbob of its own (its /etc, its namespace).
            cls.f3 = cls.fleet.follower("f3", local_users=[
                scimns.LocalUser("fltbob", cls.bob_uid, "/home/fltbob")])
            cls.three = [cls.f1, cls.f2, cls.f3]
            cls.scoped = cls.fleet.follower("f4scoped", groups="fltops")
        except BaseException:
            cls.fleet.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fleet.cleanup()

    # -- helpers ---------------------------------------------------------------------------
    def create(self, user_name, **attrs):
        return self.api.create_user(user_name, **attrs)

    def hub_passwd(self, name):
        rc, out = nssenv.getent(self.hub, "passwd", name)
        self.assertEqual(rc, 0, "%s does not resolve on the hub" % name)
        f = nssenv.passwd_fields(out.splitlines()[0])
        return int(f[2]), int(f[3])

    def wait_hub(self, name):
        fh.wait_for(lambda: nssenv.getent(self.hub, "passwd", name)[0] == 0,
                    "%s in the hub's cache" % name)
        return self.hub_passwd(name)

    def wait_on(self, followers, name, timeout=PROPAGATE):
        for f in followers:
            fh.wait_for(lambda: f.passwd(name) is not None, "%s on follower %s (log tail:\n%s)"
                        % (name, f.fname, f.log_tail(15)), timeout)

    def assertLogs(self, f, pattern, what):
        fh.wait_for(lambda: re.search(pattern, f.log_text(), re.I),
                    "follower %s logging why it refused %s (/%s/)" % (f.fname, what, pattern),
                    timeout=5)

    def proxied(self, name, **kw):
        f = self.fleet.follower(name, via_proxy=True, **kw)
        return f, f.proxy

    # -- the fleet promises ----------------------------------------------------------------
    def test_same_uid_and_role_gids_on_every_follower(self):
        u = self.create("fltalice@example.com", roles=[{"value": "fltdevs", "primary": True}])
        uid, gid = self.wait_hub("fltalice")
        rc, out = nssenv.getent(self.hub, "group", "fltdevs")
        self.assertEqual(rc, 0, "role group fltdevs on the hub")
        role_gid = nssenv.group_fields(out.splitlines()[0])[1]
        self.wait_on(self.three, "fltalice")
        for f in self.three:
            self.assertEqual(f.passwd("fltalice"), (uid, gid),
                             "follower %s: uid/gid differ from the hub's" % f.fname)
            grp = f.group("fltdevs")
            self.assertIsNotNone(grp, "role group fltdevs on follower %s" % f.fname)
            self.assertEqual(grp[0], role_gid, "follower %s: role gid differs" % f.fname)
            self.assertIn("fltalice", f.getent("initgroups", "fltalice")[1])
        self.assertTrue(u["id"])

    def test_deactivation_denied_on_every_follower(self):
        u = self.create("fltdeact@example.com")
        self.wait_on(self.three, "fltdeact")
        for f in self.three:
            fh.wait_for(lambda: f.pam("fltdeact"), "pam_scim granting fltdeact on %s" % f.fname)
        r = self.api.patch_ops("/Users/" + u["id"], [{"op": "replace", "path": "active",
                                                       "value": False}])
        self.assertEqual(r.status, 200, r.describe())
        t0 = time.monotonic()
        for f in self.three:
            fh.wait_for(lambda: not f.pam("fltdeact"),
                        "pam_scim denying fltdeact on %s" % f.fname,
                        timeout=max(0.1, DENY_WITHIN - (time.monotonic() - t0)))
        sys.stderr.write("deactivation denied on all followers after %.2f s\n"
                         % (time.monotonic() - t0))

    def test_local_account_wins_and_hub_lists_conflict(self):
        self.create("fltbob@example.com")
        hub_uid, _ = self.wait_hub("fltbob")
        self.assertNotEqual(hub_uid, self.bob_uid)
        self.wait_on([self.f1, self.f2], "fltbob")
        # f3 is as current as the others once a later user is there.
        self.create("fltbob2@example.com")
        self.wait_on([self.f3], "fltbob2")
        self.assertIsNone(self.f3.passwd("fltbob"),
                          "f3 materialized fltbob over its local account")
        p = self.f3.in_etc(["getent", "passwd", "fltbob"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(int(p.stdout.split(":")[2]), self.bob_uid,
                         "f3's own fltbob must keep its local uid: %r" % p.stdout)
        fh.wait_for(lambda: any("fltbob" in c
                                for c in host_conflicts(self.hub.host_list()).get("f3", [])),
                    "`scimctl host list` on the hub listing f3's conflict over fltbob")
        listed = host_conflicts(self.hub.host_list())
        for name in ("f1", "f2"):
            self.assertEqual(listed.get(name), [], "%s reported no conflict:\n%s"
                             % (name, self.hub.host_list()))

    # -- local wins by id: f3's own /etc gets an entry holding the id the hub hands out next
    # (added while f3 runs: at start scimd refuses local ids inside its ranges) -----------
    def next_hub_id(self, lo, hi, hwm_key):
        """The id the hub allocates next in lo..hi: above its ledger and high-water mark
        (the hub host's own NSS holds no test-range id)."""
        conn = self.hub.db()
        try:
            top = conn.execute("SELECT MAX(id) FROM id_ledger WHERE id BETWEEN ? AND ?",
                               (lo, hi)).fetchone()[0]
            hwm = conn.execute("SELECT value FROM meta WHERE key = ?", (hwm_key,)).fetchone()
        finally:
            conn.close()
        return max(lo, (top if top is not None else lo - 1) + 1,
                   (int(hwm[0]) + 1) if hwm else lo)

    def add_f3_local(self, rel, line):
        """Appends line to f3's own /etc/<rel> until the test ends."""
        path = os.path.join(self.f3.etc_dir, rel)
        with open(path) as f:
            before = f.read()

        def restore():
            with open(path, "w") as f:
                f.write(before)

        self.addCleanup(restore)
        with open(path, "a") as f:
            f.write(line + "\n")

    def wait_conflict(self, host, needle, what):
        fh.wait_for(lambda: any(needle in c
                                for c in host_conflicts(self.hub.host_list()).get(host, [])),
                    "`scimctl host list` on the hub listing %s's conflict: %s (listed:\n%s)"
                    % (host, what, self.hub.host_list()))

    def assert_f3_caught_up(self, marker):
        """f3 has applied everything before now: a user created now reaches it."""
        self.create(marker + "@example.com")
        self.wait_on([self.f3], marker)

    def test_local_uid_wins_and_hub_lists_conflict(self):
        uid = self.next_hub_id(h.TEST_UID_MIN, h.TEST_UID_MAX, "uid_hwm")
        self.add_f3_local("passwd", "fltuidloc:x:%d:%d:local:/nonexistent:/bin/sh" % (uid, uid))
        self.create("fltuidhub@example.com")
        hub_uid, _ = self.wait_hub("fltuidhub")
        self.assertEqual(hub_uid, uid, "the hub did not hand out the uid the test predicted")
        self.wait_on([self.f1, self.f2], "fltuidhub")
        for f in (self.f1, self.f2):
            self.assertEqual(f.passwd("fltuidhub")[0], uid, "uid of fltuidhub on %s" % f.fname)
        self.assert_f3_caught_up("fltuidhub2")
        self.assertIsNone(self.f3.passwd("fltuidhub"),
                          "f3 materialized fltuidhub with the uid of its local fltuidloc")
        self.assertNotEqual(self.f3.getent("passwd", str(uid))[0], 0,
                            "uid %d resolves through scim on f3" % uid)
        p = self.f3.in_etc(["getent", "passwd", str(uid)])
        self.assertEqual(p.stdout.split(":")[0], "fltuidloc", p.stdout + p.stderr)
        self.wait_conflict("f3", "uid %d is taken locally by 'fltuidloc'" % uid, "fltuidhub")
        self.assertLogs(self.f3, r"user 'fltuidhub' .* stays off this host: uid %d" % uid,
                        "fltuidhub")
        listed = host_conflicts(self.hub.host_list())
        for name in ("f1", "f2"):
            self.assertFalse([c for c in listed.get(name, []) if "fltuidhub" in c],
                             "%s reported a conflict over fltuidhub" % name)

    def test_local_private_group_gid_wins(self):
        # A local group holding the gid of a hub user's private group (its uid) wins too.
        uid = self.next_hub_id(h.TEST_UID_MIN, h.TEST_UID_MAX, "uid_hwm")
        self.add_f3_local("group", "fltpgloc:x:%d:" % uid)
        self.create("fltpghub@example.com")
        self.assertEqual(self.wait_hub("fltpghub")[0], uid,
                         "the hub did not hand out the uid the test predicted")
        self.wait_on([self.f1, self.f2], "fltpghub")
        self.assert_f3_caught_up("fltpghub2")
        self.assertIsNone(self.f3.passwd("fltpghub"),
                          "f3 materialized fltpghub over its local group of gid %d" % uid)
        self.wait_conflict("f3", "gid %d is taken locally by group 'fltpgloc'" % uid,
                           "fltpghub")

    def test_local_gid_wins_and_hub_lists_conflict(self):
        member = self.create("fltgidm@example.com")
        gid = self.next_hub_id(h.TEST_GID_MIN, h.TEST_GID_MAX, "gid_hwm")
        self.add_f3_local("group", "fltgidloc:x:%d:" % gid)
        r = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "fltgidhub",
                                      "members": [{"value": member["id"]}]})
        self.assertEqual(r.status, 201, r.describe())
        for f in (self.f1, self.f2):
            fh.wait_for(lambda: f.group("fltgidhub") is not None,
                        "group fltgidhub on %s" % f.fname, PROPAGATE)
            self.assertEqual(f.group("fltgidhub")[0], gid,
                             "gid of fltgidhub on %s (the hub did not hand out the gid the "
                             "test predicted?)" % f.fname)
        self.assert_f3_caught_up("fltgidm2")
        self.assertIsNotNone(self.f3.passwd("fltgidm"), "the group's member on f3")
        self.assertIsNone(self.f3.group("fltgidhub"),
                          "f3 materialized group fltgidhub with the gid of its local fltgidloc")
        self.wait_conflict("f3", "gid %d is taken locally by group 'fltgidloc'" % gid,
                           "fltgidhub")
        listed = host_conflicts(self.hub.host_list())
        for name in ("f1", "f2"):
            self.assertFalse([c for c in listed.get(name, []) if "fltgidhub" in c],
                             "%s reported a conflict over fltgidhub" % name)

    def test_local_uid_added_later_keeps_hub_user(self):
        # fltlate is on f3 before a local account takes its uid: it stays and keeps
        # following the hub (its deactivation still reaches f3), and the clash is reported.
        u = self.create("fltlate@example.com")
        self.wait_on(self.three, "fltlate")
        uid = self.f3.passwd("fltlate")[0]
        self.add_f3_local("passwd", "fltlateloc:x:%d:%d:local:/nonexistent:/bin/sh"
                          % (uid, uid))
        r = self.api.patch_ops("/Users/" + u["id"], [{"op": "replace", "path": "active",
                                                       "value": False}])
        self.assertEqual(r.status, 200, r.describe())
        fh.wait_for(lambda: not self.f3.pam("fltlate"), "pam_scim denying fltlate on f3",
                    timeout=PROPAGATE)
        self.assertEqual(self.f3.passwd("fltlate"), self.hub_passwd("fltlate"),
                         "f3 dropped or changed fltlate when a local account took its uid")
        self.wait_conflict("f3", "uid %d is also held locally by 'fltlateloc'" % uid,
                           "fltlate")

    def test_scoped_follower_sees_only_its_groups(self):
        carol = self.create("fltcarol@example.com")
        self.create("fltdave@example.com")
        r = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "fltops",
                                      "members": [{"value": carol["id"]}]})
        self.assertEqual(r.status, 201, r.describe())
        self.wait_on([self.f1], "fltdave")
        self.wait_on([self.f1], "fltcarol")
        self.wait_on([self.scoped], "fltcarol")
        self.assertTrue(fh.holds(lambda: self.scoped.passwd("fltdave") is None, 1.5),
                        "the follower scoped to fltops materialized fltdave, not a member")
        self.assertIsNone(self.scoped.passwd("fltalice"))

    # -- faults --------------------------------------------------------------------------
    def test_hub_killed_mid_change_nothing_acknowledged_lost(self):
        self.create("fltpre@example.com")
        self.wait_on(self.three, "fltpre")
        acked, stop = [], threading.Event()

        def push():
            i = 0
            while not stop.is_set():
                name = "fltk%03d@example.com" % i
                try:
                    r = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                                 "active": True})
                except Exception:
                    return
                if r.status == 201:
                    acked.append(login(name))
                i += 1

        t = threading.Thread(target=push)
        t.start()
        try:
            fh.wait_for(lambda: len(acked) >= 5, "five acknowledged creations", timeout=20)
            self.hub.kill()
            stop.set()
            t.join(30)
            # Hub down: logins keep resolving and PAM keeps answering on every follower.
            for f in self.three:
                self.assertIsNotNone(f.passwd("fltpre"), "%s lost fltpre with the hub down"
                                     % f.fname)
                self.assertTrue(f.pam("fltpre"), "pam_scim on %s with the hub down"
                                % f.fname)
            sys.stderr.write("%d creations acknowledged before the hub was killed\n"
                             % len(acked))
            time.sleep(1.0)
        finally:
            stop.set()
            t.join(30)
            if self.hub.proc.poll() is not None:
                self.hub.start()  # the other tests need their hub back
        for name in acked:
            self.wait_on(self.three, name, timeout=30)
        for name in acked[:3] + acked[-2:]:
            want = self.hub_passwd(name)
            for f in self.three:
                self.assertEqual(f.passwd(name), want, "%s on %s" % (name, f.fname))

    def test_follower_killed_resumes_from_its_sequence(self):
        f, proxy = self.proxied("fresume")
        self.create("fltres1@example.com")
        self.wait_on([f], "fltres1")
        f.kill()
        self.create("fltres2@example.com")
        before = len(proxy.seen())
        f.start()
        self.wait_on([f], "fltres2")
        self.assertIsNotNone(f.passwd("fltres1"))
        after = [p for (_, p, _) in proxy.seen()[before:] if p.startswith("/fleet/v1/")]
        self.assertTrue(after, "no feed request after the restart")
        self.assertTrue(after[0].startswith("/fleet/v1/changes"),
                        "after a restart the follower must resume with changes?since=N, "
                        "not %s" % after[0])
        self.assertGreater(fh.since_of(after[0]) or 0, 0, after[0])

    def test_offline_past_retention_takes_snapshot_after_410(self):
        f, proxy = self.proxied("fretain")
        old = self.create("fltold2@example.com")
        self.create("fltold1@example.com")
        self.wait_on([f], "fltold2")
        self.wait_on([f], "fltold1")
        f.stop()
        self.create("fltnew@example.com")
        r = self.api.delete("/Users/" + old["id"])
        self.assertEqual(r.status, 204, r.describe())
        self.hub.prune_changes()
        before = len(proxy.seen())
        f.start()
        self.wait_on([f], "fltnew")
        fh.wait_for(lambda: f.passwd("fltold2") is None, "fltold2 gone from fretain")
        self.assertIsNotNone(f.passwd("fltold1"))
        seen = [(p.split("?")[0], s) for (_, p, s) in proxy.seen()[before:]]
        self.assertIn(("/fleet/v1/changes", 410), seen, seen)
        self.assertIn(("/fleet/v1/snapshot", 200), seen, seen)
        self.assertLess(seen.index(("/fleet/v1/changes", 410)),
                        seen.index(("/fleet/v1/snapshot", 200)), seen)

    def test_tampered_change_set_is_refused(self):
        f, proxy = self.proxied("ftamperc")
        self.create("fltbase@example.com")
        self.wait_on([f], "fltbase")
        hits = []

        def tamper(path, status, headers, body):
            if path.startswith("/fleet/v1/changes") and status == 200:
                out = fh.flip(body, b'"login":"flttampa"', b'"login":"flttampb"')
                if out is not None:
                    hits.append(path)
                    return status, headers, out
            return status, headers, body
        proxy.tamper = tamper
        self.create("flttampa@example.com")
        fh.wait_for(lambda: hits, "the proxy tampering with a change set")
        self.assertTrue(fh.holds(lambda: f.passwd("flttampb") is None
                                 and f.passwd("flttampa") is None
                                 and f.passwd("fltbase") is not None, 2.0),
                        "ftamperc installed a tampered change set or lost its state")
        self.assertLogs(f, r"signature|verif", "a tampered change set")
        proxy.tamper = None
        self.wait_on([f], "flttampa", timeout=70)

    def force_snapshot(self, proxy):
        """The proxy answers every changes request with 410, so the follower fetches
        snapshots (a status code is not signed: anyone on the path can ask for this)."""
        proxy.respond = (lambda m, p: (410, [("Content-Type", "application/json")], b"{}")
                         if p.startswith("/fleet/v1/changes") else None)

    def test_tampered_snapshot_is_refused(self):
        f, proxy = self.proxied("ftampers")
        self.create("fltsnap@example.com")
        self.wait_on([f], "fltsnap")
        hits = []

        def tamper(path, status, headers, body):
            if path.startswith("/fleet/v1/snapshot") and status == 200:
                out = fh.flip(body, b'"login":"fltsnap"', b'"login":"fltsnaq"')
                if out is not None:
                    hits.append(path)
                    return status, headers, out
            return status, headers, body
        proxy.tamper = tamper
        self.force_snapshot(proxy)
        fh.wait_for(lambda: hits, "the follower fetching a (tampered) snapshot")
        self.assertTrue(fh.holds(lambda: f.passwd("fltsnaq") is None
                                 and f.passwd("fltsnap") is not None, 2.0),
                        "ftampers installed a tampered snapshot or lost its state")
        self.assertLogs(f, r"signature|verif", "a tampered snapshot")

    def test_replayed_older_snapshot_is_refused(self):
        f, proxy = self.proxied("freplay")
        fh.wait_for(lambda: proxy.snapshots, "freplay's first snapshot")
        old_headers, old_body = proxy.snapshots[0]
        self.create("fltrep@example.com")
        self.wait_on([f], "fltrep")
        hits = []

        def respond(method, path):
            if path.startswith("/fleet/v1/changes"):
                return 410, [("Content-Type", "application/json")], b"{}"
            if path.startswith("/fleet/v1/snapshot"):
                hits.append(path)
                return 200, old_headers, old_body
            return None
        proxy.respond = respond
        fh.wait_for(lambda: hits, "the follower fetching the replayed snapshot")
        self.assertTrue(fh.holds(lambda: f.passwd("fltrep") is not None, 2.0),
                        "freplay installed an older snapshot (fltrep vanished)")
        self.assertLogs(f, r"rollback|older|behind|replay", "a replayed older snapshot")

    def test_snapshot_signed_by_another_key_is_refused(self):
        rotation, evil = fh.Signer(), fh.Signer()
        f, proxy = self.proxied("fkeys", keys=[self.hub.public_key, rotation.pub_b64])
        self.create("fltkey@example.com")
        self.wait_on([f], "fltkey")
        signer, hits = [evil], []

        def tamper(path, status, headers, body):
            if path.startswith("/fleet/v1/snapshot") and status == 200:
                out = fh.flip(body, b'"login":"fltkey"', b'"login":"fltkez"')
                if out is not None:
                    hits.append(signer[0])
                    return status, fh.with_header(headers, "Scimd-Signature",
                                                  signer[0].sign(out)), out
            return status, headers, body
        proxy.tamper = tamper
        self.force_snapshot(proxy)
        fh.wait_for(lambda: evil in hits, "the follower fetching a snapshot signed by "
                    "another key")
        self.assertTrue(fh.holds(lambda: f.passwd("fltkez") is None
                                 and f.passwd("fltkey") is not None, 2.0),
                        "fkeys installed a snapshot signed by a key it does not pin")
        self.assertLogs(f, r"signature|key|verif", "a snapshot signed by another key")
        # The same forgery signed by the second pinned key (rotation) is taken: so the
        # refusal above was the key's doing, not a malformed signature.
        self.create("fltkey2@example.com")
        signer[0] = rotation
        fh.wait_for(lambda: f.passwd("fltkez") is not None,
                    "fkeys taking a snapshot signed by its second pinned key", timeout=70)

    def test_revoked_host_token_gets_401_and_cache_keeps_serving(self):
        f, proxy = self.proxied("frevoked")
        self.create("fltrev1@example.com")
        self.wait_on([f], "fltrev1")
        self.hub.scimctl("host", "revoke", "frevoked")
        fh.wait_for(lambda: any(s == 401 for (_, _, s) in proxy.seen()),
                    "the hub answering frevoked's next request with 401", timeout=15)
        self.create("fltrev2@example.com")
        self.wait_on([self.f1], "fltrev2")
        self.assertTrue(fh.holds(lambda: f.passwd("fltrev2") is None
                                 and f.passwd("fltrev1") is not None, 1.5),
                        "a revoked follower must neither get news nor drop its cache")
        self.assertTrue(f.pam("fltrev1"), "pam_scim on the revoked follower's cache")
        self.assertLogs(f, r"401|unauthori|revoked|token", "its revoked token")


if __name__ == "__main__":
    unittest.main(verbosity=2)
