# SPDX-License-Identifier: MIT
"""Hostile identities: userNames, group displayNames and role values that would collide
with or impersonate local accounts, break passwd/group file syntax or path handling, or
look like other names; and attempts to choose uid/gid through the linux extension or to
PATCH readOnly attributes. Each must get a clear SCIM 4xx and change nothing; whatever
happens, no passwd or group entry with an id below 1000 may ever appear."""

import json
import re

from hardening_util import getent, group_entries, h, list_all, login_of, passwd_entries
from scimtest import ScimTestCase, main, unique

LINUX = h.URN_LINUX_USER


def local_names(path):
    with open(path) as f:
        return sorted({line.split(":", 1)[0] for line in f if ":" in line})


LOCAL_USERS = local_names("/etc/passwd")
LOCAL_GROUPS = local_names("/etc/group")

# userNames (login rule: localpart, lower-cased) that must all be refused.
BAD_USER_NAMES = (
    ["root", "root@example.com", "ROOT@x.example", "Root@example.com", "daemon@example.com",
     "Daemon@x.example", "nobody@example.com", "NOBODY", "bin@example.com",
     "a:b@example.com", "a\nb@example.com", "a\rb@example.com", "a\tb@example.com",
     "a/b@example.com", "../../etc/passwd@example.com", "..@example.com", ".@example.com",
     ".hidden@example.com", "-rf@example.com", "+plus@example.com", "@example.com",
     "a b@example.com", " alice@example.com", "alice @example.com", "a,b@example.com",
     "a\x00b@example.com", "a\"b@example.com", "a\\b@example.com", "a*b@example.com",
     "x" * 65 + "@example.com", "x" * 300,
     "\u0430dmin@example.com",        # Cyrillic a
     "r\u043eot@example.com",         # Cyrillic o in root
     "\uff52\uff4f\uff4f\uff54@example.com",  # fullwidth root
     "ro\u200bot@example.com",        # zero-width space
     "\u00e9lodie@example.com", "Stra\u00dfe@example.com",
     "", " ", "12345@example.com", "0@example.com", "4294967295"]
    + ["%s@example.com" % n for n in LOCAL_USERS]
    + ["%s@example.com" % n.upper() for n in LOCAL_USERS]
    + ["%s@example.com" % n for n in LOCAL_GROUPS])

# Group displayNames and role values become Linux group names by a rule (lower-case, each
# run of other bytes -> '-', trimmed: "Linux Admins" -> "linux-admins"), so names with ':',
# '/' or '\n' are normalised, not refused. What must hold: a blank displayName is refused; one
# whose Linux form is empty, all digits, too long or starts with '.', '+' or '@', or one the
# host keeps (reserved, local), is stored as SCIM data only and never served (docs/architecture.md,
# issue 11); any other is stored under its safe Linux form (or refused as a duplicate of
# one). No role value blocks its user: one with no valid or no free name just gets no group.
HOSTILE_GROUP_NAMES = (
    ["root", "ROOT", "wheel", "sudo", "Sudo", "adm", "shadow", "nogroup", "nobody", "daemon",
     "a:b", "a\nb", "a/b", "..", "../etc", "a,b", "-x", "12345", "", "   ", "--", ".x",
     "\u0430dmins", "g" * 65, "a\x00b", "r\u043eot", " root ", "ROOT:", "/root/", "sudo\n"]
    + LOCAL_GROUPS + LOCAL_USERS)

# "" is left out: IdP templates render an unset role as "", which scimd takes as "no role"
# (tests/integration/scim/test_entra_users.py) - it never becomes a group.
HOSTILE_ROLES = ["root", "sudo", "wheel", "shadow", "adm", "daemon", "a:b", "a\nb", "../x",
                 "12345", "\u0430dmin", "r" * 65, " Root ", "SUDO"] + LOCAL_USERS[:5]

ALWAYS_RESERVED = {"root", "wheel", "sudo", "adm", "shadow", "nogroup", "nobody", "daemon"}
NAME_RE = re.compile(r"^[a-z0-9_][a-z0-9_.@+-]{0,63}$")


def linux_group_name(display):
    """The daemon's display-name rule (common/scim_names.c), for predicting outcomes."""
    out = re.sub(r"[^a-z0-9_.@+-]+", "-", display.encode("utf-8").decode("ascii", "replace")
                 .replace("\ufffd", "\x01").lower())
    return out.strip("-")


def invalid_group_name(display):
    """No valid Linux name at all: a /Groups displayName like this is refused."""
    name = linux_group_name(display)
    return not NAME_RE.match(name) or name.isdigit()


def host_keeps(display):
    """A valid Linux name the host keeps (reserved, local): SCIM data only, never served."""
    name = linux_group_name(display)
    return (not invalid_group_name(display)
            and (name in ALWAYS_RESERVED or name in LOCAL_USERS or name in LOCAL_GROUPS
                 or name.startswith("_") or name.startswith("systemd-")))


PRIVILEGED_IDS = [0, 1, 999, 65534, 65535, 4294967295, -1, "0"]


def jstr(value):
    return json.dumps(value)  # a filter literal that survives quotes, newlines and NULs


class HostileIdentitiesTest(ScimTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The one user every hostile PATCH and PUT targets.
        cls.victim = cls.api.create_user(unique("victim"), displayName="Victim")
        cls.victim_login = login_of(cls.victim["userName"])
        cls.victim_uid = cls.victim[LINUX]["uidNumber"]
        h.wait_until(lambda: getent(cls.scimd.cache_path, "passwd", cls.victim_login)[0] == 0,
                     timeout=15, what="the victim user in the cache")

    # -- helpers ----------------------------------------------------------------------
    def user_count(self):
        return len(list_all(self.api))

    def assertRefused(self, resp, what):
        self.assertGreaterEqual(resp.status, 400, "%s was accepted:\n%s" % (what, resp.describe()))
        self.assertLess(resp.status, 500, "%s: server error:\n%s" % (what, resp.describe()))
        self.assertScimError(resp, resp.status, msg=what)

    def assertUserNotStored(self, user_name):
        resp = self.api.filter_users("userName eq %s" % jstr(user_name))
        if resp.status == 200:
            self.assertEqual(resp.json.get("totalResults"), 0,
                             "refused userName %r is stored:\n%s" % (user_name, resp.describe()))
        else:  # a literal the filter parser refuses cannot have matched anything either
            self.assertEqual(resp.status, 400, resp.describe())

    def not_materialized(self, kind):
        """scimd_not_materialized_total{kind=KIND} by reason."""
        text = self.api.request("GET", "/metrics", base=False).raw.decode()
        return {m.group(1): int(m.group(2)) for m in re.finditer(
            r'scimd_not_materialized_total\{kind="%s",reason="(\w+)"\} (\d+)' % kind, text)}

    def role_said(self, login, value):
        """What `scimctl users show LOGIN` says role VALUE became."""
        show = self.scimd.scimctl("users", "show", login).stdout
        m = re.search(r"(?m)^role: %s: (.*)$" % re.escape(value), show)
        self.assertIsNotNone(m, "scimctl users show %s says nothing of role %r:\n%s"
                             % (login, value, show))
        return m.group(1)

    def role_gid(self, login, value):
        said = self.role_said(login, value)
        m = re.match(r"group \S+ \(gid (\d+)\)$", said)
        self.assertIsNotNone(m, "role %r of %s is no group: %s" % (value, login, said))
        return int(m.group(1))

    def assertNoLogin(self, login):
        if not login or "\n" in login or "\x00" in login:
            return  # not expressible as one getent key
        rc, lines = getent(self.scimd.cache_path, "passwd", login)
        self.assertNotEqual(rc, 0, "the cache serves %r: %s" % (login, lines))

    def assertVictimIntact(self):
        resp = self.api.get("/Users/" + self.victim["id"])
        self.assertEqual(resp.status, 200, resp.describe())
        self.assertEqual(resp.json["userName"], self.victim["userName"])
        self.assertEqual(resp.json["id"], self.victim["id"])
        self.assertEqual(resp.json[LINUX]["uidNumber"], self.victim_uid)
        self.assertEqual(resp.json[LINUX].get("gidNumber", self.victim_uid), self.victim_uid)

    # -- names ------------------------------------------------------------------------
    def test_01_control_valid_names_are_accepted(self):
        """The refusals below are not a daemon that refuses everything."""
        for name in ["Test_User_6ba8b4b1-4d2b-4f87-b6e8-1f2c3a4b5c6d@contoso.com",
                     "alice.smith+ops@example.com", "b-o_b.2@example.com"]:
            with self.subTest(name=name):
                user = self.api.create_user(name)
                self.assertEqual(user["userName"], name)
                self.assertGreaterEqual(user[LINUX]["uidNumber"], h.TEST_UID_MIN)

    def test_02_bad_user_names_are_refused_and_not_stored(self):
        before = self.user_count()
        for name in BAD_USER_NAMES:
            with self.subTest(userName=name):
                resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                                "active": True})
                self.assertRefused(resp, "POST userName %r" % name)
                self.assertUserNotStored(name)
                self.assertNoLogin(login_of(name))
        self.assertEqual(self.user_count(), before, "a refused POST stored a user")

    def test_03_bad_user_names_through_put_and_patch(self):
        for name in BAD_USER_NAMES[:40] + ["%s@example.com" % n for n in LOCAL_USERS[:10]]:
            with self.subTest(userName=name):
                body = {"schemas": [h.URN_USER], "userName": name, "active": True}
                self.assertRefused(self.api.put("/Users/" + self.victim["id"], body),
                                   "PUT userName %r" % name)
                self.assertRefused(
                    self.api.patch_ops("/Users/" + self.victim["id"],
                                       [{"op": "replace", "path": "userName", "value": name}]),
                    "PATCH userName %r" % name)
                self.assertRefused(
                    self.api.patch_ops("/Users/" + self.victim["id"],
                                       [{"op": "Replace", "value": {"userName": name}}]),
                    "PATCH (no path) userName %r" % name)
                self.assertNoLogin(login_of(name))
        self.assertVictimIntact()
        self.assertEqual(getent(self.scimd.cache_path, "passwd", self.victim_login)[0], 0)

    def test_04_hostile_group_names(self):
        before_metrics = self.not_materialized("group")
        taken, kept_out, served = set(), [], []
        for name in HOSTILE_GROUP_NAMES:
            with self.subTest(displayName=name):
                linux = linux_group_name(name)
                before = len(list_all(self.api, "/Groups"))
                resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": name,
                                                 "members": [{"value": self.victim["id"]}]})
                what = "POST /Groups displayName %r" % name
                if not name.strip() or "\x00" in name:  # blank, or JSON scimd cannot take
                    self.assertScimError(resp, 400, msg=what)
                elif invalid_group_name(name):  # SCIM data only, each its own group
                    self.assertEqual(resp.status, 201, resp.describe())
                    self.assertEqual(resp.json["displayName"], name)
                    kept_out.append(None)
                elif linux in taken:  # another name normalised the same
                    self.assertRefused(resp, what)
                elif host_keeps(name):  # SCIM data only (docs/architecture.md, issue 11)
                    self.assertEqual(resp.status, 201, resp.describe())
                    self.assertEqual(resp.json["displayName"], name)
                    self.assertEqual([m["value"] for m in resp.json["members"]],
                                     [self.victim["id"]])
                    kept_out.append(linux)
                elif resp.status >= 400:
                    self.assertRefused(resp, what)
                else:
                    self.assertEqual(resp.status, 201, resp.describe())
                    served.append(linux)
                if resp.status < 400:
                    if not invalid_group_name(name):
                        taken.add(linux)
                else:
                    self.assertEqual(len(list_all(self.api, "/Groups")), before,
                                     "a refused group was stored")
        self.assertGreater(len(kept_out), 5)
        after = self.not_materialized("group")
        self.assertEqual(sum(after.values()) - sum(before_metrics.values()), len(kept_out),
                         "each group kept out of NSS is counted once: %s" % after)
        self.assertGreaterEqual(after["reserved"] - before_metrics.get("reserved", 0), 3)
        self.assertEqual(after["invalid_name"] - before_metrics.get("invalid_name", 0),
                         kept_out.count(None))
        self.assertCacheGroupsSafe(served)
        for linux in filter(None, kept_out):
            self.assertEqual(getent(self.scimd.cache_path, "group", linux)[0], 2,
                             "group %r kept out, yet served" % linux)

    def assertCacheGroupsSafe(self, expected):
        """Waits for the groups expected in the cache, then checks every group it serves."""
        def settled():
            rc, groups = group_entries(self.scimd.cache_path)
            return rc == 0 and set(expected) <= set(groups)
        h.wait_until(settled, timeout=20, what="the cache to list groups %s" % sorted(expected))
        rc, groups = group_entries(self.scimd.cache_path)
        for name, fields in groups.items():
            self.assertRegex(name, NAME_RE, "unsafe group name in the cache")
            self.assertFalse(name.isdigit())
            self.assertNotIn(name, ALWAYS_RESERVED)
            self.assertNotIn(name, LOCAL_GROUPS, "SCIM group shadows local group %s" % name)
            self.assertNotIn(name, LOCAL_USERS, "SCIM group named like local user %s" % name)
            self.assertGreaterEqual(int(fields[2]), h.TEST_UID_MIN, fields)
            for member in filter(None, fields[3].split(",")):
                self.assertRegex(member, NAME_RE)

    def test_05_renaming_a_group(self):
        """Onto a blank name: refused, nothing changes. Onto a name the host keeps or that
        gives no valid Linux name: accepted (architecture.md, issue 11), the group stays SCIM data
        with its id and members and gives up its Linux group; renamed back, it gets a new gid
        (the old one stays tombstoned)."""
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "renamees",
                                         "members": [{"value": self.victim["id"]}]})
        self.assertEqual(resp.status, 201, resp.describe())
        gid = resp.json["id"]

        def served_gid():
            h.wait_until(lambda: getent(self.scimd.cache_path, "group", "renamees")[0] == 0,
                         timeout=15, what="group renamees in the cache")
            line = getent(self.scimd.cache_path, "group", "renamees")[1][0].split(":")
            self.assertEqual(line[3], self.victim_login)
            return int(line[2])

        unix_gid = served_gid()
        for name in ["", "   "]:
            with self.subTest(displayName=name):
                self.assertRefused(self.api.patch_ops("/Groups/" + gid, [
                    {"op": "replace", "path": "displayName", "value": name}]),
                    "PATCH group displayName %r" % name)
                self.assertRefused(self.api.put("/Groups/" + gid, {
                    "schemas": [h.URN_GROUP], "displayName": name}),
                    "PUT group displayName %r" % name)
        self.assertEqual(self.api.get("/Groups/" + gid).json["displayName"], "renamees")
        self.assertEqual(served_gid(), unix_gid)

        local = next(g for g in reversed(LOCAL_GROUPS) if NAME_RE.match(g))
        for name in ["root", "sudo", "mysql", "systemd-foo", "_rpc", LOCAL_USERS[0], local, "..",
                     "12345", "g" * 65]:
            with self.subTest(displayName=name):
                for other in list_all(self.api, "/Groups"):  # test_04 may hold the name
                    if other["id"] != gid and linux_group_name(other["displayName"]) == name:
                        self.assertEqual(self.api.delete("/Groups/" + other["id"]).status, 204)
                resp = self.api.patch_ops("/Groups/" + gid, [
                    {"op": "replace", "path": "displayName", "value": name}])
                self.assertIn(resp.status, (200, 204), resp.describe())
                resp = self.api.put("/Groups/" + gid, {
                    "schemas": [h.URN_GROUP], "displayName": name,
                    "members": [{"value": self.victim["id"]}]})
                self.assertEqual(resp.status, 200, resp.describe())
                got = self.api.get("/Groups/" + gid).json
                self.assertEqual((got["displayName"], [m["value"] for m in got["members"]]),
                                 (name, [self.victim["id"]]))
                h.wait_until(lambda: getent(self.scimd.cache_path, "group", "renamees")[0] == 2,
                             timeout=15, what="group renamees to leave the cache")
                if not invalid_group_name(name):
                    self.assertEqual(getent(self.scimd.cache_path, "group", name)[0], 2)
                self.assertEqual(getent(self.scimd.cache_path, "group", str(unix_gid))[0], 2)
                resp = self.api.put("/Groups/" + gid, {
                    "schemas": [h.URN_GROUP], "displayName": "renamees",
                    "members": [{"value": self.victim["id"]}]})
                self.assertEqual(resp.status, 200, resp.describe())
                again = served_gid()
                self.assertNotEqual(again, unix_gid, "a released gid was handed out again")
                unix_gid = again

    def test_06_hostile_role_values(self):
        """No role value blocks its user or the request (docs/architecture.md, issue 11). One with a
        valid Linux name the host does not keep becomes a role group holding the user; any
        other stays in the user's SCIM data, out of NSS, counted in the metrics, and
        `scimctl users show` says why."""
        before = self.not_materialized("role")
        served, kept = {}, []
        # Names test_04's SCIM groups took ("a:b" -> a-b): a role of that name is kept out.
        scim_taken = {linux_group_name(g["displayName"]) for g in list_all(self.api, "/Groups")}
        for role in HOSTILE_ROLES:
            with self.subTest(role=role):
                name = unique("roleuser")
                resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                                "roles": [{"value": role, "primary": True}]})
                self.assertEqual(resp.status, 201, "POST with role %r:\n%s"
                                 % (role, resp.describe()))
                self.assertEqual([r["value"] for r in resp.json["roles"]], [role])
                if (invalid_group_name(role) or host_keeps(role)
                        or linux_group_name(role) in scim_taken):
                    kept.append((role, linux_group_name(role), login_of(name)))
                else:
                    served.setdefault(linux_group_name(role), []).append(login_of(name))
                resp = self.api.patch_ops("/Users/" + self.victim["id"], [
                    {"op": "add", "path": "roles", "value": [{"value": role}]}])
                self.assertIn(resp.status, (200, 204), "PATCH add role %r:\n%s"
                              % (role, resp.describe()))
                self.api.patch_ops("/Users/" + self.victim["id"], [
                    {"op": "remove", "path": "roles"}])
        after = self.not_materialized("role")
        for reason in ("reserved", "invalid_name") + (("name_taken",) if any(
                linux in scim_taken for _, linux, _ in kept) else ()):
            self.assertGreater(after.get(reason, 0), before.get(reason, 0), reason)
        self.assertVictimIntact()
        self.assertCacheGroupsSafe(served)
        def members(linux):
            rc, lines = getent(self.scimd.cache_path, "group", linux)
            return sorted(lines[0].split(":")[3].split(",")) if rc == 0 else None
        for linux, logins in served.items():
            h.wait_until(lambda: members(linux) == sorted(logins), timeout=15,
                         what="role group %s holding exactly %s (has %s)"
                         % (linux, sorted(logins), members(linux)))
        self.assertGreater(len(kept), 5)
        for role, linux, login in kept:
            with self.subTest(kept=role):
                if linux in scim_taken:  # the SCIM group's, served or not: never the holder's
                    self.assertNotIn(login, members(linux) or [], "role %r made a member" % role)
                elif NAME_RE.match(linux):
                    self.assertEqual(getent(self.scimd.cache_path, "group", linux)[0], 2,
                                     "role %r kept out, yet served" % role)
                if role.isprintable():
                    self.assertRegex(self.role_said(login, role), r"^not a Linux group: ")
        login_12345 = next(login for role, _, login in kept if role == "12345")
        self.assertIn("all digits", self.role_said(login_12345, "12345"))

    # -- ids --------------------------------------------------------------------------
    def test_07_uid_cannot_be_chosen_on_create(self):
        for uid in PRIVILEGED_IDS:
            with self.subTest(uidNumber=uid):
                name = unique("uidpick")
                resp = self.api.post("/Users", {
                    "schemas": [h.URN_USER, LINUX], "userName": name,
                    LINUX: {"uidNumber": uid, "gidNumber": uid}})
                if resp.status == 201:  # ignored as readOnly: the allocator chose
                    got = resp.json[LINUX]
                    self.assertGreaterEqual(got["uidNumber"], h.TEST_UID_MIN, resp.describe())
                    self.assertNotEqual(got["uidNumber"], uid)
                    self.assertGreaterEqual(got.get("gidNumber", got["uidNumber"]), h.TEST_UID_MIN)
                else:
                    self.assertRefused(resp, "POST uidNumber %r" % uid)
                    self.assertUserNotStored(name)

    def test_08_readonly_attributes_cannot_be_changed(self):
        uid_path = LINUX + ":uidNumber"
        gid_path = LINUX + ":gidNumber"
        attempts = (
            [[{"op": "replace", "path": p, "value": v}] for p in (uid_path, gid_path)
             for v in (0, 1, 999, 65534)]
            + [[{"op": "replace", "value": {LINUX: {"uidNumber": 0, "gidNumber": 0}}}],
               [{"op": "replace", "value": {uid_path: 0}}],
               [{"op": "add", "path": LINUX, "value": {"uidNumber": 0}}],
               [{"op": "remove", "path": uid_path}],
               [{"op": "replace", "path": "id", "value": "00000000-0000-0000-0000-000000000000"}],
               [{"op": "replace", "value": {"id": "evil"}}],
               [{"op": "replace", "path": "meta", "value": {"created": "1970-01-01T00:00:00Z"}}],
               [{"op": "replace", "path": "meta.version", "value": "W/\"1\""}],
               [{"op": "add", "path": "groups", "value": [{"value": "sudo", "display": "sudo"}]}],
               [{"op": "replace", "path": "groups", "value": [{"value": "root"}]}]])
        for ops in attempts:
            with self.subTest(ops=ops):
                resp = self.api.patch_ops("/Users/" + self.victim["id"], ops)
                if resp.status >= 400:
                    self.assertRefused(resp, "PATCH %r" % ops)
                else:
                    self.assertIn(resp.status, (200, 204), resp.describe())
                self.assertVictimIntact()
        for body in ({LINUX: {"uidNumber": 0}}, {"id": "evil", LINUX: {"uidNumber": 1}},
                     {"groups": [{"value": "root"}], "meta": {"resourceType": "Group"}}):
            with self.subTest(put=body):
                full = {"schemas": [h.URN_USER, LINUX], "userName": self.victim["userName"],
                        "active": True}
                full.update(body)
                resp = self.api.put("/Users/" + self.victim["id"], full)
                if resp.status >= 400:
                    self.assertRefused(resp, "PUT %r" % body)
                self.assertVictimIntact()
        rc, lines = getent(self.scimd.cache_path, "passwd", self.victim_login)
        self.assertEqual(rc, 0)
        self.assertEqual(int(lines[0].split(":")[2]), self.victim_uid)

    def test_09_gid_cannot_be_chosen_for_groups(self):
        for ext in ("urn:scimd:params:scim:schemas:extension:linux:1.0:Group", LINUX):
            for gid in (0, 27, 999, 65534):
                with self.subTest(ext=ext, gidNumber=gid):
                    name = "gidpick-%d-%d" % (len(ext), gid)
                    resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP, ext],
                                                     "displayName": name,
                                                     ext: {"gidNumber": gid, "uidNumber": gid}})
                    if resp.status >= 400:
                        self.assertRefused(resp, "POST group with gidNumber %d" % gid)
                        continue
                    self.assertEqual(resp.status, 201, resp.describe())
                    h.wait_until(lambda: getent(self.scimd.cache_path, "group", name)[0] == 0,
                                 timeout=15, what="group %s in the cache" % name)
                    rc, lines = getent(self.scimd.cache_path, "group", name)
                    self.assertGreaterEqual(int(lines[0].split(":")[2]), h.TEST_GID_MIN, lines)
                    resp = self.api.patch_ops("/Groups/" + resp.json["id"], [
                        {"op": "replace", "value": {ext: {"gidNumber": 0}}},
                        {"op": "replace", "path": "id", "value": "evil"}])
                    self.assertNotEqual(resp.status // 100, 5, resp.describe())
                    rc, again = getent(self.scimd.cache_path, "group", name)
                    self.assertEqual(again, lines, "a PATCH changed the group's gid")

    # -- names packages create later, role floods (issue 11) ----------------------------
    def test_10_package_account_names_are_refused(self):
        """A later `adduser --system mysql` (or redis, rpcbind's _rpc, a systemd unit's
        DynamicUser) must not find an IdP-controlled account already there."""
        for login in ("mysql", "_rpc", "redis", "systemd-foo"):
            with self.subTest(login=login):
                user_name = "%s@example.com" % login
                resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": user_name,
                                                "active": True})
                self.assertScimError(resp, 400, "invalidValue", "POST userName %r" % user_name)
                self.assertIn("'%s'" % login, resp.json["detail"])
                self.assertIn("reserved for a system or package account", resp.json["detail"])
                self.assertUserNotStored(user_name)
                self.assertNoLogin(login)
                resp = self.api.patch_ops("/Users/" + self.victim["id"], [
                    {"op": "replace", "path": "userName", "value": user_name}])
                self.assertScimError(resp, 400, "invalidValue", "rename onto %r" % user_name)
                self.assertIn("reserved", resp.json["detail"])
        self.assertVictimIntact()

    def test_11_role_flood_is_refused_and_takes_no_gid(self):
        """20,000 roles on one user: 400 naming [accounts] max_roles_per_user, nothing stored
        and no gid taken (the next new role gets the gid right after the last one). Exactly
        the cap (64) is accepted; one more is refused the same way."""
        first = unique("capfirst")
        self.api.create_user(first, roles=[{"value": "cap-first"}])
        gid = self.role_gid(login_of(first), "cap-first")

        def refused(n, tag):
            user_name = unique("flood")
            resp = self.api.post("/Users", {
                "schemas": [h.URN_USER], "userName": user_name, "active": True,
                "roles": [{"value": "%s-%d" % (tag, i)} for i in range(n)]})
            self.assertScimError(resp, 400, "invalidValue", "%d roles" % n)
            self.assertIn("%d roles on one user" % n, resp.json["detail"])
            self.assertIn("at most 64", resp.json["detail"])
            self.assertIn("max_roles_per_user", resp.json["detail"])
            self.assertUserNotStored(user_name)

        def next_gid(expected, tag):
            user_name = unique(tag)
            self.api.create_user(user_name, roles=[{"value": tag}])
            self.assertEqual(self.role_gid(login_of(user_name), tag), expected,
                             "a refused request took gids")
            h.wait_until(lambda: getent(self.scimd.cache_path, "group", tag)[1][:1]
                         == ["%s:x:%d:%s" % (tag, expected, login_of(user_name))],
                         timeout=15, what="role group %s (gid %d) in the cache" % (tag, expected))

        refused(20000, "flood")
        next_gid(gid + 1, "cap-next")
        at_cap = unique("atcap")
        user = self.api.create_user(at_cap, roles=[{"value": "atcap-%d" % i} for i in range(64)])
        self.assertEqual(len(user["roles"]), 64)
        self.assertEqual(self.role_gid(login_of(at_cap), "atcap-63"), gid + 65)
        refused(65, "over")
        next_gid(gid + 66, "cap-last")

    # -- the invariant ----------------------------------------------------------------
    def test_99_no_entry_below_1000_ever(self):
        def settled():
            rc, users = passwd_entries(self.scimd.cache_path)
            return rc == 0 and len(users) == len(list_all(self.api))
        h.wait_until(settled, timeout=20, what="the cache to catch up with the store")
        rc, users = passwd_entries(self.scimd.cache_path)
        self.assertGreater(len(users), 3)
        for name, f in users.items():
            self.assertGreaterEqual(int(f[2]), 1000, "passwd %s: uid %s" % (name, f[2]))
            self.assertGreaterEqual(int(f[3]), 1000, "passwd %s: gid %s" % (name, f[3]))
            self.assertNotIn(name, LOCAL_USERS, "a SCIM user shadows local user %s" % name)
        rc, groups = group_entries(self.scimd.cache_path)
        self.assertEqual(rc, 0)
        for name, f in groups.items():
            self.assertGreaterEqual(int(f[2]), 1000, "group %s: gid %s" % (name, f[2]))
            self.assertNotIn(name, LOCAL_GROUPS, "a SCIM group shadows local group %s" % name)
        for key in ("0", "1", "999", "65534", "root", "daemon", "nobody"):
            self.assertNotEqual(getent(self.scimd.cache_path, "passwd", key)[0], 0, key)
            self.assertNotEqual(getent(self.scimd.cache_path, "group", key)[0], 0, key)


class ConfiguredNameLengthTest(ScimTestCase):
    """[accounts] max_name_length = 32 (the classic utmp limit): 33+ bytes are refused."""
    instance_kwargs = {"name": "namelen", "extra": {"accounts": {"max_name_length": "32"}}}

    def test_name_length_limit(self):
        ok_name = "a" * 32 + "@example.com"
        self.assertEqual(self.api.post("/Users", {"schemas": [h.URN_USER],
                                                  "userName": ok_name}).status, 201)
        for n in (33, 40, 64, 65):
            with self.subTest(length=n):
                name = "b" * n + "@example.com"
                resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name})
                self.assertScimError(resp, 400, "invalidValue")
                self.assertEqual(getent(self.scimd.cache_path, "passwd", "b" * n)[0], 2)
                # Too long for a group name too: stored as SCIM data only (issue 11).
                resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP],
                                                 "displayName": "g" * n})
                self.assertEqual(resp.status, 201, resp.describe())
                self.assertEqual(getent(self.scimd.cache_path, "group", "g" * n)[0], 2)


class ConfiguredReservedNamesTest(ScimTestCase):
    """[accounts] reserved_names = foo, bar-baz: refused as logins like the built-in table,
    kept out of the Linux groups as roles (issue 11)."""
    instance_kwargs = {"name": "reserved",
                       "extra": {"accounts": {"reserved_names": "foo, bar-baz"}}}

    def test_configured_reserved_names(self):
        for user_name in ("foo@example.com", "Foo@x.example", "bar-baz@example.com"):
            with self.subTest(userName=user_name):
                resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": user_name})
                self.assertScimError(resp, 400, "invalidValue", "POST %r" % user_name)
                self.assertIn("[accounts] reserved_names", resp.json["detail"])
                resp = self.api.filter_users("userName eq %s" % jstr(user_name))
                self.assertEqual(resp.json["totalResults"], 0, resp.describe())
                self.assertEqual(getent(self.scimd.cache_path, "passwd", login_of(user_name))[0],
                                 2)
        # Only the listed names: a longer one is an ordinary login.
        user = self.api.create_user("foox@example.com", roles=[{"value": "Foo"},
                                                               {"value": "Bar"}])
        show = self.scimd.scimctl("users", "show", "foox").stdout
        self.assertIn("role: Foo: not a Linux group: 'foo' is reserved by [accounts] "
                      "reserved_names", show)
        self.assertRegex(show, r"role: Bar: group bar \(gid \d+\)")
        self.assertEqual(sorted(r["value"] for r in user["roles"]), ["Bar", "Foo"])
        h.wait_until(lambda: getent(self.scimd.cache_path, "group", "bar")[0] == 0, timeout=15,
                     what="role group bar in the cache")
        self.assertEqual(getent(self.scimd.cache_path, "group", "foo")[0], 2)


if __name__ == "__main__":
    main()
