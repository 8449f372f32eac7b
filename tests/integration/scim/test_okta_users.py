#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Okta's SCIM 2.0 provisioning conversation, request by request (Okta's "SCIM 2.0
protocol reference" / "Build a SCIM provisioning integration"): lookup by userName,
create, read, profile update by PUT, deactivate/reactivate by PATCH, delete, re-create,
and uniqueness of userName. Okta is configured with Basic auth here (access id / key).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main, unique  # noqa: E402

CLIENT_CHOSEN_ID = "okta-chose-this-id-0001"


def okta_user(user_name, given, family, email, external_id):
    """What Okta POSTs for a new assignment (its default attribute mappings)."""
    return {
        "schemas": [h.URN_USER],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": "%s %s" % (given, family),
        "locale": "en-US",
        "externalId": external_id,
        "groups": [],
        "password": "Corr3ct-Horse-Battery-Staple",
        "active": True,
    }


class OktaUserLifecycle(ScimTestCase):
    """One user through Okta's whole lifecycle; steps run in order and share state."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.okta = cls.scimd.client(auth="basic")  # Okta "Basic Auth" mode
        cls.user_name = unique("okta.user", "okta.example.com")
        cls.state = {}

    def need(self, key):
        if key not in self.state:
            self.fail("an earlier step failed, so %r is unknown" % key)
        return self.state[key]

    def okta_lookup(self, user_name):
        # Okta's exact shape: filter plus startIndex=1&count=100, %20-encoded.
        return self.okta.get("/Users", query={"filter": 'userName eq "%s"' % user_name,
                                              "startIndex": "1", "count": "100"})

    def test_01_lookup_before_create_finds_nothing(self):
        resp = self.okta_lookup(self.user_name)
        body = self.assertEmptyList(resp, "Okta's pre-create lookup")
        self.assertEqual(body["startIndex"], 1, resp.describe())

    def test_02_create(self):
        body = okta_user(self.user_name, "Ada", "Lovelace", self.user_name, "00u1okta0001")
        # readOnly attributes in a request are ignored (RFC 7644 §3.3).
        body["id"] = CLIENT_CHOSEN_ID
        body["meta"] = {"resourceType": "User", "created": "2001-02-03T04:05:06Z",
                        "lastModified": "2001-02-03T04:05:06Z", "version": 'W/"client"',
                        "location": "https://attacker.example/Users/x"}
        resp = self.okta.post("/Users", body)
        user = self.assertUserResource(resp, 201, "POST /Users")
        self.assertNotEqual(user["id"], CLIENT_CHOSEN_ID, "client-chosen id was used")
        self.assertTrue(user["id"].strip(), "empty id")
        self.assertEqual(user["userName"], self.user_name)
        self.assertIs(user.get("active"), True, resp.describe())
        self.assertEqual(user.get("externalId"), "00u1okta0001", resp.describe())
        self.assertEqual(user.get("name", {}).get("givenName"), "Ada", resp.describe())
        self.assertEqual([e.get("value") for e in user.get("emails", [])], [self.user_name])
        meta = user.get("meta", {})
        self.assertEqual(meta.get("resourceType"), "User", resp.describe())
        self.assertNotEqual(meta.get("created"), "2001-02-03T04:05:06Z",
                            "client-supplied meta.created was stored")
        self.assertNotEqual(meta.get("version"), 'W/"client"', "client meta.version stored")
        location = resp.headers.get("Location")
        self.assertIsNotNone(location, "201 without Location header:\n" + resp.describe())
        self.assertEqual(location, meta.get("location"),
                         "Location header != meta.location:\n" + resp.describe())
        self.assertTrue(location.endswith("/Users/" + user["id"]), location)
        self.assertTrue(location.startswith("http://127.0.0.1:%d/scim/v2/" % self.scimd.port)
                        or location.startswith("/scim/v2/"), location)
        for stamp in ("created", "lastModified"):
            self.assertRegex(meta.get(stamp) or "",
                             r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$",
                             "meta.%s is not an xsd:dateTime" % stamp)
        linux = user.get(h.URN_LINUX_USER, {})
        self.assertTrue(h.TEST_UID_MIN <= linux.get("uidNumber", -1) <= h.TEST_UID_MAX,
                        "uidNumber outside the configured range: %r" % linux)
        self.assertEqual(linux.get("gidNumber"), linux.get("uidNumber"),
                         "the private group's gid must equal the uid")
        self.state["id"] = user["id"]
        self.state["uidNumber"] = linux.get("uidNumber")
        self.state["created"] = meta.get("created")

    def test_03_get_by_id(self):
        uid = self.need("id")
        resp = self.okta.get("/Users/" + uid)
        user = self.assertUserResource(resp, 200, "GET /Users/{id}")
        self.assertEqual(user["id"], uid)
        self.assertEqual(user["userName"], self.user_name)
        self.assertEqual(user["meta"].get("location", "").rsplit("/", 1)[-1], uid)
        self.assertEqual(user["meta"].get("created"), self.state["created"])

    def test_04_lookup_finds_user_case_insensitively(self):
        uid = self.need("id")
        for name in (self.user_name, self.user_name.upper()):
            resp = self.okta_lookup(name)
            body = self.assertListResponse(resp, total=1, msg="lookup %r" % name)
            self.assertEqual(len(body["Resources"]), 1, resp.describe())
            self.assertEqual(body["Resources"][0]["id"], uid, resp.describe())
            self.assertEqual(body["Resources"][0]["userName"], self.user_name,
                             "userName must come back as stored, not as queried")
            self.assertNotPassword(body)

    def test_05_import_lists_user(self):
        uid = self.need("id")
        resp = self.okta.get("/Users", query={"startIndex": "1", "count": "100"})
        body = self.assertListResponse(resp, msg="Okta import (no filter)")
        self.assertIn(uid, [r["id"] for r in body["Resources"]], resp.describe())

    def test_06_profile_update_by_put(self):
        uid = self.need("id")
        before = self.get_user(uid)
        body = okta_user(self.user_name, "Ada", "King", "ada.king@okta.example.com",
                         "00u1okta0001")
        body["id"] = uid
        body["title"] = "Countess of Lovelace"
        resp = self.okta.put("/Users/" + uid, body)
        user = self.assertUserResource(resp, 200, "PUT /Users/{id}")
        self.assertEqual(user["id"], uid)
        self.assertEqual(user["name"].get("familyName"), "King", resp.describe())
        self.assertEqual(user.get("title"), "Countess of Lovelace", resp.describe())
        stored = self.get_user(uid)
        self.assertEqual(stored["name"].get("familyName"), "King")
        self.assertEqual(stored.get("displayName"), "Ada King")
        self.assertEqual([e.get("value") for e in stored.get("emails", [])],
                         ["ada.king@okta.example.com"])
        self.assertEqual(stored["meta"].get("created"), before["meta"].get("created"),
                         "PUT must not change meta.created")
        self.assertNotEqual(stored["meta"].get("version"), before["meta"].get("version"),
                            "PUT must change meta.version")

    def test_07_deactivate_by_patch(self):
        uid = self.need("id")
        resp = self.okta.patch_ops("/Users/" + uid, [{"op": "replace",
                                                      "value": {"active": False}}])
        # Okta's docs show 200 with the updated user for PATCH.
        user = self.assertUserResource(resp, 200, "Okta deactivation PATCH")
        self.assertIs(user.get("active"), False, resp.describe())
        self.assertIs(self.get_user(uid).get("active"), False, "GET after deactivation")
        found = self.find('userName eq "%s"' % self.user_name)
        self.assertEqual([(u["id"], u.get("active")) for u in found], [(uid, False)],
                         "a deactivated user stays visible to Okta's lookup")
        found = self.find('userName eq "%s" and active eq false' % self.user_name)
        self.assertEqual([u["id"] for u in found], [uid])

    def test_08_reactivate_by_patch(self):
        uid = self.need("id")
        resp = self.okta.patch_ops("/Users/" + uid, [{"op": "replace",
                                                      "value": {"active": True}}])
        user = self.assertUserResource(resp, 200, "Okta reactivation PATCH")
        self.assertIs(user.get("active"), True, resp.describe())
        self.assertIs(self.get_user(uid).get("active"), True)
        self.assertEqual(self.get_user(uid)["name"].get("familyName"), "King",
                         "reactivation must not lose the profile")

    def test_09_delete(self):
        uid = self.need("id")
        resp = self.okta.delete("/Users/" + uid)
        self.assertStatus(resp, 204, "DELETE /Users/{id}")
        self.assertEqual(resp.raw, b"", "204 must have no body")
        self.state["deleted"] = uid

    def test_10_deleted_id_is_gone_everywhere(self):
        uid = self.need("deleted")
        path = "/Users/" + uid
        self.assertScimError(self.okta.get(path), 404, msg="GET deleted user")
        body = okta_user(self.user_name, "Ada", "King", self.user_name, "00u1okta0001")
        self.assertScimError(self.okta.put(path, body), 404, msg="PUT deleted user")
        self.assertScimError(self.okta.patch_ops(path, [{"op": "replace",
                                                         "value": {"active": False}}]),
                             404, msg="PATCH deleted user")
        self.assertScimError(self.okta.delete(path), 404, msg="second DELETE")
        self.assertEmptyList(self.okta_lookup(self.user_name), "lookup after DELETE")

    def test_11_recreate_after_delete_gets_new_id(self):
        old = self.need("deleted")
        body = okta_user(self.user_name, "Ada", "Lovelace", self.user_name, "00u1okta0001")
        resp = self.okta.post("/Users", body)
        user = self.assertUserResource(resp, 201, "re-POST after DELETE")
        self.assertNotEqual(user["id"], old, "a deleted id was reused")
        uid_number = user.get(h.URN_LINUX_USER, {}).get("uidNumber")
        self.assertIsInstance(uid_number, int, "no uidNumber:\n" + resp.describe())
        self.assertNotEqual(uid_number, self.state.get("uidNumber"),
                            "the new user inherited the deleted user's uid")
        self.assertScimError(self.okta.get("/Users/" + old), 404, msg="old id after re-create")
        found = self.find('userName eq "%s"' % self.user_name)
        self.assertEqual([u["id"] for u in found], [user["id"]])


class OktaUniqueness(ScimTestCase):
    """Okta's custom app expectations: a duplicate userName is a 409 `uniqueness` error,
    compared case-insensitively, and the existing user is untouched."""

    def test_duplicate_username_is_409(self):
        okta = self.scimd.client(auth="basic")
        first = okta.post("/Users", okta_user("Alice.Dup@okta.example.com", "Alice", "One",
                                              "alice1@okta.example.com", "00u-dup-1"))
        original = self.assertUserResource(first, 201, "first POST")
        for dup in ("Alice.Dup@okta.example.com", "alice.dup@okta.example.com",
                    "ALICE.DUP@OKTA.EXAMPLE.COM"):
            resp = okta.post("/Users", okta_user(dup, "Alice", "Two", "alice2@okta.example.com",
                                                 "00u-dup-2"))
            self.assertScimError(resp, 409, "uniqueness", msg="duplicate userName %r" % dup)
        found = self.find('userName eq "alice.dup@okta.example.com"')
        self.assertEqual([u["id"] for u in found], [original["id"]], "exactly one user stored")
        stored = self.get_user(original["id"])
        self.assertEqual(stored["name"].get("familyName"), "One", "original user changed")
        self.assertEqual(stored.get("externalId"), "00u-dup-1")


if __name__ == "__main__":
    main()
