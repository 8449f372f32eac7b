#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""POST /Users/.search and /Groups/.search (RFC 7644 §3.4.3) against a real scimd with the
default [server] max_request_head (8192): filters too long for a request line go in the
body and find the right users; the same filter in a GET gets a SCIM 431; every malformed
SearchRequest is refused with a SCIM 400 and changes nothing; a search from the root is 501.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, main, unique  # noqa: E402

URN_SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
URN_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
DOMAIN = "search.example.com"


def or_filter(names, n_terms):
    """userName eq ... or ... with n_terms terms: names first, then names nobody has."""
    terms = ['userName eq "%s"' % n for n in names]
    terms += ['userName eq "nobody%05d@%s"' % (i, DOMAIN) for i in range(n_terms - len(terms))]
    return " or ".join(terms)


class Search(ScimTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.users = [cls.api.create_user(unique("srch", DOMAIN)) for _ in range(6)]
            cls.group = cls.api.post("/Groups", {"schemas": [URN_GROUP],
                                                 "displayName": "search-ops"}).json
        except BaseException:
            cls.tearDownClass()
            raise
        cls.wanted = [cls.users[0], cls.users[3], cls.users[5]]

    def search(self, body, path="/Users/.search", **kw):
        return self.api.post(path, body, **kw)

    def assertFound(self, resp, users, msg):
        body = self.assertListResponse(resp, total=len(users), msg=msg)
        self.assertEqual(sorted(r["id"] for r in body.get("Resources", [])),
                         sorted(u["id"] for u in users), msg)
        return body

    def test_12kb_filter(self):
        flt = or_filter([u["userName"] for u in self.wanted], 300)
        self.assertGreater(len(flt), 12000)
        resp = self.search({"schemas": [URN_SEARCH], "filter": flt})
        self.assertFound(resp, self.wanted, "a %d-byte filter through .search" % len(flt))

    def test_40kb_filter(self):
        flt = or_filter([u["userName"] for u in self.wanted], 1000)
        self.assertGreater(len(flt), 40000)
        resp = self.search({"schemas": [URN_SEARCH], "filter": flt})
        self.assertFound(resp, self.wanted, "a %d-byte filter through .search" % len(flt))

    def test_12kb_filter_in_a_get_is_a_scim_431(self):
        # A bystander half-way through its own request line while the long one is refused:
        # the 431 (found by what each socket received, http_head.h) must not land on it.
        bystander = socket.create_connection(("127.0.0.1", self.scimd.port), timeout=10)
        try:
            bystander.sendall(b"GET %s/Users?count=1" % self.scimd.base_path.encode())
            flt = or_filter([u["userName"] for u in self.wanted], 300)
            resp = self.api.filter_users(flt)
            self.assertScimError(resp, 431, msg="GET with a %d-byte filter" % len(flt))
            bystander.sendall(b" HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                              b"Connection: close\r\n\r\n"
                              % self.scimd.token.bearer_header().encode())
            data = b""
            while True:
                chunk = bystander.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            bystander.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), "the bystander got %r" % data[:200])
        self.assertListResponse(self.api.get("/Users", query={"count": "1"}), msg="after 431")

    def test_paging_projection_and_case(self):
        flt = 'userName ew "@%s"' % DOMAIN
        resp = self.search({"SCHEMAS": [URN_SEARCH], "Filter": flt, "startIndex": 2,
                            "count": 2, "attributes": ["userName"],
                            "sortBy": "userName", "sortOrder": "descending"})
        body = self.assertListResponse(resp, total=len(self.users), msg="paged .search")
        self.assertEqual(body["startIndex"], 2)
        self.assertEqual(body["itemsPerPage"], 2)
        get = self.api.get("/Users", query={"filter": flt, "startIndex": "2", "count": "2",
                                            "attributes": "userName"}).json
        self.assertEqual(body, get, "the GET of the same query")
        for r in body["Resources"]:
            self.assertIn("userName", r)
            self.assertNotIn("active", r)
        resp = self.search({"schemas": [URN_SEARCH], "filter": flt,
                            "excludedAttributes": ["emails", "meta"]})
        body = self.assertListResponse(resp, total=len(self.users))
        for r in body["Resources"]:
            self.assertNotIn("meta", r)
        # The same answer as the GET of the same query.
        get = self.api.filter_users(flt).json
        post = self.search({"schemas": [URN_SEARCH], "filter": flt}).json
        self.assertEqual(get, post)

    def test_no_filter_lists_all(self):
        resp = self.search({"schemas": [URN_SEARCH], "count": 0})
        body = self.assertListResponse(resp, msg=".search without a filter")
        self.assertGreaterEqual(body["totalResults"], len(self.users))

    def test_groups(self):
        resp = self.search({"schemas": [URN_SEARCH],
                            "filter": 'displayName eq "search-ops"'}, path="/Groups/.search")
        body = self.assertListResponse(resp, total=1, msg="POST /Groups/.search")
        self.assertEqual(body["Resources"][0]["id"], self.group["id"])

    def test_root_search_is_501(self):
        resp = self.search({"schemas": [URN_SEARCH], "filter": 'userName pr'}, path="/.search")
        self.assertScimError(resp, 501, msg="POST /.search")

    def test_other_methods_are_405(self):
        resp = self.api.get("/Users/.search")
        self.assertScimError(resp, 405, msg="GET /Users/.search")
        self.assertEqual(resp.headers.get("Allow"), "POST")

    def test_needs_authentication(self):
        body = {"schemas": [URN_SEARCH], "filter": 'userName eq "%s"' % self.users[1]["userName"]}
        self.assertScimError(self.search(body, auth=None), 401, msg=".search without a token")
        self.assertFound(self.search(body), [self.users[1]], ".search with the token")


# Each refused SearchRequest: (name, raw body or JSON object, scimType).
BAD_BODIES = [
    ("empty", b"", "invalidSyntax"),
    ("not_json", b'{"schemas": [', "invalidSyntax"),
    ("array", [URN_SEARCH], "invalidSyntax"),
    ("no_schemas", {"filter": "userName pr"}, "invalidSyntax"),
    ("schemas_not_array", {"schemas": URN_SEARCH}, "invalidSyntax"),
    ("schemas_empty", {"schemas": []}, "invalidSyntax"),
    ("schemas_wrong_urn", {"schemas": [h.URN_USER]}, "invalidSyntax"),
    ("schemas_extra_urn", {"schemas": [URN_SEARCH, h.URN_USER]}, "invalidSyntax"),
    ("unknown_member", {"schemas": [URN_SEARCH], "filer": "userName pr"}, "invalidSyntax"),
    ("filter_not_string", {"schemas": [URN_SEARCH], "filter": 5}, "invalidValue"),
    ("filter_invalid", {"schemas": [URN_SEARCH], "filter": "userName zz 1"}, "invalidFilter"),
    ("filter_too_long", {"schemas": [URN_SEARCH], "filter": or_filter([], 1700)},
     "invalidFilter"),
    ("count_string", {"schemas": [URN_SEARCH], "count": "10"}, "invalidValue"),
    ("count_real", {"schemas": [URN_SEARCH], "count": 1.5}, "invalidValue"),
    ("start_index_null", {"schemas": [URN_SEARCH], "startIndex": None}, "invalidValue"),
    ("attributes_string", {"schemas": [URN_SEARCH], "attributes": "userName"}, "invalidValue"),
    ("attributes_number", {"schemas": [URN_SEARCH], "attributes": [1]}, "invalidValue"),
    ("attributes_comma", {"schemas": [URN_SEARCH], "attributes": ["userName,emails"]},
     "invalidValue"),
    ("excluded_empty_name", {"schemas": [URN_SEARCH], "excludedAttributes": [""]},
     "invalidValue"),
    ("sort_by_number", {"schemas": [URN_SEARCH], "sortBy": 1}, "invalidValue"),
    ("sort_order_bad", {"schemas": [URN_SEARCH], "sortOrder": "up"}, "invalidValue"),
]


class BadSearchBodies(ScimTestCase):
    """One test per refused body: a SCIM 400 with its scimType, and the store unchanged."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.api.create_user(unique("bad", DOMAIN))
        except BaseException:
            cls.tearDownClass()
            raise

    def snapshot(self):
        return self.assertListResponse(self.api.get("/Users"), msg="listing").get("Resources")

    def check(self, body, scim_type):
        before = self.snapshot()
        if isinstance(body, bytes):
            resp = self.api.post("/Users/.search", raw=body)
        else:
            resp = self.api.post("/Users/.search", body)
        self.assertScimError(resp, 400, scim_type, msg="SearchRequest %r" % (body,))
        self.assertEqual(self.snapshot(), before, "a refused .search changed the store")


def _bad_body_test(body, scim_type):
    return lambda self: self.check(body, scim_type)


for _name, _body, _type in BAD_BODIES:
    setattr(BadSearchBodies, "test_" + _name, _bad_body_test(_body, _type))


if __name__ == "__main__":
    main()
