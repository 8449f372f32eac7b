#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Okta Group Push, request by request as Okta's "SCIM 2.0 Groups" reference shows it:
lookup by displayName (paged with startIndex/count), POST with an empty members array,
PATCH add members (value + display), rename by a path-less replace whose value is
{id, displayName}, one PATCH that removes members[value eq "..."] and adds a member, a full
replace of members, PUT of the whole group, DELETE. Then the rules that keep Linux group
names unambiguous (409s), members that are not users (400, nothing applied), the users'
read-only `groups` attribute, and a 10,000-member group built in 500-member PATCHes.
Every membership change is also checked where it matters: getent -s scim group.
"""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

from groupsupport import (GroupTestCase, h, login_of, main, member_ids, nssenv,  # noqa: F401
                          unique)


class OktaGroupPush(GroupTestCase):
    """One Group Push cycle; steps share state and run in order."""

    DISPLAY = "Engineering Team"
    LINUX = "engineering-team"
    RENAMED = "Platform Team"
    RENAMED_LINUX = "platform-team"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.state["users"] = []

    def users(self, n):
        if len(self.state["users"]) < n:
            self.state["users"] += self.make_users(n - len(self.state["users"]), "okta")
        return self.state["users"][:n]

    def test_01_lookup_by_display_name_finds_nothing(self):
        # Okta: GET /Groups?filter=displayName eq "Engineering Team"&startIndex=1&count=100
        resp, _ = self.filter_groups('displayName eq "%s"' % self.DISPLAY, startIndex=1,
                                     count=100)
        self.assertEmptyList(resp, "lookup before the push")

    def test_02_create_with_empty_members(self):
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": self.DISPLAY,
                                         "members": []})
        group = self.assertGroupResource(resp, 201, "Okta POST /Groups")
        self.assertEqual(group["displayName"], self.DISPLAY)
        self.assertEqual(member_ids(group), [])
        self.assertTrue(resp.headers.get("Location", "").endswith("/Groups/" + group["id"]),
                        "Location header:\n" + resp.describe())
        self.state["gid"] = group["id"]
        gid_num, _ = self.nss_group(self.LINUX, [])
        self.state["unix_gid"] = gid_num
        self.assertTrue(h.TEST_GID_MIN <= gid_num <= h.TEST_GID_MAX,
                        "gid %d outside the configured group range" % gid_num)

    def test_03_lookup_finds_it_and_get_by_id(self):
        gid = self.need("gid")
        resp, body = self.filter_groups('displayName eq "%s"' % self.DISPLAY, startIndex=1,
                                        count=100)
        self.assertEqual(body["totalResults"], 1, resp.describe())
        self.assertEqual(body["Resources"][0]["id"], gid)
        group = self.get_group(gid)
        self.assertEqual(group["displayName"], self.DISPLAY)

    def test_04_add_members(self):
        gid = self.need("gid")
        alice, bob, _ = self.users(3)
        self.patch_group(gid, [{"op": "add", "path": "members", "value": [
            {"value": alice[0], "display": alice[1]},
            {"value": bob[0], "display": bob[1]}]}], "Okta PATCH add members")
        group = self.assertMembers(gid, [alice[0], bob[0]])
        for m in group["members"]:
            self.assertIn("value", m)
        unix_gid, _ = self.nss_group(self.LINUX, [alice[2], bob[2]])
        rc, out = nssenv.getent(self.scimd, "group", str(unix_gid))
        self.assertEqual(rc, 0, "getgrgid of the SCIM group")
        self.assertEqual(nssenv.group_fields(out)[0], self.LINUX)
        rc, out = nssenv.getent(self.scimd, "group")
        self.assertIn(self.LINUX, [line.split(":")[0] for line in out.splitlines()],
                      "the SCIM group must appear in enumeration:\n" + out)
        rc, out = nssenv.getent(self.scimd, "initgroups", alice[2])
        self.assertIn(str(unix_gid), out.split()[1:], "initgroups of a member: %r" % out)

    def test_05_rename_keeps_gid(self):
        gid = self.need("gid")
        unix_gid = self.need("unix_gid")
        alice, bob, _ = self.users(3)
        self.patch_group(gid, [{"op": "replace", "value": {"id": gid,
                                                           "displayName": self.RENAMED}}],
                         "Okta rename (replace with value {id, displayName})")
        group = self.assertMembers(gid, [alice[0], bob[0]], "rename must keep members")
        self.assertEqual(group["displayName"], self.RENAMED)
        new_gid, _ = self.nss_group(self.RENAMED_LINUX, [alice[2], bob[2]])
        self.assertEqual(new_gid, unix_gid, "a rename must keep the Linux gid")
        self.nss_absent("group", self.LINUX)
        resp, _ = self.filter_groups('displayName eq "%s"' % self.DISPLAY)
        self.assertEmptyList(resp, "the old displayName must not match any more")

    def test_06_remove_one_and_add_one_in_one_patch(self):
        gid = self.need("gid")
        alice, bob, carol = self.users(3)
        self.patch_group(gid, [
            {"op": "remove", "path": 'members[value eq "%s"]' % alice[0]},
            {"op": "add", "path": "members", "value": [{"value": carol[0],
                                                       "display": carol[1]}]},
        ], "Okta PATCH remove members[value eq] + add")
        self.assertMembers(gid, [bob[0], carol[0]])
        self.nss_group(self.RENAMED_LINUX, [bob[2], carol[2]])

    def test_07_replace_all_members(self):
        gid = self.need("gid")
        alice, _, _ = self.users(3)
        self.patch_group(gid, [{"op": "replace", "path": "members",
                                "value": [{"value": alice[0], "display": alice[1]}]}],
                         "Okta PATCH replace members")
        self.assertMembers(gid, [alice[0]])
        self.nss_group(self.RENAMED_LINUX, [alice[2]])

    def test_08_put_whole_group(self):
        gid = self.need("gid")
        unix_gid = self.need("unix_gid")
        _, bob, carol = self.users(3)
        resp = self.api.put("/Groups/" + gid, {
            "schemas": [h.URN_GROUP], "id": gid, "displayName": self.RENAMED,
            "members": [{"value": bob[0], "display": bob[1]},
                        {"value": carol[0], "display": carol[1]}]})
        group = self.assertGroupResource(resp, 200, "Okta PUT /Groups/{id}")
        self.assertEqual(member_ids(group), sorted([bob[0], carol[0]]), resp.describe())
        self.assertMembers(gid, [bob[0], carol[0]])
        got_gid, _ = self.nss_group(self.RENAMED_LINUX, [bob[2], carol[2]])
        self.assertEqual(got_gid, unix_gid)

    def test_09_paged_list_includes_it(self):
        gid = self.need("gid")
        resp = self.api.get("/Groups", query={"startIndex": "1", "count": "100"})
        body = self.assertListResponse(resp, msg="Okta import GET /Groups")
        self.assertIn(gid, [g.get("id") for g in body.get("Resources", [])], resp.describe())

    def test_10_delete(self):
        gid = self.need("gid")
        resp = self.api.delete("/Groups/" + gid)
        self.assertStatus(resp, 204, "Okta DELETE /Groups/{id}")
        self.assertEqual(resp.raw, b"", "204 must have no body")
        self.assertScimError(self.api.get("/Groups/" + gid), 404, msg="GET after DELETE")
        self.assertScimError(self.api.delete("/Groups/" + gid), 404, msg="second DELETE")
        self.nss_absent("group", self.RENAMED_LINUX)
        self.nss_absent("group", self.need("unix_gid"))
        # The users stay; only the group went.
        for uid, _, login in self.users(3):
            self.get_user(uid)
            rc, _ = nssenv.getent(self.scimd, "passwd", login) if nssenv.have_module() else (0, "")
            self.assertEqual(rc, 0, "user %s must survive the group's deletion" % login)


class GroupNameRules(GroupTestCase):
    """Two groups with one Linux name must be impossible; system and local names are
    refused unless mapped; members must be users. Refusals change nothing."""

    instance_kwargs = {"extra": {"roles": {"administrator": "sudo"},
                                 "groups": {"Linux Admins": "sudo"}}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.holder = cls.api.create_user(unique("roleholder"), roles=[
            {"value": "release-managers"}])

    def assertRefused(self, display, status, scim_type, why, existing=None):
        """POST is refused and stores nothing: afterwards displayName eq finds only the
        group that was already there (existing: its id), or none."""
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": display})
        self.assertScimError(resp, status, scim_type, why)
        resp, body = self.filter_groups('displayName eq "%s"' % display)
        found = [g.get("id") for g in body.get("Resources", [])]
        self.assertEqual(found, [existing] if existing else [],
                         "refused group %r must not be stored:\n%s" % (display,
                                                                        resp.describe()))

    def test_duplicate_display_name(self):
        first = self.create_group("Site Reliability")
        self.assertRefused("Site Reliability", 409, "uniqueness", "duplicate displayName",
                           existing=first["id"])

    def test_names_that_normalise_alike(self):
        self.create_group("Linux Ops")
        self.assertRefused("linux-ops", 409, "uniqueness",
                           '"linux-ops" gives the same Linux name as "Linux Ops"')
        self.assertRefused("LINUX   OPS", 409, "uniqueness",
                           '"LINUX   OPS" gives the same Linux name as "Linux Ops"')

    def not_materialized(self):
        """scimd_not_materialized_total{kind="group"} by reason."""
        text = self.api.request("GET", "/metrics", base=False).raw.decode()
        return {m.group(1): int(m.group(2)) for m in re.finditer(
            r'scimd_not_materialized_total\{kind="group",reason="(\w+)"\} (\d+)', text)}

    def assertNoScimGroup(self, name, login):
        """NSS serves no group NAME of ours: nothing, or (sudo, mapped from Linux Admins in
        this class) the local gid without login in it."""
        rc, out = nssenv.getent(self.scimd, "group", name)
        if rc == 0:
            got, gid, members = nssenv.group_fields(out.splitlines()[0])
            self.assertLess(gid, h.TEST_GID_MIN, "scim serves a group %r: %r" % (name, out))
            self.assertNotIn(login, members, "%s made a member of %r: %r" % (login, name, out))
        else:
            self.assertEqual((rc, out), (2, ""), "getent group %r" % name)

    def test_local_and_system_group_names(self):
        """A system or local group name never blocks the IdP (architecture.md, issue 11): the group
        is stored and answered as SCIM, and is no Linux group (absent from NSS), and the
        metrics say why. A second group normalising to the same name is still a 409."""
        local = None
        with open("/etc/group") as f:
            for line in f:
                name = line.split(":")[0]
                if name not in ("root", "sudo") and name.isalpha() and name.islower():
                    local = name
                    break
        (member, _, member_login), = self.make_users(1, "sysname")
        before = self.not_materialized()
        made = []
        for display in ("sudo", "root", local):
            if display:
                group = self.create_group(display, [member])
                self.assertEqual(group["displayName"], display)
                self.assertEqual(member_ids(group), [member])
                made.append(group["id"])
                resp, body = self.filter_groups('displayName eq "%s"' % display)
                self.assertEqual([g["id"] for g in body["Resources"]], [group["id"]],
                                 resp.describe())
        after = self.not_materialized()
        self.assertEqual(after.get("reserved", 0) + after.get("local_group", 0)
                         - before.get("reserved", 0) - before.get("local_group", 0), len(made),
                         "each kept-out group counted once in scimd_not_materialized_total")
        self.assertGreaterEqual(after.get("reserved", 0) - before.get("reserved", 0), 2)
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "Root"})
        self.assertScimError(resp, 409, "uniqueness", "normalises to the SCIM group root")
        # A group pushed afterwards is served, so the export ran past the ones kept out.
        (later, _, later_login), = self.make_users(1, "sysname")
        made.append(self.create_group("After System Names", [later])["id"])
        self.nss_group("after-system-names", [later_login])
        for display in ("sudo", "root", local):
            if display:
                self.assertNoScimGroup(display, member_login)
        for gid in made:  # other tests rename onto these names
            self.assertEqual(self.api.delete("/Groups/" + gid).status, 204)

    def test_user_login_and_role_group_names(self):
        login = login_of(self.holder["userName"])
        self.assertRefused(login, 409, "uniqueness", "equal to a user's login name")
        self.assertRefused("release-managers", 409, "uniqueness", "equal to a role group")
        self.assertRefused("Release Managers", 409, "uniqueness",
                           "normalises to a role group's name")

    def test_invalid_linux_names(self):
        """A blank displayName is refused. One that gives no valid Linux name ("..", "12345",
        a Japanese name) is a group the host cannot take: stored as SCIM data only, like a
        reserved name (architecture.md, issue 11), each its own group, counted as invalid_name."""
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "   "})
        self.assertScimError(resp, 400, "invalidValue", "a blank displayName")
        (member, _, login), = self.make_users(1, "noname")
        before = self.not_materialized().get("invalid_name", 0)
        made = []
        for display in ("..", "-", "12345", "\u7ba1\u7406\u8005", "12345"):
            group = self.create_group(display, [member])
            self.assertEqual((group["displayName"], member_ids(group)), (display, [member]))
            self.assertEqual(self.get_group(group["id"])["displayName"], display)
            made.append(group["id"])
        self.assertEqual(len(set(made)), len(made))
        self.assertEqual(self.not_materialized().get("invalid_name", 0) - before, len(made))
        # Renamed to a valid name it becomes a Linux group; back, it gives it up again.
        self.patch_group(made[0], [{"op": "replace", "path": "displayName",
                                    "value": "Named At Last"}], "rename to a valid name")
        self.nss_group("named-at-last", [login])
        self.patch_group(made[0], [{"op": "replace", "path": "displayName", "value": "..."}],
                         "rename to no valid name")
        self.nss_absent("group", "named-at-last")
        for gid in made:
            self.assertEqual(self.api.delete("/Groups/" + gid).status, 204)

    def test_mapped_group_goes_to_sudo_by_initgroups_only(self):
        (uid, _, login), = self.make_users(1, "admin")
        group = self.create_group("Linux Admins", [uid])
        self.assertEqual(member_ids(group), [uid])
        self.require_nss()
        nssenv.wait_getent(self.scimd, ("initgroups", login),
                           lambda rc, out: "27" in out.split()[1:],
                           "initgroups %s to include sudo (27)" % login)
        rc, out = nssenv.getent(self.scimd, "group", "27")
        self.assertEqual((rc, out), (2, ""), "the mapped local gid must not resolve by gid")
        rc, out = nssenv.getent(self.scimd, "group")
        for line in out.splitlines():
            self.assertGreaterEqual(nssenv.group_fields(line)[1], 1000,
                                    "enumeration lists a low gid: %r" % line)
        p = nssenv.in_namespace(self.scimd, "id -nG %s" % login)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("sudo", p.stdout.split(), "id -nG %s in the namespace: %r"
                      % (login, p.stdout))

    def test_rename_into_a_clash_changes_nothing(self):
        a = self.create_group("Data Science")
        self.create_group("Data Engineering")
        resp = self.api.patch_ops("/Groups/" + a["id"], [
            {"op": "replace", "path": "displayName", "value": "data engineering"}])
        self.assertScimError(resp, 409, "uniqueness", "rename onto another group's name")
        self.assertEqual(self.get_group(a["id"])["displayName"], "Data Science")
        # A local group name is no clash (architecture.md, issue 11): the group keeps its id and
        # SCIM data, and gives up its Linux group; the gid stays tombstoned, never reused.
        (member, _, login), = self.make_users(1, "scientist")
        self.patch_group(a["id"], [{"op": "add", "path": "members", "value": [{"value": member}]}],
                         "add a member to Data Science")
        old_gid, _ = self.nss_group("data-science", [login])
        resp = self.api.put("/Groups/" + a["id"], {"schemas": [h.URN_GROUP],
                                                   "displayName": "sudo",
                                                   "members": [{"value": member}]})
        self.assertGroupResource(resp, 200, "PUT onto a local group name")
        self.assertEqual(resp.json["id"], a["id"])
        self.assertEqual(self.get_group(a["id"])["displayName"], "sudo")
        self.nss_absent("group", "data-science")
        self.nss_absent("group", str(old_gid))
        self.assertNoScimGroup("sudo", login)
        resp = self.api.put("/Groups/" + a["id"], {"schemas": [h.URN_GROUP],
                                                   "displayName": "Data Science",
                                                   "members": [{"value": member}]})
        self.assertGroupResource(resp, 200, "PUT back to Data Science")
        new_gid, _ = self.nss_group("data-science", [login])
        self.assertNotEqual(new_gid, old_gid, "a released gid was reused")

    def test_unknown_member_is_refused_and_nothing_applied(self):
        (known, _, login), = self.make_users(1, "known")
        ghost = "0badc0de-0000-4000-8000-000000000000"
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "Ghosts",
                                         "members": [{"value": known}, {"value": ghost}]})
        self.assertScimError(resp, 400, "invalidValue", "POST with a member that is no user")
        resp, _ = self.filter_groups('displayName eq "Ghosts"')
        self.assertEmptyList(resp, "refused group must not be stored")

        group = self.create_group("Real People")
        resp = self.api.patch_ops("/Groups/" + group["id"], [
            {"op": "add", "path": "members", "value": [{"value": known}]},
            {"op": "add", "path": "members", "value": [{"value": ghost}]}])
        self.assertScimError(resp, 400, "invalidValue", "PATCH adding a member that is no user")
        self.assertMembers(group["id"], [], "a refused PATCH must apply none of its operations")
        resp = self.api.put("/Groups/" + group["id"], {
            "schemas": [h.URN_GROUP], "displayName": "Real People",
            "members": [{"value": known}, {"value": "not-even-a-uuid"}]})
        self.assertScimError(resp, 400, "invalidValue", "PUT with a member that is no user")
        self.assertMembers(group["id"], [])
        self.nss_group("real-people", [])
        # A group id is not a user either.
        other = self.create_group("Nested Group")
        resp = self.api.patch_ops("/Groups/" + group["id"], [
            {"op": "add", "path": "members", "value": [{"value": other["id"]}]}])
        self.assertScimError(resp, 400, "invalidValue", "a group as a member (no nesting)")
        self.assertMembers(group["id"], [])

    def test_patch_of_missing_group(self):
        resp = self.api.patch_ops("/Groups/6f1f0b4e-0000-4000-8000-000000000000", [
            {"op": "replace", "path": "displayName", "value": "Nobody"}])
        self.assertScimError(resp, 404, msg="PATCH of an unknown group")


class UsersGroupsAttribute(GroupTestCase):
    """Users' read-only `groups`: returned, filterable, never writable; deleting a user
    takes it out of every group."""

    def test_groups_attribute_and_filters(self):
        (a, _, _), (b, _, _) = self.make_users(2, "attr")
        g1 = self.create_group("Attr One", [a, b])
        g2 = self.create_group("Attr Two", [a])
        user = self.get_user(a)
        got = sorted((g.get("value"), g.get("display")) for g in user.get("groups", []))
        self.assertEqual(got, sorted([(g1["id"], "Attr One"), (g2["id"], "Attr Two")]),
                         "GET /Users/{id} groups: %s" % json.dumps(user.get("groups")))
        ids = [u["id"] for u in self.find('groups.value eq "%s"' % g1["id"])]
        self.assertEqual(sorted(ids), sorted([a, b]), "filter groups.value eq")
        ids = [u["id"] for u in self.find('groups.display eq "Attr Two"')]
        self.assertEqual(ids, [a], "filter groups.display eq")
        self.assertEqual(self.find('groups.display eq "No Such Group"'), [])

    def test_groups_attribute_is_read_only(self):
        g = self.create_group("Read Only Check")
        name = unique("rocheck")
        resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                        "groups": [{"value": g["id"]}]})
        self.assertStatus(resp, (201, 400), "POST /Users with groups")
        if resp.status == 201:
            self.assertEqual(member_ids(self.get_group(g["id"])), [],
                             "a user's groups attribute must not add it to a group")
            resp = self.api.patch_ops("/Users/" + resp.json["id"], [
                {"op": "add", "path": "groups", "value": [{"value": g["id"]}]}])
            self.assertStatus(resp, (200, 204, 400), "PATCH add groups on a user")
            self.assertEqual(member_ids(self.get_group(g["id"])), [],
                             "PATCH of a user's groups must not add it to a group")

    def test_delete_user_leaves_every_group(self):
        (a, _, la), (b, _, lb) = self.make_users(2, "leaver")
        g1 = self.create_group("Leavers One", [a, b])
        g2 = self.create_group("Leavers Two", [a])
        self.nss_group("leavers-one", [la, lb])
        self.assertStatus(self.api.delete("/Users/" + a), 204, "DELETE user")
        self.assertMembers(g1["id"], [b])
        self.assertMembers(g2["id"], [])
        self.nss_group("leavers-one", [lb])
        self.nss_group("leavers-two", [])
        self.assertEqual(self.find('groups.value eq "%s"' % g2["id"]), [])


class GroupBeyondFirstBuffer(GroupTestCase):
    """glibc's getgrnam starts with a 1 KiB buffer and retries with a larger one only when
    the module answers TRYAGAIN with errno ERANGE: a 150-member group needs that retry."""

    def test_150_member_group_resolves(self):
        users = self.make_users(150, "wide")
        group = self.create_group("Wide Group", [u[0] for u in users])
        self.assertEqual(len(group.get("members", [])), 150)
        gid, members = self.nss_group("wide-group", [u[2] for u in users])
        rc, out = nssenv.getent(self.scimd, "group", str(gid))
        self.assertEqual(rc, 0, "getent -s scim group %d (by gid) failed" % gid)
        self.assertEqual(len(nssenv.group_fields(out)[2]), 150)
        p = nssenv.in_namespace(self.scimd, "id -nG %s" % users[0][2])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("wide-group", p.stdout.split(), "id -nG in the namespace")


class LargeGroup(GroupTestCase):
    """10,000 members added the way the IdPs batch them: PATCHes of at most 500 members,
    each body well within the 1 MiB limit and each one transaction."""

    N = 10000
    BATCH = 500

    def test_10000_member_group(self):
        t0 = time.monotonic()
        names = ["big%05d@example.com" % i for i in range(self.N)]
        logins = [login_of(n) for n in names]
        with ThreadPoolExecutor(4) as pool:  # the users are setup, not what is measured
            ids = list(pool.map(lambda n: self.api.create_user(n)["id"], names))
        t_users = time.monotonic() - t0
        group = self.create_group("Everyone Big")
        t1 = time.monotonic()
        largest = 0
        for start in range(0, self.N, self.BATCH):
            ops = [{"op": "add", "path": "members",
                    "value": [{"value": v} for v in ids[start:start + self.BATCH]]}]
            body = json.dumps({"schemas": [h.URN_PATCH_OP], "Operations": ops}).encode()
            largest = max(largest, len(body))
            self.assertLess(len(body), 1 << 20, "a 500-member PATCH must fit in 1 MiB")
            self.patch_group(group["id"], ops, "PATCH members %d..%d" % (start,
                                                                          start + self.BATCH))
        t_patch = time.monotonic() - t1
        got = self.get_group(group["id"])
        self.assertEqual(len(got.get("members", [])), self.N, "members via GET /Groups/{id}")
        self.assertEqual(member_ids(got), sorted(ids))
        print("\n# %d users created in %.1f s; %d PATCHes of %d members (largest body %d "
              "bytes) in %.1f s" % (self.N, t_users, self.N // self.BATCH, self.BATCH, largest,
                                    t_patch))
        if not nssenv.have_module():
            self.skipTest("libnss_scim.so.2 not built")
        t2 = time.monotonic()
        nssenv.wait_getent(self.scimd, ("group", "everyone-big"),
                           lambda rc, out: rc == 0 and len(
                               nssenv.group_fields(out)[2]) == self.N,
                           "everyone-big with %d members" % self.N, timeout=30)
        t_export = time.monotonic() - t2
        t3 = time.monotonic()
        rc, out = nssenv.getent(self.scimd, "group", "everyone-big")
        t_getent = time.monotonic() - t3
        name, _, members = nssenv.group_fields(out)
        self.assertEqual(rc, 0)
        self.assertEqual(sorted(members), sorted(logins))
        count, best = nssenv.time_getgrnam(self.scimd, "everyone-big")
        self.assertEqual(count, self.N, "getgrnam_r member count")
        print("# getent -s scim group everyone-big (%d members, %d bytes): %.1f ms for the "
              "whole getent process; getgrnam_r in-process best of 50: %.0f us; visible "
              "%.2f s after the last PATCH"
              % (len(members), len(out), t_getent * 1000, best * 1e6, t_export))


if __name__ == "__main__":
    main()
