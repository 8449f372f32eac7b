# SPDX-License-Identifier: MIT
"""Shared pieces of the /Groups integration tests: a ScimTestCase with group helpers and
checks of what the groups become through glibc NSS (libnss_scim.so.2, getent -s scim)."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, os.path.join(HERE, "..", "accounts"))

import nssenv  # noqa: E402
import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main, unique  # noqa: E402,F401

MS_GROUP_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def login_of(user_name):
    """The Linux login the harness config (login_name = localpart) gives a userName."""
    return user_name.split("@", 1)[0].lower()


def member_ids(group):
    return sorted(m.get("value") for m in group.get("members", []) or [])


class GroupTestCase(ScimTestCase):
    """ScimTestCase plus group helpers. Steps named test_NN_* run in order and share
    cls.state, like one provisioning cycle of an IdP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.state = {}

    def need(self, key):
        if key not in self.state:
            self.fail("an earlier step failed, so %r is unknown" % key)
        return self.state[key]

    # -- SCIM --------------------------------------------------------------------------
    def make_users(self, n, prefix="member"):
        """n fresh users; returns [(id, userName, login)]."""
        out = []
        for _ in range(n):
            name = unique(prefix)
            user = self.api.create_user(name)
            out.append((user["id"], name, login_of(name)))
        return out

    def assertGroupResource(self, resp, status=200, msg=""):
        ctx = (msg + ": ") if msg else ""
        self.assertStatus(resp, status, msg)
        self.assertScimMedia(resp)
        group = resp.json
        self.assertIsInstance(group.get("id"), str, ctx + "no id:\n" + resp.describe())
        self.assertIsInstance(group.get("displayName"), str,
                              ctx + "no displayName:\n" + resp.describe())
        self.assertIn(h.URN_GROUP, group.get("schemas", []), ctx + "schemas:\n" + resp.describe())
        meta = group.get("meta") or {}
        self.assertEqual(meta.get("resourceType"), "Group", ctx + "meta.resourceType:\n"
                         + resp.describe())
        return group

    def create_group(self, display, members=(), **extra):
        body = {"schemas": [h.URN_GROUP], "displayName": display,
                "members": [{"value": m} for m in members]}
        body.update(extra)
        resp = self.api.post("/Groups", body)
        return self.assertGroupResource(resp, 201, "POST /Groups %r" % display)

    def get_group(self, gid, **query):
        resp = self.api.get("/Groups/" + gid, query=query or None)
        return self.assertGroupResource(resp, 200, "GET /Groups/" + gid)

    def assertMembers(self, gid, expected, msg=""):
        group = self.get_group(gid)
        self.assertEqual(member_ids(group), sorted(expected),
                         "%smembers of group %s (%s)" % (msg + ": " if msg else "", gid,
                                                         group.get("displayName")))
        return group

    def patch_group(self, gid, operations, what, query=None):
        """PATCH answers 204, or 200 with the group (RFC 7644 §3.5.2)."""
        resp = self.api.patch_ops("/Groups/" + gid, operations, query=query)
        self.assertStatus(resp, (200, 204), what)
        if resp.status == 200:
            self.assertGroupResource(resp, 200, what)
        return resp

    def filter_groups(self, expr, **params):
        q = {"filter": expr}
        q.update({k: str(v) for k, v in params.items()})
        resp = self.api.get("/Groups", query=q)
        return resp, self.assertListResponse(resp, msg="GET /Groups?filter=%s" % expr)

    # -- NSS ---------------------------------------------------------------------------
    def require_nss(self):
        if not nssenv.have_module():
            self.skipTest("libnss_scim.so.2 not built at %s" % nssenv.module_path())

    def nss_group(self, name, members, timeout=10.0):
        """Wait until getent -s scim group NAME lists exactly these members (logins);
        returns (gid, members)."""
        self.require_nss()
        want = sorted(members)

        def ok(rc, out):
            return rc == 0 and sorted(nssenv.group_fields(out.splitlines()[0])[2]) == want

        shown = ", ".join(want[:5]) + (", ..." if len(want) > 5 else "")
        _, out = nssenv.wait_getent(self.scimd, ("group", name), ok,
                                    "group %s with %d members [%s]" % (name, len(want), shown),
                                    timeout)
        name_, gid, mem = nssenv.group_fields(out.splitlines()[0])
        self.assertEqual(name_, name)
        return gid, mem

    def nss_absent(self, db, key, timeout=10.0):
        self.require_nss()
        nssenv.wait_getent(self.scimd, (db, str(key)), lambda rc, out: rc == 2 and out == "",
                           "%s %s to disappear (rc 2, no output)" % (db, key), timeout)


__all__ = ["GroupTestCase", "h", "nssenv", "main", "unique", "login_of", "member_ids",
           "MS_GROUP_URN", "unittest"]
