#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A hub restored from an older backup while its followers are ahead of it (docs/fleet.md,
"Restoring a hub from backup"). The hub keeps a reservation of change log sequences in its
guard file (uid-high-water, kept through the restore): started on the older database, it
moves its change log past the reservation, so each follower, ahead or behind, gets 410 and
takes a snapshot numbered above what it holds. Every follower then holds exactly the hub's
state (users created after the backup gone, a deactivation after it undone, as on the
hub), the uids of the lost users are not handed out again, and no follower ever installs a
snapshot older than what it held. Needs root."""
import os
import shutil
import sqlite3
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fleetharness as fh  # noqa: E402

SUPPORT = fh.fleet_support()
CONVERGE = 30.0  # a follower backs off after errors; a snapshot takes it well within this


def rows(db_path, sql, args=()):
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def users_of(inst):
    """{SCIM id: (login, uid, active)} in inst's store."""
    return {r[0]: (r[1], r[2], r[3])
            for r in rows(inst.db_path, "SELECT id, login, uid, active FROM users")}


def follow_seq(f):
    r = rows(f.db_path, "SELECT value FROM meta WHERE key = 'follow_seq'")
    return int(r[0][0]) if r else -1


def feed_seq(hub):
    r = rows(hub.db_path, "SELECT seq FROM sqlite_sequence WHERE name = 'changes'")
    return r[0][0] if r else 0


def backup(hub, dest):
    """sqlite3's online backup of the running hub's database, as docs/operations.md says."""
    src = sqlite3.connect(hub.db_path, timeout=10)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def put_back(hub, saved):
    """With the hub stopped: the database replaced by the backup, the guard file kept."""
    for suffix in ("-wal", "-shm"):
        if os.path.exists(hub.db_path + suffix):
            os.unlink(hub.db_path + suffix)
    shutil.copyfile(saved, hub.db_path)
    os.chmod(hub.db_path, 0o600)


@unittest.skipUnless(fh.have_fleet(), SUPPORT["why"])
@unittest.skipUnless(fh.h.backend_under_test() == "sqlite",
                     "reads and restores the hub's SQLite file (PostgreSQL: seq-reserve-pg)")
class HubRestored(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fleet = fh.Fleet()
        try:
            cls.hub, cls.api = cls.fleet.hub, cls.fleet.api
            cls.followers = [cls.fleet.follower("r1"), cls.fleet.follower("r2")]
        except BaseException:
            cls.fleet.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fleet.cleanup()

    def deactivate(self, user):
        r = self.api.patch_ops("/Users/" + user["id"], [{"op": "replace", "path": "active",
                                                          "value": False}])
        self.assertEqual(r.status, 200, r.describe())

    def wait_caught_up(self):
        seq = feed_seq(self.hub)
        for f in self.followers:
            fh.wait_for(lambda: follow_seq(f) >= seq,
                        "%s at the hub's sequence %d" % (f.fname, seq), timeout=CONVERGE)
        return seq

    def wait_same_as_hub(self):
        want = users_of(self.hub)
        for f in self.followers:
            fh.wait_for(lambda: users_of(f) == want, "%s holding exactly the hub's users"
                        % f.fname, timeout=CONVERGE)

    def restart_on(self, saved, adopt):
        """The documented restore; returns what `scimctl high-water adopt` printed."""
        self.hub.stop()
        out = ""
        try:
            put_back(self.hub, saved)
            if adopt:
                out = self.hub.scimctl("high-water", "adopt").stdout
        finally:
            self.hub.start()
        return out

    def test_followers_ahead_take_the_restored_hubs_state(self):
        api = self.api
        keep = [api.create_user("rsa%d@example.com" % i) for i in range(3)]
        victim = api.create_user("rsvictim@example.com")
        self.wait_caught_up()
        saved = os.path.join(self.hub.tmpdir, "backup.db")
        backup(self.hub, saved)
        before = users_of(self.hub)

        lost = [api.create_user("rsb%d@example.com" % i) for i in range(3)]
        self.deactivate(victim)
        ahead = self.wait_caught_up()
        for f in self.followers:
            self.assertIn(lost[0]["id"], users_of(f))
        lost_uids = {users_of(self.hub)[u["id"]][1] for u in lost}
        held = {f.fname: follow_seq(f) for f in self.followers}
        marks = {f.fname: len(f.log_text()) for f in self.followers}

        # The uid marks moved since the backup: the documented step is adopt, which also
        # moves the change log past the guard's reservation.
        adopted = self.restart_on(saved, adopt=True)
        self.assertEqual(users_of(self.hub), before)
        self.wait_same_as_hub()
        self.assertGreater(feed_seq(self.hub), ahead, "the change log did not move past "
                           "the sequences the hub handed out")
        self.assertIn("every host will take a new snapshot", adopted)

        # New users after the restore: fresh uids, never the lost users'.
        new = [api.create_user("rsc%d@example.com" % i) for i in range(3)]
        self.wait_same_as_hub()
        hub_users = users_of(self.hub)
        for u in new:
            self.assertNotIn(hub_users[u["id"]][1], lost_uids)
        for f in self.followers:
            got = users_of(f)
            for u in lost:
                self.assertNotIn(u["id"], got, "%s kept a user the hub lost" % f.fname)
            self.assertEqual(got[victim["id"]][2], 1, "%s kept a deactivation the hub "
                             "lost" % f.fname)
            self.assertGreater(follow_seq(f), held[f.fname],
                               "%s went back to an older sequence" % f.fname)
            log = f.log_text()[marks[f.fname]:]
            self.assertNotIn("ahead of the hub", log)
            self.assertNotIn("older feed replayed", log)
            self.assertIn("taking a snapshot", log)

    def test_follow_resync_for_a_hub_without_reservation(self):
        """A guard file without the reservation (an older scimd wrote it): the followers
        ahead get 409 and keep their state; `scimctl follow resync` on each, running or
        stopped, makes it take the hub's older snapshot."""
        api = self.api
        u = api.create_user("rsg@example.com")
        self.wait_caught_up()
        saved = os.path.join(self.hub.tmpdir, "backup3.db")
        backup(self.hub, saved)
        lost = api.create_user("rsh@example.com")
        self.deactivate(u)
        self.wait_caught_up()
        self.hub.stop()
        put_back(self.hub, saved)
        with open(self.hub.hwm_path) as f:
            kept = [line for line in f if not line.startswith("feed_seq_reserved ")]
        with open(self.hub.hwm_path, "w") as f:
            f.writelines(kept)
        self.hub.scimctl("high-water", "adopt")
        self.hub.start()
        running, stopped = self.followers
        fh.wait_for(lambda: "ahead of the hub" in running.log_text(), "409 on %s"
                    % running.fname, timeout=CONVERGE)
        self.assertIn(lost["id"], users_of(running))

        p = self.hub.scimctl("follow", "resync", check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("not a follower", p.stderr)
        p = running.scimctl("follow", "resync", "now", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage: scimctl follow resync", p.stderr)
        self.assertIn("snapshot", running.scimctl("follow", "--help").stdout)
        self.assertIn(lost["id"], users_of(running), "a refused command changed the host")

        out = running.scimctl("follow", "resync").stdout
        self.assertIn("forgot sequence", out)
        stopped.stop()
        self.assertIn("forgot sequence", stopped.scimctl("follow", "resync").stdout)
        self.assertIn("holds no hub sequence", stopped.scimctl("follow", "resync").stdout)
        stopped.start()
        running.restart()
        self.wait_same_as_hub()
        for f in self.followers:
            self.assertNotIn(lost["id"], users_of(f))
            self.assertEqual(users_of(f)[u["id"]][2], 1)

    def test_restart_on_older_database_alone_moves_the_feed(self):
        """No uid handed out since the backup (scimd starts without adopt): the start
        itself moves the change log and says so."""
        api = self.api
        u = api.create_user("rsd@example.com")
        self.wait_caught_up()
        saved = os.path.join(self.hub.tmpdir, "backup2.db")
        backup(self.hub, saved)
        self.deactivate(u)
        ahead = self.wait_caught_up()
        for f in self.followers:
            self.assertEqual(users_of(f)[u["id"]][2], 0)
        mark = len(self.hub.log_text())
        self.restart_on(saved, adopt=False)
        self.wait_same_as_hub()
        self.assertIn("the database is behind the sequences this hub handed out",
                      self.hub.log_text()[mark:])
        self.assertGreater(feed_seq(self.hub), ahead)
        for f in self.followers:
            self.assertEqual(users_of(f)[u["id"]][2], 1)
        # Changes after the restore reach every follower from the new sequence on.
        self.deactivate(u)
        self.wait_same_as_hub()

    def test_clean_restart_moves_nothing(self):
        """A hub stopped cleanly leaves the reservation level with its change log: the next
        start keeps the feed where it was (no host re-takes a snapshot)."""
        self.api.create_user("rse@example.com")
        seq = self.wait_caught_up()
        mark = len(self.hub.log_text())
        self.assertEqual(self.hub.stop(), 0)
        try:
            with open(self.hub.hwm_path) as f:
                guard = dict(line.split() for line in f if line.strip())
        finally:
            self.hub.start()
        self.assertEqual(guard.get("feed_seq_reserved"), str(seq),
                         "a clean stop leaves the reservation at the change log's sequence")
        self.assertNotIn("behind the sequences", self.hub.log_text()[mark:])
        self.assertEqual(feed_seq(self.hub), seq)
        floor = rows(self.hub.db_path, "SELECT value FROM meta WHERE key = 'changes_floor'")
        self.assertLess(int(floor[0][0]), seq)
        time.sleep(0.5)
        self.api.create_user("rsf@example.com")
        self.wait_same_as_hub()


if __name__ == "__main__":
    unittest.main(verbosity=2)
