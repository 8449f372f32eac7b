#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Group provisioning as Okta (Group Push) and Microsoft Entra ID send it: lookup by
displayName, create, membership by PATCH in each vendor's dialect, rename, PUT of the
whole group, delete; users' read-only `groups` attribute follows; one Linux name
namespace for logins and groups.
"""

import os
import re
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main, unique  # noqa: E402

# Entra lists this Microsoft schema URN in the groups it creates.
MS_GROUP_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group"


def member_ids(group):
    return sorted(m.get("value") for m in group.get("members", []))


class GroupCase(ScimTestCase):

    def get_group(self, gid, **query):
        resp = self.api.get("/Groups/" + gid, query=query or None)
        self.assertStatus(resp, 200, "GET /Groups/" + gid)
        self.assertScimMedia(resp)
        group = resp.json
        self.assertIn(h.URN_GROUP, group.get("schemas", []), resp.describe())
        self.assertEqual(group.get("id"), gid)
        return group

    def user_group_ids(self, uid):
        return sorted(g.get("value") for g in self.get_user(uid).get("groups", []))

    def patch_group(self, gid, operations, what):
        resp = self.api.patch_ops("/Groups/" + gid, operations)
        self.assertStatus(resp, (200, 204), what)
        if resp.status == 204:
            self.assertEqual(resp.raw, b"", what)
        return self.get_group(gid)

    def find_groups(self, flt, **params):
        q = {"filter": flt}
        q.update(params)
        resp = self.api.get("/Groups", query=q)
        return self.assertListResponse(resp, msg="groups filter %s" % flt).get("Resources", [])


class OktaGroupPush(GroupCase):
    """Okta Group Push: steps run in order and share state."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.state = {}
        cls.display = "Engineering %s" % uuid.uuid4().hex[:6]
        try:
            cls.u1 = cls.api.create_user(unique("okta.member"))
            cls.u2 = cls.api.create_user(unique("okta.member"))
        except BaseException:
            cls.tearDownClass()
            raise

    def need(self, key):
        if key not in self.state:
            self.fail("an earlier step failed, so %r is unknown" % key)
        return self.state[key]

    def test_01_lookup_before_push(self):
        resp = self.api.get("/Groups", query={"filter": 'displayName eq "%s"' % self.display,
                                              "startIndex": "1", "count": "100"})
        self.assertEmptyList(resp, "Okta group lookup before push")

    def test_02_push_group(self):
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": self.display,
                                         "members": []})
        self.assertStatus(resp, 201, "POST /Groups")
        self.assertScimMedia(resp)
        group = resp.json
        self.assertEqual(group.get("displayName"), self.display)
        self.assertEqual(group.get("members", []), [])
        self.assertEqual(resp.headers.get("Location"), group.get("meta", {}).get("location"))
        self.assertEqual(group["meta"].get("resourceType"), "Group")
        self.state["id"] = group["id"]

    def test_03_lookup_case_insensitive(self):
        gid = self.need("id")
        found = self.find_groups('displayName eq "%s"' % self.display.upper())
        self.assertEqual([g["id"] for g in found], [gid])
        # Okta's group import pages through every group.
        resp = self.api.get("/Groups", query={"startIndex": "1", "count": "100"})
        body = self.assertListResponse(resp, msg="GET /Groups (import)")
        self.assertIn(gid, [g["id"] for g in body["Resources"]])
        resp = self.api.get("/Groups", query={"startIndex": "1", "count": "0"})
        self.assertEqual(self.assertListResponse(resp)["totalResults"], body["totalResults"])

    def test_04_add_members(self):
        gid = self.need("id")
        group = self.patch_group(gid, [{"op": "add", "path": "members", "value": [
            {"value": self.u1["id"], "display": self.u1["userName"]},
            {"value": self.u2["id"], "display": self.u2["userName"]}]}],
            "Okta PATCH add members")
        self.assertEqual(member_ids(group), sorted([self.u1["id"], self.u2["id"]]))
        self.assertEqual(self.user_group_ids(self.u1["id"]), [gid], "user's groups attribute")
        found = self.find('groups.value eq "%s"' % gid)
        self.assertEqual(sorted(u["id"] for u in found), sorted([self.u1["id"], self.u2["id"]]),
                         "users filtered by group membership")

    def test_04b_re_adding_a_member_is_idempotent(self):
        gid = self.need("id")
        group = self.patch_group(gid, [{"op": "add", "path": "members", "value": [
            {"value": self.u1["id"]}]}], "Okta PATCH add of an existing member")
        self.assertEqual(member_ids(group), sorted([self.u1["id"], self.u2["id"]]),
                         "member duplicated")

    def test_05_remove_member_by_filter(self):
        gid = self.need("id")
        group = self.patch_group(gid, [{"op": "remove",
                                        "path": 'members[value eq "%s"]' % self.u2["id"]}],
                                 "Okta PATCH remove members[value eq ...]")
        self.assertEqual(member_ids(group), [self.u1["id"]])
        self.assertEqual(self.user_group_ids(self.u2["id"]), [])

    def test_06_rename_with_id_in_value(self):
        # Okta's rename repeats the group's own id inside the value object.
        gid = self.need("id")
        new = self.display + " Renamed"
        group = self.patch_group(gid, [{"op": "replace", "value": {"id": gid,
                                                                   "displayName": new}}],
                                 "Okta PATCH rename (id repeated in value)")
        self.assertEqual(group["displayName"], new)
        self.assertEqual(member_ids(group), [self.u1["id"]], "rename lost members")
        groups = self.get_user(self.u1["id"]).get("groups", [])
        self.assertEqual([(g.get("value"), g.get("display")) for g in groups], [(gid, new)],
                         "the member's groups attribute shows a stale name")
        self.state["display"] = new

    def test_07_put_whole_group(self):
        gid = self.need("id")
        display = self.need("display")
        resp = self.api.put("/Groups/" + gid, {
            "schemas": [h.URN_GROUP], "id": gid, "displayName": display,
            "members": [{"value": self.u2["id"], "display": self.u2["userName"]}]})
        self.assertStatus(resp, 200, "Okta PUT /Groups/{id}")
        self.assertEqual(member_ids(resp.json), [self.u2["id"]], resp.describe())
        self.assertEqual(member_ids(self.get_group(gid)), [self.u2["id"]])
        self.assertEqual(self.user_group_ids(self.u1["id"]), [])
        self.assertEqual(self.user_group_ids(self.u2["id"]), [gid])

    def test_08_delete_group(self):
        gid = self.need("id")
        resp = self.api.delete("/Groups/" + gid)
        self.assertStatus(resp, 204, "DELETE /Groups/{id}")
        self.assertScimError(self.api.get("/Groups/" + gid), 404, msg="GET deleted group")
        self.assertEqual(self.user_group_ids(self.u2["id"]), [], "deleted group still listed")
        self.assertEqual(self.find_groups('displayName eq "%s"' % self.need("display")), [])
        self.assertEqual(self.get_user(self.u2["id"])["userName"], self.u2["userName"])


class EntraGroups(GroupCase):
    """Microsoft Entra ID's group requests (capitalised ops, value lists on Remove)."""

    def create(self, display, members=()):
        resp = self.api.post("/Groups", {
            "schemas": [h.URN_GROUP, MS_GROUP_URN], "externalId": str(uuid.uuid4()),
            "displayName": display, "meta": {"resourceType": "Group"},
            "members": [{"value": m} for m in members]})
        self.assertStatus(resp, 201, "Entra POST /Groups with the Microsoft schema URN")
        return resp.json

    def test_group_lifecycle(self):
        u1 = self.api.create_user(unique("entra.member"))
        u2 = self.api.create_user(unique("entra.member"))
        display = "Sales %s" % uuid.uuid4().hex[:6]
        group = self.create(display)
        gid = group["id"]

        found = self.find_groups('displayName eq "%s"' % display, excludedAttributes="members")
        self.assertEqual([g["id"] for g in found], [gid])
        self.assertNotIn("members", found[0])
        found = self.find_groups('externalId eq "%s"' % group["externalId"])
        self.assertEqual([g["id"] for g in found], [gid])
        self.assertNotIn("members", self.get_group(gid, excludedAttributes="members"))

        group = self.patch_group(gid, [{"op": "Add", "path": "members", "value": [
            {"$ref": None, "value": u1["id"]}, {"$ref": None, "value": u2["id"]}]}],
            "Entra PATCH Add members")
        self.assertEqual(member_ids(group), sorted([u1["id"], u2["id"]]))

        # Entra removes one member with path "members" and the member in the value list;
        # that must not empty the whole group.
        group = self.patch_group(gid, [{"op": "Remove", "path": "members", "value": [
            {"$ref": None, "value": u1["id"]}]}], "Entra PATCH Remove members with a value")
        self.assertEqual(member_ids(group), [u2["id"]])

        group = self.patch_group(gid, [{"op": "Replace", "path": "displayName",
                                        "value": display + " EMEA"}],
                                 "Entra PATCH Replace displayName")
        self.assertEqual(group["displayName"], display + " EMEA")
        self.assertEqual(member_ids(group), [u2["id"]])

        renamed = unique("entra.renamed")
        resp = self.api.patch_ops("/Users/" + u2["id"], [
            {"op": "Replace", "path": "userName", "value": renamed}])
        self.assertStatus(resp, (200, 204), "rename a member")
        group = self.get_group(gid)
        self.assertEqual([m.get("display") for m in group["members"]], [renamed],
                         "members[].display is stale after the user's rename")

        self.assertStatus(self.api.delete("/Groups/" + gid), 204, "DELETE group")
        self.assertScimError(self.api.get("/Groups/" + gid), 404)

    def test_deleted_user_leaves_groups(self):
        u1 = self.api.create_user(unique("entra.leaver"))
        u2 = self.api.create_user(unique("entra.stayer"))
        group = self.create("Leavers %s" % uuid.uuid4().hex[:6], [u1["id"], u2["id"]])
        self.assertStatus(self.api.delete("/Users/" + u1["id"]), 204)
        self.assertEqual(member_ids(self.get_group(group["id"])), [u2["id"]],
                         "a deleted user is still a member")


class GroupNames(GroupCase):
    """Group displayNames become Linux group names in the same namespace as logins."""

    def test_group_name_clashing_with_a_login_is_refused(self):
        self.api.create_user("salesops@example.com")
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "SalesOps"})
        self.assertScimError(resp, (400, 409), ("uniqueness", "invalidValue"),
                             msg="group 'SalesOps' vs login 'salesops'")
        self.assertEqual(self.find_groups('displayName eq "SalesOps"'), [])

    def test_login_clashing_with_a_group_name_is_refused(self):
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "auditors"})
        self.assertStatus(resp, 201)
        resp = self.api.post("/Users", {"schemas": [h.URN_USER],
                                        "userName": "auditors@example.com"})
        self.assertScimError(resp, (400, 409), ("uniqueness", "invalidValue"),
                             msg="login 'auditors' vs group 'auditors'")
        self.assertNotStored("auditors@example.com")

    def test_local_group_names_are_kept_as_scim_groups_only(self):
        """root, sudo, users: stored and answered as SCIM (architecture.md, issue 11), never in the
        cache; nor is one that gives no valid Linux name (12345); a blank one is refused."""
        ids = []
        for display in ("root", "Sudo", "users"):
            resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": display})
            self.assertStatus(resp, 201, "group %r is a local group" % display)
            self.assertEqual(resp.json["displayName"], display)
            self.assertEqual(self.api.get("/Groups/" + resp.json["id"]).json["displayName"],
                             display)
            ids.append(resp.json["id"])
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "12345"})
        self.assertStatus(resp, 201, "all digits is no Linux name, yet a SCIM group")
        ids.append(resp.json["id"])
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": " "})
        self.assertScimError(resp, 400, "invalidValue", msg="a blank displayName")
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "After Locals"})
        self.assertStatus(resp, 201)
        h.wait_until(lambda: re.search(r"(?m)^  after-locals:",
                                       self.scimd.scimctl("cache", "dump").stdout),
                     timeout=15, what="group after-locals in the cache")
        dump = self.scimd.scimctl("cache", "dump").stdout
        for name in ("root", "sudo", "users", "12345", "#"):
            self.assertNotRegex(dump, r"(?m)^  %s" % name)
        metrics = self.api.request("GET", "/metrics", base=False).raw.decode()
        self.assertRegex(metrics, r'scimd_not_materialized_total\{kind="group",'
                                  r'reason="reserved"\} [1-9]')
        for gid in ids:
            self.assertEqual(self.api.delete("/Groups/" + gid).status, 204)

    def test_duplicate_display_name_is_409(self):
        display = "Dup Group %s" % uuid.uuid4().hex[:6]
        self.assertStatus(self.api.post("/Groups", {"schemas": [h.URN_GROUP],
                                                    "displayName": display}), 201)
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP],
                                         "displayName": display.lower()})
        self.assertScimError(resp, 409, "uniqueness", msg="duplicate displayName")


if __name__ == "__main__":
    main()
