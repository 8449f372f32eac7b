# SPDX-License-Identifier: MIT
"""`scimctl cache dump --json` against the caches a real scimd exports: the NSS file's users
(uid, gid, home, shell, active, supplementary gids, SSH key count, subordinate id slice) and
groups (kind, members) and the shadow file's entries (locked, whether a hash is set, never the
hash) as one document json.loads reads, agreeing with the text dump; a damaged record, a file
that is not a cache and a missing one fail with status 1 and nothing on stdout; --json on
`cache verify` is a usage error."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main  # noqa: E402

# Clear of the harness's uid/gid ranges and of useradd's SUB_UID/SUB_GID pool, as in
# accounts/test_subids.py.
SLICE = 65536
SUB_MIN = 810000000
PASSWORD = "Dump-json-secret-42!"
# Two well-formed keys (the key bytes only have to decode; they are not real keys).
SSH_KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9yZ2FuaXNhdGlvbi1zYW1lLW5hbWUtdGVzdC1rZXkx one",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5IGZvciBzY2ltZCB0ZXN0cyBvbmx5 two"]


def text_users(out):
    """login -> (its passwd fields, state, groups=, ssh_keys=, subids=) from the text dump (the
    gecos may hold spaces: the words are taken from the end)."""
    users = {}
    for line in out.splitlines():
        if line.startswith("  ") and ":x:" in line and " groups=" in line:
            entry, state, groups, keys, subids = line.strip().rsplit(" ", 4)
            fields = entry.split(":")
            users[fields[0]] = (fields, state, groups, keys, subids)
    return users


class CacheDumpJson(ScimTestCase):
    instance_kwargs = {"extra": {"accounts": {"subids": "true", "subid_min": SUB_MIN,
                                              "subid_max": SUB_MIN + 4 * SLICE - 1}}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.ann = cls.api.create_user(
                "dump-ann@example.com", password=PASSWORD,
                roles=[{"value": "dump-ops"}],
                schemas=[h.URN_USER, h.URN_LINUX_USER],
                **{h.URN_LINUX_USER: {"sshPublicKeys": [{"value": k} for k in SSH_KEYS]}})
            cls.ben = cls.api.create_user("dump-ben@example.com", active=False)
            r = cls.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "dump-team",
                                         "members": [{"value": cls.ann["id"]},
                                                     {"value": cls.ben["id"]}]})
            assert r.status == 201, r.describe()
            cls.team_members = ["dump-ann", "dump-ben"]
            h.wait_until(lambda: "dump-team" in cls.scimd.scimctl("cache", "dump").stdout, 10,
                         what="the group exported")
        except BaseException:
            cls.scimd.stop()
            cls.scimd.cleanup()
            raise

    def dump(self, *args):
        p = self.scimd.scimctl("cache", "dump", *args, check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            self.fail("not one JSON document (%s):\n%s" % (e, p.stdout))

    def test_nss_cache_agrees_with_the_text_dump(self):
        doc = self.dump("--json")
        self.assertEqual(doc["file"], self.scimd.cache_path)
        self.assertEqual(doc["kind"], "nss")
        self.assertEqual(doc["format_version"], 1)
        self.assertIs(doc["superseded"], False)
        self.assertEqual(doc["size"], os.path.getsize(self.scimd.cache_path))
        self.assertEqual({s["type"] for s in doc["sections"]} >= {1, 2, 3, 4, 5}, True,
                         doc["sections"])
        text = self.scimd.scimctl("cache", "dump").stdout
        self.assertIn("generation: %d\n" % doc["generation"], text)
        self.assertIn("created: %s\n" % doc["created"], text)
        words = text_users(text)
        users = {u["name"]: u for u in doc["users"]}
        self.assertEqual(set(users), set(words))
        for name, u in users.items():
            fields, state, gids, keys, subids = words[name]
            self.assertEqual(fields, [name, "x", str(u["uid"]), str(u["gid"]), u["gecos"],
                                      u["home"], u["shell"]])
            self.assertEqual(u["active"], state == "active")
            self.assertEqual(gids, "groups=" + ",".join(str(g) for g in u["gids"]))
            self.assertEqual(keys, "ssh_keys=%d" % u["ssh_keys"])
            self.assertIs(u["ssh_keys_ok"], True)
            self.assertIs(u["subids_ok"], True)
            self.assertEqual(subids, "subids=%d+%d" % (u["subids"]["start"],
                                                       u["subids"]["count"]))
        ann, ben = users["dump-ann"], users["dump-ben"]
        self.assertIs(ann["active"], True)
        self.assertIs(ben["active"], False)
        self.assertEqual((ann["ssh_keys"], ben["ssh_keys"]), (2, 0))
        self.assertEqual(ann["subids"]["count"], SLICE)
        self.assertTrue(SUB_MIN <= ann["subids"]["start"] < SUB_MIN + 4 * SLICE)
        groups = {g["name"]: g for g in doc["groups"]}
        self.assertEqual(len(groups), len(doc["groups"]))
        self.assertEqual(groups["dump-team"]["kind"], "scim")
        self.assertEqual(sorted(groups["dump-team"]["members"]), ["dump-ann", "dump-ben"])
        self.assertEqual(groups["dump-ops"]["kind"], "role")
        self.assertEqual(groups["dump-ops"]["members"], ["dump-ann"])
        self.assertIn(groups["dump-team"]["gid"], ann["gids"])
        self.assertIn("dump-team:x:%d:" % groups["dump-team"]["gid"], text)

    def test_shadow_cache_never_shows_a_hash(self):
        p = self.scimd.scimctl("cache", "dump", self.scimd.shadow_path, "--json", check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("$", p.stdout)
        self.assertNotIn(PASSWORD, p.stdout)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["kind"], "shadow")
        self.assertNotIn("users", doc)
        entries = {e["name"]: e for e in doc["shadow"]}
        self.assertEqual(entries["dump-ann"]["password"], "password-hash")
        self.assertIs(entries["dump-ann"]["locked"], False)
        self.assertIs(entries["dump-ben"]["locked"], True)
        for e in doc["shadow"]:
            self.assertEqual(set(e), {"name", "locked", "password", "lstchg", "expire"})

    def test_a_damaged_record_fails_and_prints_nothing(self):
        doc = self.dump("--json")
        users = [s for s in doc["sections"] if s["type"] == 2][0]
        tmp = tempfile.mkdtemp()
        try:
            bad = os.path.join(tmp, "nss.cache")
            shutil.copyfile(self.scimd.cache_path, bad)
            with open(bad, "r+b") as f:
                f.seek(users["offset"] + 64)  # the first user's reserved word: its crc fails
                f.write(b"\x01")
            p = self.scimd.scimctl("cache", "dump", bad, "--json", check=False)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertEqual(p.stdout, "")
            self.assertIn(bad + ": user 0: CORRUPT", p.stderr)
            # The text dump fails on it as well.
            self.assertEqual(self.scimd.scimctl("cache", "dump", bad, check=False).returncode, 1)

            # A byte that is not UTF-8 in dump-team's copy of its member names: the member
            # list's checksum, not jansson, has the last word.
            strings = [s for s in doc["sections"] if s["type"] == 1][0]
            with open(self.scimd.cache_path, "rb") as f:
                data = bytearray(f.read())
            area = bytes(data[strings["offset"]:strings["offset"] + strings["length"]])
            members = b"\0".join(sorted(n.encode() for n in self.team_members)) + b"\0"
            self.assertEqual(area.count(members), 1, area)
            data[strings["offset"] + area.index(members)] = 0xff
            with open(bad, "wb") as f:
                f.write(data)
            team = [i for i, g in enumerate(doc["groups"]) if g["name"] == "dump-team"][0]
            p = self.scimd.scimctl("cache", "dump", bad, "--json", check=False)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertEqual(p.stdout, "")
            self.assertIn(bad + ": group member list %d: CORRUPT" % team, p.stderr)

            other = os.path.join(tmp, "not-a-cache")
            with open(other, "w") as f:
                f.write("hello, not a cache at all\n")
            for path, why in ((other, "not a scimd cache file"),
                              (os.path.join(tmp, "missing"), "No such file")):
                p = self.scimd.scimctl("cache", "dump", "--json", path, check=False)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertIn(why, p.stderr)
        finally:
            shutil.rmtree(tmp)

    def test_json_is_for_dump_only(self):
        p = self.scimd.scimctl("cache", "verify", "--json", check=False)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "")


if __name__ == "__main__":
    main()
