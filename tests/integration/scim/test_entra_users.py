#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Microsoft Entra ID's provisioning conversation, request by request (Microsoft's
"Tutorial: Develop and plan provisioning for a SCIM endpoint" and its SCIM validator):
test connection, lookup by userName and externalId, create with the enterprise extension
and an unknown custom extension, PATCH in Entra's dialect (capitalised ops, "True"/"False"
strings, value-path filters, dotted keys in a no-path Replace, the enterprise URN), manager
add/remove, disable/enable, rename, delete. Entra uses the Bearer secret token.
"""

import os
import re
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main  # noqa: E402

CUSTOM_URN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
ENT = h.URN_ENTERPRISE


def test_user_name(kind="User"):
    # Entra's validator names its users Test_User_<GUID>@<tenant domain>.
    return "Test_%s_%s@contoso.com" % (kind, uuid.uuid4())


def work_emails(user):
    return [e.get("value") for e in user.get("emails", []) if e.get("type") == "work"]


def primary_roles(user):
    return [r.get("value") for r in user.get("roles", [])
            if r.get("primary") is True or str(r.get("primary")).lower() == "true"]


class EntraUserLifecycle(ScimTestCase):
    """Steps run in order and share state, like one provisioning cycle."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.entra = cls.scimd.client(auth="bearer")  # Entra's "Secret Token"
        cls.user_name = test_user_name()
        cls.manager_name = test_user_name("Manager")
        cls.external_id = str(uuid.uuid4())
        cls.state = {}

    def need(self, key):
        if key not in self.state:
            self.fail("an earlier step failed, so %r is unknown" % key)
        return self.state[key]

    def patch_ok(self, uid, operations, what):
        """Entra accepts 200 with the resource or 204; the stored result is what counts."""
        resp = self.entra.patch_ops("/Users/" + uid, operations)
        self.assertStatus(resp, (200, 204), what)
        if resp.status == 200:
            self.assertUserResource(resp, 200, what)
            self.assertEqual(resp.json["id"], uid)
        else:
            self.assertEqual(resp.raw, b"", what + ": 204 with a body")
        return self.get_user(uid)

    def test_01_test_connection(self):
        # "Test Connection" queries a random userName and expects an empty 200.
        resp = self.entra.filter_users('userName eq "%s"' % uuid.uuid4())
        self.assertEmptyList(resp, "Entra test connection")
        self.assertEmptyList(self.entra.filter_users('userName eq "%s"' % self.user_name),
                             "lookup before create")

    def test_02_create_manager_without_email(self):
        resp = self.entra.post("/Users", {
            "schemas": [h.URN_USER, ENT],
            "externalId": str(uuid.uuid4()),
            "userName": self.manager_name,
            "active": True,
            "displayName": "Grace Manager",
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Grace Manager", "familyName": "Manager",
                     "givenName": "Grace"},
            "roles": [],
        })
        manager = self.assertUserResource(resp, 201, "POST manager")
        self.assertEqual(work_emails(manager), [])
        self.state["manager"] = manager["id"]

    def test_03_create_user_with_extensions(self):
        resp = self.entra.post("/Users", {
            "schemas": [h.URN_USER, ENT, CUSTOM_URN],
            "externalId": self.external_id,
            "userName": self.user_name,
            "active": True,
            "displayName": "Alex Wilber",
            "emails": [{"primary": True, "type": "work", "value": self.user_name}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Alex Wilber", "familyName": "Wilber", "givenName": "Alex"},
            "title": "Retail Manager",
            "preferredLanguage": "en-US",
            "roles": [{"primary": True, "type": "WindowsAzureActiveDirectoryRole",
                       "display": "Analyst", "value": "analyst"}],
            ENT: {"employeeNumber": "701984", "department": "Retail", "costCenter": "4130",
                  "organization": "Contoso", "division": "Stores"},
            CUSTOM_URN: {"CustomAttribute": "blue"},
        })
        user = self.assertUserResource(resp, 201, "POST with enterprise + unknown extension")
        self.assertEqual(user["userName"], self.user_name, "userName case must be preserved")
        self.assertEqual(user.get("externalId"), self.external_id)
        self.assertEqual(resp.headers.get("Location"), user["meta"].get("location"))
        self.assertIn(ENT, user["schemas"], "enterprise URN missing from schemas")
        ent = user.get(ENT, {})
        self.assertEqual(ent.get("employeeNumber"), "701984", resp.describe())
        self.assertEqual(ent.get("department"), "Retail", resp.describe())
        self.assertEqual(primary_roles(user), ["analyst"], resp.describe())
        self.assertEqual([r.get("type") for r in user["roles"]],
                         ["WindowsAzureActiveDirectoryRole"])
        self.state["id"] = user["id"]

    def test_04_get_returns_extension(self):
        user = self.get_user(self.need("id"))
        self.assertEqual(user.get(ENT, {}).get("costCenter"), "4130")
        self.assertEqual(user.get(ENT, {}).get("organization"), "Contoso")
        self.assertEqual(work_emails(user), [self.user_name])
        self.assertEqual(user["name"].get("formatted"), "Alex Wilber")

    def test_05_lookup_by_username_and_external_id(self):
        uid = self.need("id")
        for flt in ('userName eq "%s"' % self.user_name,
                    'externalId eq "%s"' % self.external_id):
            found = self.find(flt)
            self.assertEqual([u["id"] for u in found], [uid], flt)
        self.assertEqual(self.find('externalId eq "%s"' % uuid.uuid4()), [])

    def test_06_replace_multi_valued_and_sub_attribute(self):
        uid = self.need("id")
        user = self.patch_ok(uid, [
            {"op": "Replace", "path": 'emails[type eq "work"].value',
             "value": "alex.updated@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Wilber-Smith"},
        ], "PATCH Replace emails[type eq \"work\"].value + name.familyName")
        self.assertEqual(work_emails(user), ["alex.updated@contoso.com"],
                         "work email not replaced in place (or duplicated)")
        self.assertEqual(user["name"].get("familyName"), "Wilber-Smith")
        self.assertEqual(user["name"].get("givenName"), "Alex", "givenName clobbered")

    def test_07_replace_given_name(self):
        user = self.patch_ok(self.need("id"), [
            {"op": "Replace", "path": "name.givenName", "value": "Alexander"}],
            "PATCH Replace name.givenName")
        self.assertEqual(user["name"].get("givenName"), "Alexander")
        self.assertEqual(user["name"].get("familyName"), "Wilber-Smith")

    def test_08_add_work_email_when_absent(self):
        mgr = self.need("manager")
        user = self.patch_ok(mgr, [
            {"op": "Add", "path": 'emails[type eq "work"].value',
             "value": "grace.manager@contoso.com"}],
            "PATCH Add emails[type eq \"work\"].value on a user without emails")
        self.assertEqual(work_emails(user), ["grace.manager@contoso.com"],
                         "Add through a value filter must create the work email")

    def test_08b_add_is_idempotent(self):
        # Entra re-sends an Add after a timeout; RFC 7644 §3.5.2.1: no change, success.
        mgr = self.need("manager")
        user = self.patch_ok(mgr, [
            {"op": "Add", "path": "emails", "value": [
                {"type": "work", "value": "grace.manager@contoso.com"}]}],
            "PATCH Add of an email the user already has")
        self.assertEqual(work_emails(user), ["grace.manager@contoso.com"], "email duplicated")

    def test_09_replace_work_email_when_absent_creates_it(self):
        resp = self.entra.post("/Users", {"schemas": [h.URN_USER],
                                          "userName": test_user_name("NoMail"),
                                          "active": True})
        uid = self.assertUserResource(resp, 201, "POST user without email")["id"]
        user = self.patch_ok(uid, [
            {"op": "Replace", "path": 'emails[type eq "work"].value',
             "value": "nomail@contoso.com"}],
            "PATCH Replace emails[type eq \"work\"].value on a user without emails")
        self.assertEqual(work_emails(user), ["nomail@contoso.com"])

    def test_10_replace_primary_role(self):
        uid = self.need("id")
        user = self.patch_ok(uid, [
            {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": "auditor"}],
            "PATCH Replace roles[primary eq \"True\"].value")
        self.assertEqual(primary_roles(user), ["auditor"], "roles: %r" % user.get("roles"))
        self.assertEqual(len(user["roles"]), 1, "role duplicated: %r" % user["roles"])

    def test_11_add_primary_role_when_absent(self):
        mgr = self.need("manager")
        user = self.patch_ok(mgr, [
            {"op": "Add", "path": 'roles[primary eq "True"].value', "value": "analyst"}],
            "PATCH Add roles[primary eq \"True\"].value on a user without roles")
        self.assertEqual(primary_roles(user), ["analyst"], "roles: %r" % user.get("roles"))

    def test_12_disable_and_enable_with_string_booleans(self):
        uid = self.need("id")
        user = self.patch_ok(uid, [{"op": "Replace", "path": "active", "value": "False"}],
                             "PATCH Replace active \"False\"")
        self.assertIs(user.get("active"), False, "active must be stored as JSON false")
        found = self.find('userName eq "%s"' % self.user_name)
        self.assertEqual([u.get("active") for u in found], [False])
        user = self.patch_ok(uid, [{"op": "Replace", "path": "active", "value": "True"}],
                             "PATCH Replace active \"True\"")
        self.assertIs(user.get("active"), True, "active must be stored as JSON true")

    def test_13_no_path_replace_with_dotted_and_urn_keys(self):
        uid = self.need("id")
        user = self.patch_ok(uid, [{"op": "Replace", "value": {
            "displayName": "Alex W. Smith",
            "name.givenName": "Alex",
            "name.familyName": "Smith",
            ENT + ":department": "Finance",
            "title": "Controller",
        }}], "PATCH no-path Replace with dotted and URN-prefixed keys")
        self.assertEqual(user.get("displayName"), "Alex W. Smith")
        self.assertEqual(user["name"].get("givenName"), "Alex")
        self.assertEqual(user["name"].get("familyName"), "Smith")
        self.assertEqual(user["name"].get("formatted"), "Alex Wilber",
                         "sub-attributes not named must stay")
        self.assertEqual(user.get("title"), "Controller")
        ent = user.get(ENT, {})
        self.assertEqual(ent.get("department"), "Finance", "enterprise URN key ignored")
        self.assertEqual(ent.get("employeeNumber"), "701984", "other enterprise attrs lost")
        for verbatim in ("name.givenName", "name.familyName", ENT + ":department"):
            self.assertNotIn(verbatim, user, "key stored verbatim instead of as a path")

    def test_14_no_path_replace_with_extension_object(self):
        uid = self.need("id")
        user = self.patch_ok(uid, [{"op": "Replace", "value": {
            ENT: {"costCenter": "9999"}}}], "PATCH no-path Replace of the enterprise object")
        ent = user.get(ENT, {})
        self.assertEqual(ent.get("costCenter"), "9999")
        self.assertEqual(ent.get("department"), "Finance",
                         "RFC 7644 §3.5.2.3: unspecified sub-attributes are left unchanged")

    def test_15_add_and_remove_manager(self):
        uid, mgr = self.need("id"), self.need("manager")
        user = self.patch_ok(uid, [{"op": "Add", "path": ENT + ":manager", "value": mgr}],
                             "PATCH Add manager (Entra sends the id as a string)")
        self.assertEqual(user.get(ENT, {}).get("manager", {}).get("value"), mgr,
                         "manager: %r" % user.get(ENT))
        user = self.patch_ok(uid, [{"op": "Remove", "path": ENT + ":manager"}],
                             "PATCH Remove manager")
        self.assertNotIn("manager", user.get(ENT, {}), "manager not removed: %r"
                         % user.get(ENT))
        self.assertEqual(user.get(ENT, {}).get("department"), "Finance")
        user = self.patch_ok(uid, [{"op": "add", "path": ENT + ":manager",
                                    "value": {"value": mgr}}],
                             "PATCH add manager in the RFC object form")
        self.assertEqual(user.get(ENT, {}).get("manager", {}).get("value"), mgr)

    def test_16_rename_user(self):
        uid = self.need("id")
        new_name = test_user_name("Renamed")
        user = self.patch_ok(uid, [{"op": "Replace", "path": "userName", "value": new_name}],
                             "PATCH Replace userName")
        self.assertEqual(user["userName"], new_name)
        self.assertEqual([u["id"] for u in self.find('userName eq "%s"' % new_name)], [uid])
        self.assertEqual(self.find('userName eq "%s"' % self.user_name), [])

    def test_17_delete(self):
        uid = self.need("id")
        resp = self.entra.delete("/Users/" + uid)
        self.assertStatus(resp, 204, "DELETE")
        self.assertEqual(resp.raw, b"")
        self.assertScimError(self.entra.get("/Users/" + uid), 404, msg="GET after DELETE")
        self.assertEqual(self.find('externalId eq "%s"' % self.external_id), [])
        # The manager is unaffected.
        self.assertEqual(self.get_user(self.need("manager"))["userName"], self.manager_name)


class EmptyRoleValue(ScimTestCase):
    """IdP templates render an unset role parameter as "" (scimd's own OneLogin guide uses
    `"roles": [{"value": "{$parameters.linux_role}", "primary": true}]`); a user without a
    role must still be provisioned, the same as with "value": null."""

    def test_empty_role_value_means_no_role(self):
        resp = self.api.post("/Users", {"schemas": [h.URN_USER],
                                        "userName": test_user_name("NoRole"),
                                        "roles": [{"value": "", "primary": True}]})
        user = self.assertUserResource(resp, 201, "POST with an empty role value")
        self.assertEqual([v for v in primary_roles(user) if v], [])
        resp = self.api.patch_ops("/Users/" + user["id"], [
            {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": ""}])
        self.assertStatus(resp, (200, 204), "PATCH an empty role value")

    def test_null_role_value_means_no_role(self):
        resp = self.api.post("/Users", {"schemas": [h.URN_USER],
                                        "userName": test_user_name("NullRole"),
                                        "roles": [{"value": None, "primary": True}]})
        user = self.assertUserResource(resp, 201, "POST with a null role value")
        self.assertEqual([v for v in primary_roles(user) if v], [])


class EntraRemoveOps(ScimTestCase):
    """Remove with a value filter and of a simple attribute, as Entra sends them."""

    def test_remove_work_email_and_title(self):
        api = self.scimd.client()
        user = api.create_user(test_user_name(), title="Engineer",
                               emails=[{"type": "work", "value": "w@contoso.com",
                                        "primary": True},
                                       {"type": "home", "value": "h@contoso.com"}])
        resp = api.patch_ops("/Users/" + user["id"], [
            {"op": "Remove", "path": 'emails[type eq "work"]'},
            {"op": "Remove", "path": "title"}])
        self.assertStatus(resp, (200, 204), "PATCH Remove")
        stored = self.get_user(user["id"])
        self.assertEqual([e.get("value") for e in stored.get("emails", [])], ["h@contoso.com"])
        self.assertNotIn("title", stored)

    def test_remove_value_through_filter_clears_it(self):
        # Entra clears a mapped attribute by removing the value behind its filter.
        api = self.scimd.client()
        user = api.create_user(test_user_name(), name={"givenName": "Gi", "familyName": "Fa"},
                               emails=[{"type": "work", "value": "w2@contoso.com",
                                        "primary": True}],
                               roles=[{"primary": True, "value": "analyst",
                                       "type": "WindowsAzureActiveDirectoryRole"}])
        resp = api.patch_ops("/Users/" + user["id"], [
            {"op": "Remove", "path": 'emails[type eq "work"].value'},
            {"op": "Remove", "path": 'roles[primary eq "True"].value'},
            {"op": "Remove", "path": "name.givenName"}])
        self.assertStatus(resp, (200, 204), "PATCH Remove through value filters")
        stored = self.get_user(user["id"])
        self.assertEqual([v for v in work_emails(stored) if v], [], repr(stored.get("emails")))
        self.assertEqual([v for v in primary_roles(stored) if v], [], repr(stored.get("roles")))
        self.assertEqual(stored.get("name"), {"familyName": "Fa"})


class EntraAdminAppRole(ScimTestCase):
    """Microsoft's documented example app role is `Admin`; admin is a system group on Debian.
    The user is created (it used to be 409) and the role stays SCIM data: no Linux group,
    said in the log, the metrics and `scimctl users show` (issue 11)."""

    def test_admin_app_role_is_kept_but_not_a_linux_group(self):
        name = "Admin.Role.%s@contoso.com" % uuid.uuid4().hex[:8]
        resp = self.api.post("/Users", {
            "schemas": [h.URN_USER], "userName": name, "active": True,
            "roles": [{"primary": True, "type": "WindowsAzureActiveDirectoryRole",
                       "display": "Admin", "value": "Admin"},
                      {"primary": False, "type": "WindowsAzureActiveDirectoryRole",
                       "display": "Reader", "value": "Reader"}]})
        self.assertEqual(resp.status, 201, resp.describe())
        self.assertEqual(sorted(r["value"] for r in resp.json["roles"]), ["Admin", "Reader"])
        self.assertEqual(self.api.get("/Users/" + resp.json["id"]).status, 200)
        login = name.split("@")[0].lower()
        show = self.scimd.scimctl("users", "show", login).stdout
        self.assertIn("role: Admin: not a Linux group: 'admin' is reserved for a system or "
                      "package account", show)
        self.assertRegex(show, r"role: Reader: group reader \(gid \d+\)")
        h.wait_until(lambda: "is not a Linux group" in self.scimd.log_text(), timeout=5,
                     what="the log line for role Admin")
        metrics = self.api.request("GET", "/metrics", base=False).raw.decode()
        self.assertRegex(metrics, r'scimd_not_materialized_total\{kind="role",'
                                  r'reason="reserved"\} [1-9]')
        # The cache serves the reader group with the user in it, and no admin group of ours.
        h.wait_until(lambda: re.search(r"(?m)^  reader:x:\d+:%s " % re.escape(login),
                                       self.scimd.scimctl("cache", "dump").stdout),
                     timeout=15, what="group reader with %s in the cache" % login)
        self.assertNotRegex(self.scimd.scimctl("cache", "dump").stdout, r"(?m)^  admin:")


class EntraSshKeyExtension(ScimTestCase):
    """docs/entra-id.md maps a directory extension onto
    `urn:...:linux:1.0:User:sshPublicKeys[primary eq "True"].value`: Entra then sends the key
    in the extension object on create, and as a value-path PATCH on later changes."""

    KEY1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9yZ2FuaXNhdGlvbi1zYW1lLW5hbWUtdGVzdC1rZXkx laptop"
    KEY2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5IGZvciBzY2ltZCB0ZXN0cyBvbmx5 desktop"
    PATH = h.URN_LINUX_USER + ':sshPublicKeys[primary eq "True"].value'

    def keys(self, uid):
        ext = self.get_user(uid).get(h.URN_LINUX_USER, {})
        return [(k.get("value"), k.get("primary")) for k in ext.get("sshPublicKeys", [])]

    def test_key_from_a_directory_extension(self):
        entra = self.scimd.client(auth="bearer")
        resp = entra.post("/Users", {
            "schemas": [h.URN_USER, h.URN_LINUX_USER], "userName": test_user_name(),
            "active": True, "externalId": "mailnick",
            h.URN_LINUX_USER: {"sshPublicKeys": [{"primary": True, "value": self.KEY1}]}})
        self.assertEqual(resp.status, 201, resp.describe())
        uid = resp.json["id"]
        self.assertEqual(self.keys(uid), [(self.KEY1, True)])
        # the extension attribute changed in Entra: Replace on the value path
        resp = entra.patch_ops("/Users/" + uid, [
            {"op": "Replace", "path": self.PATH, "value": self.KEY2}])
        self.assertIn(resp.status, (200, 204), resp.describe())
        self.assertEqual(self.keys(uid), [(self.KEY2, True)])
        # a user created without the attribute gets it later through Add
        resp = entra.post("/Users", {"schemas": [h.URN_USER], "userName": test_user_name(),
                                     "active": True})
        self.assertEqual(resp.status, 201, resp.describe())
        uid2 = resp.json["id"]
        resp = entra.patch_ops("/Users/" + uid2, [
            {"op": "Add", "path": self.PATH, "value": self.KEY1}])
        self.assertIn(resp.status, (200, 204), resp.describe())
        self.assertEqual(self.keys(uid2), [(self.KEY1, True)])
        # a value that is not a plain public key is refused, and the stored key stays
        resp = entra.patch_ops("/Users/" + uid2, [
            {"op": "Replace", "path": self.PATH, "value": 'command="id" ' + self.KEY2}])
        self.assertScimError(resp, 400, "invalidValue")
        self.assertEqual(self.keys(uid2), [(self.KEY1, True)])


if __name__ == "__main__":
    main()
