#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Microsoft Entra ID's group provisioning, request by request as Microsoft's "Tutorial:
Develop and plan provisioning for a SCIM endpoint" and its SCIM validator show it:
lookup with excludedAttributes=members&filter=displayName eq, POST carrying Microsoft's
extra group schema URN, GET by id with excludedAttributes=members, lookup by externalId,
PATCH Add members with {"$ref": null, "value": id}, Remove path "members" with a value array
(removes only those), Remove members[value eq "id"], Replace displayName and externalId,
DELETE. PATCH answers 204 (200 with the group when attributes are asked for). The groups
are checked through glibc too (getent -s scim, and id(1) in a mount namespace).
"""

import uuid

from groupsupport import MS_GROUP_URN, GroupTestCase, h, main, member_ids, nssenv  # noqa: F401


def entra_display_name():
    # The validator names groups with a GUID; Linux names are lower-case.
    return "Group_%s" % uuid.uuid4()


class EntraGroupProvisioning(GroupTestCase):
    """One provisioning cycle; steps share state and run in order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.entra = cls.scimd.client(auth="bearer")  # Entra's "Secret Token"
        cls.state["display"] = entra_display_name()
        cls.state["external_id"] = str(uuid.uuid4())

    def linux_name(self, display=None):
        return (display or self.state["display"]).lower()

    def users(self):
        if "users" not in self.state:
            self.state["users"] = self.make_users(4, "entra")
        return self.state["users"]

    def entra_patch(self, gid, operations, what, query=None):
        resp = self.entra.patch_ops("/Groups/" + gid, operations, query=query)
        self.assertStatus(resp, (200, 204), what)
        return resp

    def test_01_lookup_by_display_name_finds_nothing(self):
        resp = self.entra.get("/Groups", query={
            "excludedAttributes": "members",
            "filter": 'displayName eq "%s"' % self.state["display"]})
        self.assertEmptyList(resp, "Entra's lookup before create")

    def test_02_create_with_microsoft_schema(self):
        resp = self.entra.post("/Groups", {
            "schemas": [h.URN_GROUP, MS_GROUP_URN],
            "externalId": self.state["external_id"],
            "displayName": self.state["display"],
            "meta": {"resourceType": "Group"}})
        group = self.assertGroupResource(resp, 201, "Entra POST /Groups with the ADSCIM URN")
        self.assertEqual(group["displayName"], self.state["display"])
        self.assertEqual(group.get("externalId"), self.state["external_id"])
        self.assertEqual(member_ids(group), [])
        self.state["gid"] = group["id"]
        self.state["unix_gid"], _ = self.nss_group(self.linux_name(), [])

    def test_03_get_excluding_members(self):
        gid = self.need("gid")
        resp = self.entra.get("/Groups/" + gid, query={"excludedAttributes": "members"})
        group = self.assertGroupResource(resp, 200, "GET /Groups/{id}?excludedAttributes=members")
        self.assertNotIn("members", group, resp.describe())
        self.assertEqual(group["id"], gid)
        self.assertEqual(group["displayName"], self.state["display"])

    def test_04_lookup_by_external_id_and_display_name(self):
        gid = self.need("gid")
        for expr in ('externalId eq "%s"' % self.state["external_id"],
                     'displayName eq "%s"' % self.state["display"]):
            resp = self.entra.get("/Groups", query={"excludedAttributes": "members",
                                                    "filter": expr})
            body = self.assertListResponse(resp, total=1, msg=expr)
            self.assertEqual(body["Resources"][0]["id"], gid)
            self.assertNotIn("members", body["Resources"][0], resp.describe())

    def test_05_add_members(self):
        gid = self.need("gid")
        users = self.users()
        for uid, _, _ in users[:3]:  # Entra adds one member per operation
            resp = self.entra_patch(gid, [{"op": "Add", "path": "members",
                                           "value": [{"$ref": None, "value": uid}]}],
                                    "Entra PATCH Add members {$ref: null}")
            self.assertEqual(resp.status, 204, "PATCH without attributes answers 204:\n"
                             + resp.describe())
        self.assertMembers(gid, [u[0] for u in users[:3]])
        self.nss_group(self.linux_name(), [u[2] for u in users[:3]])
        p = nssenv.in_namespace(self.scimd, "id -nG %s; getent initgroups %s"
                                % (users[0][2], users[0][2]))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertIn(self.linux_name(), lines[0].split(), "id -nG in the namespace")
        self.assertIn(str(self.need("unix_gid")), lines[1].split(), "getent initgroups")

    def test_06_remove_members_by_value_array_removes_only_those(self):
        gid = self.need("gid")
        users = self.users()
        self.entra_patch(gid, [{"op": "Remove", "path": "members",
                                "value": [{"value": users[0][0]}]}],
                         "Entra PATCH Remove members with a value array")
        self.assertMembers(gid, [users[1][0], users[2][0]],
                           "Remove with a value must remove only that member, not all")
        self.nss_group(self.linux_name(), [users[1][2], users[2][2]])

    def test_07_remove_member_by_value_filter(self):
        gid = self.need("gid")
        users = self.users()
        self.entra_patch(gid, [{"op": "Remove",
                                "path": 'members[value eq "%s"]' % users[1][0]}],
                         'Entra PATCH Remove members[value eq "id"]')
        self.assertMembers(gid, [users[2][0]])
        self.nss_group(self.linux_name(), [users[2][2]])

    def test_08_replace_display_name(self):
        gid = self.need("gid")
        users = self.users()
        new = self.state["display"] + "updatedDisplayName"
        self.entra_patch(gid, [{"op": "Replace", "path": "displayName", "value": new}],
                         "Entra PATCH Replace displayName")
        self.assertEqual(self.get_group(gid)["displayName"], new)
        old_linux = self.linux_name()
        self.state["display"] = new
        got, _ = self.nss_group(self.linux_name(new), [users[2][2]])
        self.assertEqual(got, self.need("unix_gid"), "a rename keeps the gid")
        self.nss_absent("group", old_linux)

    def test_09_replace_external_id(self):
        gid = self.need("gid")
        old = self.state["external_id"]
        new = str(uuid.uuid4())
        self.entra_patch(gid, [{"op": "Replace", "path": "externalId", "value": new}],
                         "Entra PATCH Replace externalId")
        self.state["external_id"] = new
        self.assertEqual(self.get_group(gid).get("externalId"), new)
        resp, _ = self.filter_groups('externalId eq "%s"' % old)
        self.assertEmptyList(resp, "old externalId")
        resp, body = self.filter_groups('externalId eq "%s"' % new)
        self.assertEqual([g["id"] for g in body["Resources"]], [gid], resp.describe())

    def test_10_patch_asking_for_attributes_answers_200(self):
        gid = self.need("gid")
        users = self.users()
        resp = self.entra_patch(gid, [{"op": "Add", "path": "members",
                                       "value": [{"$ref": None, "value": users[3][0]}]}],
                                "PATCH ?attributes=members,displayName",
                                query={"attributes": "members,displayName"})
        self.assertEqual(resp.status, 200, "attributes were asked for:\n" + resp.describe())
        group = self.assertGroupResource(resp, 200)
        self.assertEqual(member_ids(group), sorted([users[2][0], users[3][0]]), resp.describe())

    def test_11_create_with_members(self):
        users = self.users()
        display = entra_display_name()
        resp = self.entra.post("/Groups", {
            "schemas": [h.URN_GROUP, MS_GROUP_URN], "externalId": str(uuid.uuid4()),
            "displayName": display, "meta": {"resourceType": "Group"},
            "members": [{"value": users[0][0]}, {"value": users[1][0]}]})
        group = self.assertGroupResource(resp, 201, "POST with members")
        self.assertEqual(member_ids(group), sorted([users[0][0], users[1][0]]))
        self.nss_group(display.lower(), [users[0][2], users[1][2]])
        self.state["second"] = (group["id"], display.lower())

    def test_12_unknown_member_changes_nothing(self):
        gid = self.need("gid")
        before = member_ids(self.get_group(gid))
        users = self.users()
        resp = self.entra.patch_ops("/Groups/" + gid, [
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": users[0][0]}]},
            {"op": "Add", "path": "members",
             "value": [{"$ref": None, "value": str(uuid.uuid4())}]}])
        self.assertScimError(resp, 400, "invalidValue", "Add of an id that is no user")
        self.assertEqual(member_ids(self.get_group(gid)), before,
                         "a refused PATCH must apply none of its operations")

    def test_13_delete(self):
        gid = self.need("gid")
        resp = self.entra.delete("/Groups/" + gid)
        self.assertStatus(resp, 204, "Entra DELETE /Groups/{id}")
        self.assertScimError(self.entra.get("/Groups/" + gid), 404, msg="GET after DELETE")
        resp, _ = self.filter_groups('displayName eq "%s"' % self.state["display"])
        self.assertEmptyList(resp, "deleted group must not be found")
        self.nss_absent("group", self.linux_name())
        self.nss_absent("group", self.need("unix_gid"))
        second, name = self.need("second")
        self.get_group(second)  # the other group is untouched
        self.nss_group(name, [self.users()[0][2], self.users()[1][2]])

    def test_14_recreate_same_name_gets_new_group(self):
        """A group is its SCIM id: a new group with a deleted group's displayName is a new
        resource; its gid is never one that named something else."""
        self.need("gid")
        display = self.state["display"]
        resp = self.entra.post("/Groups", {"schemas": [h.URN_GROUP, MS_GROUP_URN],
                                           "displayName": display})
        group = self.assertGroupResource(resp, 201, "re-create after DELETE")
        self.assertNotEqual(group["id"], self.state["gid"])
        got, _ = self.nss_group(self.linux_name(), [])
        second_gid, _ = self.nss_group(self.need("second")[1],
                                       [self.users()[0][2], self.users()[1][2]])
        old = self.need("unix_gid")
        self.assertNotEqual(got, second_gid)
        self.assertTrue(got == old or got > max(old, second_gid),
                        "gid %d of the re-created group is neither its name's old gid %d nor "
                        "a never-used one" % (got, old))


if __name__ == "__main__":
    main()
