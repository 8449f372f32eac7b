#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""RFC 7643/7644 details real SCIM clients trip on: authentication failures, error
shapes and media types, query-string decoding, paging, attribute projection, filters,
ETags, discovery endpoints, and the identity rules scimd enforces at the door.
Each class runs its own scimd so counts and listings are exact.
"""

import base64
import json
import os
import pwd
import re
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

import scimharness as h  # noqa: E402
from scimtest import ScimTestCase, is_int, main, unique  # noqa: E402

ENT = h.URN_ENTERPRISE


def ids(resources):
    return sorted(r["id"] for r in resources)


class Authentication(ScimTestCase):
    """Every refusal is a 401 with WWW-Authenticate and a SCIM error body."""

    # These tests send more bad credentials than the default throttle allows a minute.
    instance_kwargs = {"extra": {"server": {"auth_failure_limit": 1000}}}

    def assert401(self, resp, what):
        self.assertScimError(resp, 401, msg=what)
        challenge = resp.headers.get("WWW-Authenticate") or ""
        self.assertTrue(re.search(r"\b(basic|bearer)\b", challenge, re.I),
                        "%s: 401 without a Basic/Bearer WWW-Authenticate challenge:\n%s"
                        % (what, resp.describe()))

    def test_valid_basic_and_bearer(self):
        for auth in ("basic", "bearer"):
            resp = self.scimd.client(auth=auth).get("/Users")
            self.assertListResponse(resp, msg="GET /Users with %s auth" % auth)

    def test_scheme_names_are_case_insensitive(self):
        tok = self.scimd.token
        for header in ("bearer " + tok.bearer, "BEARER " + tok.bearer,
                       "basic " + tok.basic_header().split(" ", 1)[1]):
            resp = self.api.get("/Users", auth=header)
            self.assertListResponse(resp, msg="auth scheme %r (RFC 9110 §11.1)"
                                    % header.split(" ")[0])

    def test_missing_header(self):
        self.assert401(self.api.get("/Users", auth=None), "no Authorization header")
        name = unique("unauth")
        resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name}, auth=None)
        self.assert401(resp, "POST without Authorization")
        self.assertNotStored(name)

    def test_bad_basic(self):
        tok = self.scimd.token
        cases = {
            "wrong key": "Basic " + base64.b64encode(
                ("%s:%s" % (tok.access_id, tok.access_key + "x")).encode()).decode(),
            "unknown id": "Basic " + base64.b64encode(
                ("nosuchid:%s" % tok.access_key).encode()).decode(),
            "empty key": "Basic " + base64.b64encode(("%s:" % tok.access_id).encode()).decode(),
            "no colon": "Basic " + base64.b64encode(tok.access_id.encode()).decode(),
            "not base64": "Basic !!!not-base64!!!",
            "empty": "Basic ",
        }
        for what, header in cases.items():
            self.assert401(self.api.get("/Users", auth=header), "Basic auth, " + what)

    def test_bad_bearer(self):
        tok = self.scimd.token
        cases = {
            "random": "Bearer " + base64.b64encode(b"abc:def").decode(),
            "raw access key": "Bearer " + tok.access_key,
            "truncated": "Bearer " + tok.bearer[:-4],
            "empty": "Bearer ",
            "unknown scheme": "Token " + tok.bearer,
        }
        for what, header in cases.items():
            self.assert401(self.api.get("/Users", auth=header), "Bearer auth, " + what)

    def test_revoked_token_is_refused_on_next_request(self):
        doomed = self.scimd.create_token("revoke-me")
        bearer = self.scimd.client(doomed, auth="bearer")
        basic = self.scimd.client(doomed, auth="basic")
        self.assertListResponse(bearer.get("/Users"), msg="fresh token")
        listing = self.scimd.scimctl("token", "list").stdout
        self.assertIn(doomed.access_id, listing, "token list lacks the new token")
        self.assertNotIn(doomed.access_key, listing, "token list shows a secret key")
        self.scimd.scimctl("token", "revoke", doomed.access_id)
        self.assert401(bearer.get("/Users"), "revoked token (Bearer), scimd still running")
        self.assert401(basic.get("/Users"), "revoked token (Basic)")
        self.assertListResponse(self.api.get("/Users"), msg="the other token still works")


class ThrottledCase(ScimTestCase):
    """A daemon with a small failed-authentication throttle (no tests of its own)."""

    LIMIT, BAN = 3, 2
    instance_kwargs = {"extra": {"server": {"auth_failure_limit": LIMIT,
                                            "auth_failure_ban": BAN}}}
    BAD = "Bearer " + base64.b64encode(b"nosuchid:nosuchkey").decode()


class AuthThrottling(ThrottledCase):
    """After auth_failure_limit failures a minute an address gets 429 + Retry-After for
    auth_failure_ban seconds; a request with a valid token is always served."""

    def test_ban(self):
        bad = self.BAD
        for i in range(self.LIMIT - 1):
            self.assertScimError(self.api.get("/Users", auth=bad), 401, msg="failure %d" % i)
        # The failure that reaches the limit may already be answered with the 429.
        self.assertScimError(self.api.get("/Users", auth=bad), (401, 429), msg="at the limit")
        resp = self.api.get("/Users", auth=bad)
        self.assertScimError(resp, 429, msg="failure over the limit")
        retry = resp.headers.get("Retry-After") or ""
        self.assertTrue(retry.isdigit() and 0 < int(retry) <= self.BAN,
                        "429 needs Retry-After in 1..%d s:\n%s" % (self.BAN, resp.describe()))
        self.assertListResponse(self.api.get("/Users"), msg="a valid token during the ban")
        self.assertScimError(self.api.get("/Users", auth=None), 429, msg="no credentials, banned")
        self.assertListResponse(self.scimd.client(auth="basic").get("/Users"),
                                msg="a valid Basic token during the ban")


class AuthThrottlingRetryAfter(ThrottledCase):
    """Retry-After means what it says: the first request after it is heard again."""

    def test_request_after_retry_after_is_answered(self):
        # A ban that ran out starts a fresh failure count.
        bad = self.BAD
        resp = None
        for _ in range(self.LIMIT + 1):
            resp = self.api.get("/Users", auth=bad)
        self.assertScimError(resp, 429, msg="banned")
        time.sleep(int(resp.headers.get("Retry-After") or self.BAN) + 0.5)
        self.assertScimError(self.api.get("/Users", auth=bad), 401,
                             msg="first bad request after Retry-After elapsed")


class ErrorShapes(ScimTestCase):
    """RFC 7644 §3.12 errors, status codes and media types."""

    MAX_BODY = 65536
    instance_kwargs = {"extra": {"server": {"max_body_size": MAX_BODY}}}

    def setUp(self):
        self.user = self.api.create_user(unique("err"), name={"givenName": "Err"})
        self.path = "/Users/" + self.user["id"]

    def assertUnchanged(self):
        now = self.get_user(self.user["id"])
        self.assertEqual(now["meta"].get("version"), self.user["meta"].get("version"),
                         "a refused request changed the user")
        self.assertEqual(now["userName"], self.user["userName"])

    def test_invalid_json_is_invalid_syntax(self):
        for raw in (b'{"schemas": [', b"not json", b'{"userName": "a@b.example",}'):
            resp = self.api.post("/Users", raw=raw)
            self.assertScimError(resp, 400, "invalidSyntax", msg="POST body %r" % raw)
        resp = self.api.patch(self.path, raw=b'{"Operations": [ {"op": ')
        self.assertScimError(resp, 400, "invalidSyntax", msg="PATCH with broken JSON")
        self.assertUnchanged()

    def test_duplicate_json_keys_are_refused(self):
        name = unique("dupkey")
        raw = ('{"schemas": ["%s"], "userName": "%s", "userName": "other@example.com"}'
               % (h.URN_USER, name)).encode()
        self.assertScimError(self.api.post("/Users", raw=raw), 400,
                             ("invalidSyntax", "invalidValue"), msg="duplicate keys")
        self.assertNotStored(name)

    def test_non_object_body(self):
        self.assertScimError(self.api.post("/Users", raw=b"[]"), 400,
                             ("invalidSyntax", "invalidValue"), msg="array body")

    def test_bad_filter_is_invalid_filter(self):
        for flt in ('userName eq', 'userName xx "a"', '(userName eq "a"', 'userName eq "open',
                    'userName eq "a" and', 'emails[type eq "work"'):
            self.assertScimError(self.api.filter_users(flt), 400, "invalidFilter",
                                 msg="filter %r" % flt)

    def test_bad_patch_path(self):
        resp = self.api.patch_ops(self.path, [{"op": "replace", "path": "name..givenName",
                                               "value": "x"}])
        self.assertScimError(resp, 400, "invalidPath", msg="path name..givenName")
        resp = self.api.patch_ops(self.path, [{"op": "replace",
                                               "path": 'emails[type eq "work"',
                                               "value": "x"}])
        self.assertScimError(resp, 400, ("invalidPath", "invalidFilter"),
                             msg="path with an unclosed value filter")
        self.assertUnchanged()

    def test_remove_without_path_is_no_target(self):
        resp = self.api.patch_ops(self.path, [{"op": "remove"}])
        self.assertScimError(resp, 400, "noTarget", msg="remove without path")
        self.assertUnchanged()

    def test_bad_patch_op(self):
        resp = self.api.patch_ops(self.path, [{"op": "frobnicate", "path": "title",
                                               "value": "x"}])
        self.assertScimError(resp, 400, ("invalidSyntax", "invalidValue"), msg="unknown op")
        resp = self.api.patch(self.path, {"schemas": [h.URN_PATCH_OP]})
        self.assertScimError(resp, 400, ("invalidSyntax", "invalidValue"),
                             msg="PatchOp without Operations")
        self.assertUnchanged()

    def test_patch_read_only_is_mutability(self):
        for path, value in (("id", "hijacked-id"), ("meta.created", "2001-01-01T00:00:00Z"),
                            ("meta", {"version": 'W/"x"'})):
            resp = self.api.patch_ops(self.path, [{"op": "replace", "path": path,
                                                   "value": value}])
            self.assertScimError(resp, 400, "mutability", msg="PATCH replace %s" % path)
        self.assertScimError(self.api.get("/Users/hijacked-id"), 404, msg="id changed")
        self.assertUnchanged()

    def test_patch_is_all_or_nothing(self):
        resp = self.api.patch_ops(self.path, [
            {"op": "replace", "path": "title", "value": "applied?"},
            {"op": "replace", "path": "name.givenName", "value": "Changed"},
            {"op": "replace", "path": "id", "value": "nope"}])
        self.assertScimError(resp, 400, "mutability", msg="third op invalid")
        now = self.get_user(self.user["id"])
        self.assertNotIn("title", now, "RFC 7644 §3.5.2: a failed PATCH applies no op")
        self.assertEqual(now["name"].get("givenName"), "Err")
        self.assertUnchanged()

    def test_missing_or_empty_user_name(self):
        for body in ({"schemas": [h.URN_USER]}, {"schemas": [h.URN_USER], "userName": ""},
                     {"schemas": [h.URN_USER], "userName": None},
                     {"schemas": [h.URN_USER], "userName": 42}):
            resp = self.api.post("/Users", body)
            self.assertScimError(resp, 400, "invalidValue", msg="POST %r" % body)
        resp = self.api.put(self.path, {"schemas": [h.URN_USER], "title": "no userName"})
        self.assertScimError(resp, 400, "invalidValue", msg="PUT without userName")
        self.assertUnchanged()

    def test_put_ignores_id_in_body(self):
        resp = self.api.put(self.path, {"schemas": [h.URN_USER], "id": "another-id",
                                        "userName": self.user["userName"], "title": "put"})
        user = self.assertUserResource(resp, 200, "PUT with a different id in the body")
        self.assertEqual(user["id"], self.user["id"])
        self.assertEqual(self.get_user(self.user["id"]).get("title"), "put")
        self.assertScimError(self.api.get("/Users/another-id"), 404)

    def test_attribute_names_are_case_insensitive_in_bodies(self):
        name = unique("case")
        resp = self.api.post("/Users", {"SCHEMAS": [h.URN_USER], "UserName": name,
                                        "NAME": {"GivenName": "Casey"}, "Active": False})
        user = self.assertUserResource(resp, 201, "POST with odd-cased attribute names")
        self.assertEqual(user["userName"], name)
        self.assertEqual(user.get("name", {}).get("givenName"), "Casey", resp.describe())
        self.assertIs(user.get("active"), False, resp.describe())
        resp = self.api.patch_ops("/Users/" + user["id"], [
            {"op": "replace", "path": "NAME.GIVENNAME", "value": "Case"}])
        self.assertStatus(resp, (200, 204))
        self.assertEqual(self.get_user(user["id"])["name"].get("givenName"), "Case")

    def test_unknown_id_and_route_are_404(self):
        for method in ("GET", "DELETE"):
            resp = self.api.request(method, "/Users/" + str(uuid.uuid4()))
            self.assertScimError(resp, 404, msg="%s unknown id" % method)
        resp = self.api.patch_ops("/Users/" + str(uuid.uuid4()),
                                  [{"op": "replace", "path": "title", "value": "x"}])
        self.assertScimError(resp, 404, msg="PATCH unknown id")
        self.assertScimError(self.api.get("/NoSuchEndpoint"), 404, msg="unknown route")
        self.assertScimError(self.api.get("/Users/x/y"), 404, msg="too deep a route")
        self.assertScimError(self.api.get("/not/scim/Users", base=False), 404,
                             msg="outside base_path")

    def test_wrong_method_is_405(self):
        for method, path in (("DELETE", "/Users"), ("PUT", "/Users"), ("PATCH", "/Users"),
                             ("POST", self.path), ("DELETE", "/ServiceProviderConfig"),
                             ("POST", "/Schemas")):
            resp = self.api.request(method, path, {} if method in ("PUT", "PATCH", "POST")
                                    else None)
            self.assertScimError(resp, 405, msg="%s %s" % (method, path))
            self.assertTrue(resp.headers.get("Allow"),
                            "405 without Allow header (RFC 9110 §15.5.6):\n" + resp.describe())
        self.assertUnchanged()

    def test_wrong_content_type_is_415(self):
        name = unique("ctype")
        body = {"schemas": [h.URN_USER], "userName": name}
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
            resp = self.api.post("/Users", body, content_type=ctype)
            self.assertScimError(resp, 415, msg="POST with Content-Type " + ctype)
        self.assertNotStored(name)
        resp = self.api.patch_ops(self.path, [{"op": "replace", "path": "title",
                                               "value": "x"}], content_type="text/plain")
        self.assertScimError(resp, 415, msg="PATCH with text/plain")
        self.assertUnchanged()

    def test_json_media_types_accepted(self):
        for ctype in ("application/json", "application/scim+json; charset=utf-8",
                      "application/json;charset=UTF-8"):
            resp = self.api.post("/Users", {"schemas": [h.URN_USER],
                                            "userName": unique("ok-ctype")},
                                 content_type=ctype)
            self.assertUserResource(resp, 201, "POST with Content-Type " + ctype)

    def _oversized_user(self):
        name = unique("big")
        body = json.dumps({"schemas": [h.URN_USER], "userName": name,
                           "displayName": "x" * (self.MAX_BODY + 100)}).encode()
        self.assertGreater(len(body), self.MAX_BODY)
        return name, body

    def test_body_over_max_size_is_413(self):
        name, body = self._oversized_user()
        headers = ["Authorization: " + self.scimd.token.bearer_header(),
                   "Content-Type: application/scim+json", "Accept: application/scim+json",
                   "Content-Length: %d" % len(body), "Connection: close"]
        pieces = [body[i:i + 16384] for i in range(0, len(body), 16384)]
        resp = h.raw_http(self.scimd.port, "POST", "/scim/v2/Users", headers, pieces)
        self.assertScimError(resp, 413, msg="POST with Content-Length over max_body_size")
        self.assertNotStored(name)

    def test_chunked_body_over_max_size_is_413(self):
        name, body = self._oversized_user()
        headers = ["Authorization: " + self.scimd.token.bearer_header(),
                   "Content-Type: application/scim+json", "Transfer-Encoding: chunked",
                   "Connection: close"]
        pieces = []
        for i in range(0, len(body), 8192):
            chunk = body[i:i + 8192]
            pieces.append(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        pieces.append(b"0\r\n\r\n")
        resp = h.raw_http(self.scimd.port, "POST", "/scim/v2/Users", headers, pieces)
        # Refusing chunked bodies outright (411 Length Required) is as good as counting.
        self.assertScimError(resp, (411, 413), msg="chunked POST over max_body_size")
        self.assertNotStored(name)
        # The daemon is still fine afterwards.
        self.assertUserResource(self.api.post("/Users", {"schemas": [h.URN_USER],
                                                         "userName": unique("after413")}),
                                201, "POST after a 413")

    def test_oversized_request_head_gets_a_scim_error(self):
        # libmicrohttpd's own answer would be text/html without a Content-Type; a request
        # line longer than its memory (414 there) is answered 431 before it is complete.
        flt = " or ".join('userName eq "user%05d@example.com"' % i for i in range(1500))
        resp = self.api.filter_users(flt)
        self.assertScimError(resp, 431, msg="a 58 kB filter")
        resp = self.api.get("/Users", headers={"X-Padding": "a" * 70000})
        self.assertScimError(resp, 431, msg="70 kB of headers")

    def test_head_at_the_default_limit(self):
        # [server] max_request_head is 8192 by default: a head just under it is served
        # (the pool holds it and the response's headers), one just over it is refused 431
        # by scimd's own count, and one far over it by libmicrohttpd's, in SCIM either way.
        self.assertListResponse(self.api.get("/Users", headers={"X-Pad": "a" * 7900}),
                                msg="a 7.9 kB header")
        pads = [("X-P%02d" % i, "b" * 110) for i in range(40)]
        self.assertListResponse(self.api.get("/Users", headers=dict(pads)),
                                msg="40 headers, 4.6 kB")
        for n in (8300, 12000, 20000):
            resp = self.api.get("/Users", headers={"X-Pad": "a" * n})
            self.assertScimError(resp, 431, msg="a %d-byte header" % n)

    def test_long_filter_within_limits(self):
        flt = " or ".join('userName eq "user%05d@example.com"' % i for i in range(100))
        self.assertEmptyList(self.api.filter_users(flt), "a 4 kB filter")
        flt = " or ".join('userName eq "user%05d@example.com"' % i for i in range(190))
        self.assertGreater(len(flt), 7000)
        self.assertEmptyList(self.api.filter_users(flt), "a 7.4 kB filter")
        # Longer queries go in a POST /Users/.search body (test_search.py).
        flt = " or ".join('userName eq "user%05d@example.com"' % i for i in range(300))
        self.assertScimError(self.api.filter_users(flt), 431, msg="a 12 kB filter")

    def test_password_lengths_short(self):
        for n in (1, 72, 511):
            resp = self.api.post("/Users", {"schemas": [h.URN_USER],
                                            "userName": unique("pw%d" % n), "password": "p" * n})
            self.assertUserResource(resp, 201, "%d-byte password" % n)
        resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": unique("pw0"),
                                        "password": ""})
        self.assertScimError(resp, 400, "invalidValue", msg="empty password")

    def test_password_lengths_long(self):
        for n in (512, 1024, 1025, 4096):
            name = unique("pwlong%d" % n)
            resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": name,
                                            "password": "p" * n})
            self.assertIn(resp.status, (201, 400), "%d-byte password:\n%s"
                          % (n, resp.describe()))
            if resp.status == 400:
                self.assertScimError(resp, 400, "invalidValue")
                self.assertNotStored(name)

    def test_duplicate_is_409_uniqueness(self):
        resp = self.api.post("/Users", {"schemas": [h.URN_USER],
                                        "userName": self.user["userName"].upper()})
        self.assertScimError(resp, 409, "uniqueness", msg="duplicate userName")


class QueryStringDecoding(ScimTestCase):
    """Query strings are application/x-www-form-urlencoded: "+" is a space, %2B a plus."""

    def test_plus_means_space_and_2b_means_plus(self):
        user = self.api.create_user("first.last+tag@example.com")
        cases = [
            ("filter=userName+eq+%22first.last%2Btag%40example.com%22", [user["id"]]),
            ("filter=userName%20eq%20%22first.last%2Btag@example.com%22", [user["id"]]),
            ("filter=userName+eq+%22first.last+tag%40example.com%22", []),
        ]
        for query, expected in cases:
            resp = self.api.get("/Users", query=query)
            body = self.assertListResponse(resp, total=len(expected), msg="?" + query)
            self.assertEqual([r["id"] for r in body.get("Resources", [])], expected, query)


class Paging(ScimTestCase):
    """RFC 7644 §3.4.2.4 pagination over 25 users."""

    DOMAIN = "paging.example.com"
    N = 25

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.users = [cls.api.create_user(unique("pg", cls.DOMAIN)) for _ in range(cls.N)]
        except BaseException:
            cls.tearDownClass()
            raise
        cls.flt = 'userName ew "@%s"' % cls.DOMAIN

    def page(self, **params):
        resp = self.api.filter_users(self.flt, **params)
        return resp, self.assertListResponse(resp, total=self.N, msg="page %r" % params)

    def test_pages_are_consistent(self):
        seen = []
        for start, size in ((1, 10), (11, 10), (21, 5)):
            resp, body = self.page(startIndex=start, count=10)
            self.assertEqual(body["startIndex"], start, resp.describe())
            self.assertEqual(len(body["Resources"]), size, resp.describe())
            self.assertEqual(body["itemsPerPage"], size, resp.describe())
            again = self.page(startIndex=start, count=10)[1]
            self.assertEqual([r["id"] for r in again["Resources"]],
                             [r["id"] for r in body["Resources"]],
                             "the same page twice gave a different order")
            seen.extend(r["id"] for r in body["Resources"])
        self.assertEqual(len(seen), len(set(seen)), "a user appeared on two pages")
        self.assertEqual(sorted(seen), ids(self.users), "pages do not cover every user")

    def test_start_index_below_one_means_one(self):
        first = self.page(startIndex=1, count=5)[1]
        for start in (0, -3):
            resp, body = self.page(startIndex=start, count=5)
            self.assertEqual(body["startIndex"], 1, "startIndex=%d:\n%s"
                             % (start, resp.describe()))
            self.assertEqual([r["id"] for r in body["Resources"]],
                             [r["id"] for r in first["Resources"]])

    def test_start_index_past_the_end_is_an_empty_page(self):
        for start in (self.N + 1, 1000):
            resp, body = self.page(startIndex=start, count=10)
            self.assertEqual(body.get("Resources"), [], resp.describe())
            self.assertEqual(body["itemsPerPage"], 0, resp.describe())

    def test_count_zero_returns_only_total(self):
        for count in (0, -1):
            resp, body = self.page(count=count)
            self.assertEqual(body.get("Resources", []), [], "count=%d:\n%s"
                             % (count, resp.describe()))
            self.assertEqual(body["itemsPerPage"], 0, resp.describe())

    def test_large_count_and_no_filter(self):
        resp, body = self.page(count=1000)
        self.assertEqual(ids(body["Resources"]), ids(self.users), resp.describe())
        resp = self.api.get("/Users", query={"startIndex": "1", "count": "1000"})
        body = self.assertListResponse(resp, total=self.N, msg="no filter")
        self.assertEqual(ids(body["Resources"]), ids(self.users))


class AttributeProjection(ScimTestCase):
    """attributes= / excludedAttributes= (RFC 7644 §3.4.2.5, RFC 7643 §7 "returned")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.user = cls.api.create_user(
                unique("proj"), title="Engineer", password="Sup3r-Secret-Value",
                schemas=[h.URN_USER, ENT],
                name={"givenName": "Pro", "familyName": "Jection"},
                emails=[{"type": "work", "value": "proj@example.com", "primary": True}],
                **{ENT: {"department": "R&D", "employeeNumber": "42"}})
        except BaseException:
            cls.tearDownClass()
            raise
        cls.path = "/Users/" + cls.user["id"]

    def fetch(self, **params):
        """The user via GET by id and via a filtered list, with the same parameters."""
        q = {k: v for k, v in params.items()}
        by_id = self.api.get(self.path, query=q)
        user = self.assertUserResource(by_id, 200, "GET %r" % q)
        q["filter"] = 'id eq "%s"' % self.user["id"]
        listed = self.assertListResponse(self.api.get("/Users", query=q), total=1,
                                         msg="list %r" % q)["Resources"][0]
        self.assertNotPassword(listed)
        return [user, listed]

    def assertAlways(self, user):
        for key in ("id", "userName", "schemas"):
            self.assertIn(key, user, "%s must always be returned: %r" % (key, user))

    def test_attributes_user_name(self):
        for user in self.fetch(attributes="userName"):
            self.assertAlways(user)
            for key in ("name", "emails", "title", "active", ENT):
                self.assertNotIn(key, user, "attributes=userName returned %s" % key)

    def test_attributes_case_insensitive_and_sub_attribute(self):
        for user in self.fetch(attributes="NAME.givenName,Emails"):
            self.assertAlways(user)
            self.assertEqual(user.get("name"), {"givenName": "Pro"}, repr(user))
            self.assertEqual([e.get("value") for e in user.get("emails", [])],
                             ["proj@example.com"])
            self.assertNotIn("title", user)

    def test_attributes_urn_qualified(self):
        for user in self.fetch(attributes=ENT + ":department,"
                               + h.URN_USER + ":title"):
            self.assertAlways(user)
            self.assertEqual(user.get(ENT), {"department": "R&D"}, repr(user))
            self.assertEqual(user.get("title"), "Engineer")
            self.assertNotIn("name", user)

    def test_password_never_returned_even_when_asked(self):
        for user in self.fetch(attributes="password,userName"):
            self.assertAlways(user)  # assertNotPassword ran in fetch

    def test_excluded_attributes(self):
        for user in self.fetch(excludedAttributes="emails,name"):
            self.assertAlways(user)
            self.assertNotIn("emails", user)
            self.assertNotIn("name", user)
            self.assertEqual(user.get("title"), "Engineer")
            self.assertEqual(user.get(ENT, {}).get("employeeNumber"), "42")

    def test_excluding_always_attributes_has_no_effect(self):
        for user in self.fetch(excludedAttributes="userName,id,schemas"):
            self.assertAlways(user)
            self.assertEqual(user["userName"], self.user["userName"])


class Filters(ScimTestCase):
    """RFC 7644 §3.4.2.2 operators and grouping on a fixed set of three users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            api = cls.api
            cls.alpha = api.create_user(
                "f.alpha@example.com", title="Engineer", schemas=[h.URN_USER, ENT],
                name={"givenName": "Alpha"},
                emails=[{"type": "work", "value": "alpha@example.com", "primary": True}],
                **{ENT: {"employeeNumber": "1001"}})
            cls.beta = api.create_user(
                "f.beta@example.org", title="Manager", active=False,
                emails=[{"type": "home", "value": "beta@example.com"},
                        {"type": "work", "value": "beta@example.org", "primary": True}])
            cls.gamma = api.create_user("f.gamma@example.com", schemas=[h.URN_USER, ENT],
                                        **{ENT: {"employeeNumber": "1003"}})
        except BaseException:
            cls.tearDownClass()
            raise
        cls.names = {cls.alpha["id"]: "alpha", cls.beta["id"]: "beta",
                     cls.gamma["id"]: "gamma"}

    def check(self, flt, expected):
        found = sorted(self.names.get(u["id"], u["id"]) for u in self.find(flt))
        self.assertEqual(found, sorted(expected), "filter %s" % flt)

    def test_string_operators(self):
        self.check('userName co "beta"', ["beta"])
        self.check('userName sw "f.a"', ["alpha"])
        self.check('userName ew "example.com"', ["alpha", "gamma"])
        self.check('userName ne "f.alpha@example.com"', ["beta", "gamma"])
        self.check('title pr', ["alpha", "beta"])
        self.check('title eq "engineer"', ["alpha"])  # title is caseExact false

    def test_case_insensitive_names_and_operators(self):
        self.check('USERNAME EQ "F.ALPHA@EXAMPLE.COM"', ["alpha"])
        self.check('UserName Sw "F.G"', ["gamma"])

    def test_last_modified_comparisons(self):
        self.check('meta.lastModified gt "2000-01-01T00:00:00Z"', ["alpha", "beta", "gamma"])
        self.check('meta.lastModified lt "2000-01-01T00:00:00Z"', [])
        self.check('meta.lastModified gt "2999-01-01T00:00:00Z"', [])
        stamp = self.alpha["meta"]["lastModified"]
        self.check('meta.lastModified ge "%s" and userName eq "f.alpha@example.com"' % stamp,
                   ["alpha"])

    def test_logical_operators_and_precedence(self):
        self.check('userName sw "f." and active eq false', ["beta"])
        self.check('userName eq "f.alpha@example.com" or userName eq "f.gamma@example.com"',
                   ["alpha", "gamma"])
        self.check('not (userName eq "f.alpha@example.com")', ["beta", "gamma"])
        # "and" binds tighter than "or".
        self.check('title eq "Manager" or title eq "Engineer" and active eq false', ["beta"])
        self.check('(title eq "Manager" or title eq "Engineer") and active eq true', ["alpha"])

    def test_value_filter_matches_within_one_element(self):
        # beta's work address is @example.org and its home one @example.com: no match.
        self.check('emails[type eq "work" and value co "@example.com"]', ["alpha"])
        self.check('emails[type eq "home"]', ["beta"])
        self.check('emails.value co "@example.org"', ["beta"])
        self.check('emails pr', ["alpha", "beta"])

    def test_sub_attributes_of_absent_parents(self):
        # Only alpha has a name; gamma has no emails at all.
        self.check('name.givenName eq "Alpha"', ["alpha"])
        self.check('name.givenName pr', ["alpha"])
        self.check('not (name.givenName pr)', ["beta", "gamma"])
        self.check('name.familyName pr', [])
        self.check('name.givenName ne "Alpha"', ["beta", "gamma"])
        self.check('emails.type eq "home"', ["beta"])
        self.check('not (emails.type eq "home")', ["alpha", "gamma"])
        self.check('%s:manager.value pr' % ENT, [])
        self.check('meta.lastModified pr and name.middleName eq "x"', [])

    def test_urn_qualified_names(self):
        self.check('%s:userName eq "f.beta@example.org"' % h.URN_USER, ["beta"])
        self.check('%s:employeeNumber eq "1003"' % ENT, ["gamma"])
        self.check('%s:employeeNumber pr' % ENT, ["alpha", "gamma"])

    def test_no_match_is_empty_200(self):
        self.assertEmptyList(self.api.filter_users('userName eq "nobody.here@example.com"'))
        self.assertEmptyList(self.api.filter_users('title eq "Astronaut"'))


class FilterLiterals(ScimTestCase):
    """Filter values are data: SQL LIKE wildcards and quotes match only themselves."""

    def test_wildcards_and_quotes_are_literal(self):
        plain = self.api.create_user("plain@literal.example.com")
        under = self.api.create_user("under_score@literal.example.com")
        expectations = {
            'userName sw "%"': [],
            'userName ew "%"': [],
            'userName co "%"': [],
            'userName co "_"': [under["id"]],
            'userName eq "plain@literal.example.co_"': [],
            'userName eq "plain@literal.example.com\\\\"': [],
            "userName eq \"x' OR '1'='1\"": [],
            'userName co "\\"plain"': [],
            'userName eq "PLAIN@LITERAL.EXAMPLE.COM"': [plain["id"]],
        }
        for flt, expected in expectations.items():
            self.assertEqual(ids(self.find(flt)), sorted(expected), "filter %s" % flt)
        grp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "lit_grp"})
        self.assertStatus(grp, 201)
        for flt, expected in (('displayName eq "lit%grp"', []),
                              ('displayName sw "lit_"', ["lit_grp"]),
                              ('displayName eq "LIT_GRP"', ["lit_grp"])):
            resp = self.api.get("/Groups", query={"filter": flt})
            body = self.assertListResponse(resp, msg="groups filter %s" % flt)
            self.assertEqual([g["displayName"] for g in body["Resources"]], expected, flt)

    def test_ids_do_not_cross_resource_types(self):
        user = self.api.create_user(unique("cross"))
        grp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "cross grp"})
        self.assertStatus(grp, 201)
        gid = grp.json["id"]
        self.assertScimError(self.api.get("/Users/" + gid), 404, msg="group id under /Users")
        self.assertScimError(self.api.get("/Groups/" + user["id"]), 404,
                             msg="user id under /Groups")
        self.assertScimError(self.api.delete("/Groups/" + user["id"]), 404)
        self.assertScimError(self.api.patch_ops("/Users/" + gid, [
            {"op": "replace", "path": "title", "value": "x"}]), 404)
        self.assertEqual(self.get_user(user["id"])["id"], user["id"])


class SecretsNeverLogged(ScimTestCase):
    """Access keys, bearer values and passwords never reach the log (docs/architecture.md)."""

    PASSWORD = "Zq9-very-secret-Passw0rd-7Kx"

    def test_log_has_no_secrets(self):
        tok = self.scimd.token
        near_miss = tok.access_key[:-2] + ("AA" if not tok.access_key.endswith("AA") else "BB")
        basic = self.scimd.client(auth="basic")
        self.assertEqual(basic.get("/Users").status, 200)
        self.assertEqual(self.api.get("/Users").status, 200)
        wrong = "Basic " + base64.b64encode(("%s:%s" % (tok.access_id, near_miss))
                                            .encode()).decode()
        self.assertEqual(self.api.get("/Users", auth=wrong).status, 401)
        user = self.api.create_user(unique("secret"), password=self.PASSWORD)
        path = "/Users/" + user["id"]
        self.assertStatus(self.api.patch_ops(path, [{"op": "replace", "path": "password",
                                                     "value": self.PASSWORD + "2"}]), (200, 204))
        self.assertStatus(self.api.put(path, {"schemas": [h.URN_USER],
                                              "userName": user["userName"],
                                              "password": self.PASSWORD + "3"}), 200)
        bad = self.api.post("/Users", raw=('{"userName": "x@y.example", "password": "%s",'
                                           % (self.PASSWORD + "4")).encode())
        self.assertEqual(bad.status, 400)
        self.assertNotIn(self.PASSWORD, bad.raw.decode(), "an error echoed the password")
        self.scimd.stop()
        log = self.scimd.log_text()
        self.scimd.start()
        for what, secret in (("access key", tok.access_key), ("bearer", tok.bearer),
                             ("near-miss key", near_miss), ("password", self.PASSWORD),
                             ("Basic credentials", tok.basic_header().split(" ")[1])):
            self.assertNotIn(secret, log, "the %s appears in the scimd log" % what)


class CaseExactness(ScimTestCase):
    """caseExact per RFC 7643: userName no, externalId and id yes (§3.1, §4.1.1)."""

    def test_case_exact_attributes(self):
        user = self.api.create_user("Case.Exact@example.com", externalId="AbC-123")
        uid = user["id"]
        expectations = {
            'externalId eq "AbC-123"': [uid],
            'externalId eq "abc-123"': [],
            'externalId co "bC"': [uid],
            'externalId co "bc"': [],
            'userName eq "case.exact@EXAMPLE.com"': [uid],
            'userName co "EXACT"': [uid],
            'id eq "%s"' % uid: [uid],
        }
        if uid != uid.upper():
            expectations['id eq "%s"' % uid.upper()] = []
        for flt, expected in expectations.items():
            self.assertEqual(ids(self.find(flt)), expected, "filter %s" % flt)
        grp = self.api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "Case Grp",
                                        "externalId": "GrpX"})
        self.assertStatus(grp, 201)
        for flt, n in (('externalId eq "GrpX"', 1), ('externalId eq "grpx"', 0),
                       ('displayName eq "case grp"', 1)):
            resp = self.api.get("/Groups", query={"filter": flt})
            self.assertListResponse(resp, total=n, msg="groups filter %s" % flt)


class ETags(ScimTestCase):
    """ETag == meta.version, If-Match preconditions (RFC 7644 §3.14)."""

    def fresh(self):
        user = self.api.create_user(unique("etag"), title="v1")
        return user, "/Users/" + user["id"]

    def test_etag_header_equals_meta_version(self):
        user, path = self.fresh()
        resp = self.api.get(path)
        got = self.assertUserResource(resp, 200, "GET")
        version = got["meta"].get("version")
        self.assertTrue(version and re.match(r'^(W/)?"[^"]*"$', version),
                        "meta.version is not an entity tag: %r" % version)
        self.assertEqual(resp.headers.get("ETag"), version, resp.describe())
        resp = self.api.patch_ops(path, [{"op": "replace", "path": "title", "value": "v2"}])
        self.assertStatus(resp, (200, 204))
        if resp.status == 200 and resp.headers.get("ETag"):
            self.assertEqual(resp.headers["ETag"], resp.json["meta"]["version"])
        newer = self.get_user(user["id"])["meta"]["version"]
        self.assertNotEqual(newer, version, "version unchanged by a modification")

    def test_versions_change_on_every_write_even_within_a_second(self):
        user, path = self.fresh()
        versions = {user["meta"]["version"]}
        for i in range(5):
            self.assertStatus(self.api.patch_ops(path, [{"op": "replace", "path": "title",
                                                         "value": "t%d" % i}]), (200, 204))
            versions.add(self.get_user(user["id"])["meta"]["version"])
        self.assertEqual(len(versions), 6, "versions repeated: %r" % versions)

    def test_stale_if_match_is_412(self):
        user, path = self.fresh()
        stale = user["meta"]["version"]
        self.assertStatus(self.api.patch_ops(path, [{"op": "replace", "path": "title",
                                                     "value": "v2"}]), (200, 204))
        current = self.get_user(user["id"])
        hdr = {"If-Match": stale}
        put_body = {"schemas": [h.URN_USER], "userName": user["userName"], "title": "put"}
        for resp, what in (
                (self.api.put(path, put_body, headers=hdr), "PUT"),
                (self.api.patch_ops(path, [{"op": "replace", "path": "title",
                                            "value": "patched"}], headers=hdr), "PATCH"),
                (self.api.delete(path, headers=hdr), "DELETE")):
            self.assertScimError(resp, 412, msg="%s with a stale If-Match" % what)
        after = self.get_user(user["id"])
        self.assertEqual(after["meta"]["version"], current["meta"]["version"])
        self.assertEqual(after.get("title"), "v2")

    def test_matching_if_match_succeeds(self):
        user, path = self.fresh()
        resp = self.api.patch_ops(path, [{"op": "replace", "path": "title", "value": "v2"}],
                                  headers={"If-Match": user["meta"]["version"]})
        self.assertStatus(resp, (200, 204), "PATCH with the current If-Match")
        current = self.get_user(user["id"])
        self.assertEqual(current.get("title"), "v2")
        resp = self.api.put(path, {"schemas": [h.URN_USER], "userName": user["userName"],
                                   "title": "v3"},
                            headers={"If-Match": current["meta"]["version"]})
        self.assertUserResource(resp, 200, "PUT with the current If-Match")
        resp = self.api.patch_ops(path, [{"op": "replace", "path": "title", "value": "v4"}],
                                  headers={"If-Match": "*"})
        self.assertStatus(resp, (200, 204), "PATCH with If-Match: *")
        current = self.get_user(user["id"])
        resp = self.api.delete(path, headers={"If-Match": current["meta"]["version"]})
        self.assertStatus(resp, 204, "DELETE with the current If-Match")


class ConditionalAndHeadRequests(ScimTestCase):
    """HTTP semantics SCIM inherits (RFC 7644 §3.14, RFC 9110 §9.3.2, §13.1.2)."""

    def test_if_none_match_gives_304(self):
        user = self.api.create_user(unique("inm"))
        path = "/Users/" + user["id"]
        etag = self.api.get(path).headers.get("ETag")
        resp = self.api.get(path, headers={"If-None-Match": etag})
        self.assertStatus(resp, 304, "GET with the current ETag in If-None-Match")
        self.assertEqual(resp.raw, b"")
        self.assertEqual(resp.headers.get("ETag"), etag)
        resp = self.api.get(path, headers={"If-None-Match": 'W/"stale"'})
        self.assertUserResource(resp, 200, "GET with another ETag in If-None-Match")

    def test_head_is_get_without_body(self):
        user = self.api.create_user(unique("head"))
        path = "/Users/" + user["id"]
        got = self.api.get(path)
        resp = self.api.request("HEAD", path)
        self.assertStatus(resp, 200, "HEAD " + path)
        self.assertEqual(resp.raw, b"")
        self.assertEqual(resp.headers.get("ETag"), got.headers.get("ETag"))
        self.assertEqual(resp.headers.get("Content-Type"), got.headers.get("Content-Type"))


class Discovery(ScimTestCase):
    """/ServiceProviderConfig, /ResourceTypes, /Schemas (RFC 7643 §5-7, RFC 7644 §4)."""

    def get_ok(self, path):
        resp = self.api.get(path)
        self.assertStatus(resp, 200, "GET " + path)
        self.assertScimMedia(resp)
        return resp.json

    def test_service_provider_config(self):
        spc = self.get_ok("/ServiceProviderConfig")
        self.assertEqual(spc.get("schemas"), [h.URN_SPC])
        self.assertIs(spc.get("patch", {}).get("supported"), True, repr(spc))
        self.assertIs(spc.get("filter", {}).get("supported"), True, repr(spc))
        self.assertTrue(is_int(spc["filter"].get("maxResults"))
                        and spc["filter"]["maxResults"] > 0, repr(spc["filter"]))
        self.assertIs(spc.get("etag", {}).get("supported"), True, repr(spc))
        for key in ("bulk", "changePassword", "sort"):
            self.assertIsInstance(spc.get(key, {}).get("supported"), bool, key)
        schemes = spc.get("authenticationSchemes")
        self.assertIsInstance(schemes, list, repr(spc))
        types = {s.get("type") for s in schemes}
        self.assertTrue({"httpbasic", "oauthbearertoken"} <= types, "types: %r" % types)
        for s in schemes:
            self.assertTrue(s.get("name") and s.get("description"), repr(s))

    def test_resource_types(self):
        body = self.get_ok("/ResourceTypes")
        self.assertEqual(body.get("schemas"), [h.URN_LIST], repr(body))
        self.assertTrue(is_int(body.get("totalResults")))
        by_id = {rt.get("id"): rt for rt in body.get("Resources", [])}
        self.assertEqual(body["totalResults"], len(by_id))
        user = by_id.get("User")
        self.assertIsNotNone(user, "no User resource type: %r" % sorted(by_id))
        self.assertEqual(user.get("schemas"), [h.URN_RESOURCE_TYPE])
        self.assertEqual(user.get("endpoint"), "/Users")
        self.assertEqual(user.get("schema"), h.URN_USER)
        exts = {e.get("schema"): e.get("required") for e in user.get("schemaExtensions", [])}
        self.assertIn(ENT, exts, repr(user))
        self.assertIs(exts[ENT], False)
        self.assertEqual(user.get("meta", {}).get("resourceType"), "ResourceType")
        self.assertTrue(user["meta"].get("location", "").endswith("/ResourceTypes/User"))
        single = self.get_ok("/ResourceTypes/User")
        self.assertEqual(single, user, "/ResourceTypes/User differs from the list entry")
        self.assertScimError(self.api.get("/ResourceTypes/NoSuchType"), 404)

    def test_schemas(self):
        body = self.get_ok("/Schemas")
        self.assertEqual(body.get("schemas"), [h.URN_LIST], repr(body)[:500])
        by_id = {s.get("id"): s for s in body.get("Resources", [])}
        self.assertEqual(body.get("totalResults"), len(by_id))
        for urn in (h.URN_USER, ENT):
            self.assertIn(urn, by_id, "missing schema %s" % urn)
            s = by_id[urn]
            self.assertEqual(s.get("schemas"), [h.URN_SCHEMA])
            self.assertEqual(s.get("meta", {}).get("resourceType"), "Schema")
            self.assertTrue(s["meta"].get("location", "").endswith("/Schemas/" + urn))
            self.assertEqual(self.get_ok("/Schemas/" + urn), s,
                             "/Schemas/%s differs from the list entry" % urn)
        attrs = {a["name"]: a for a in by_id[h.URN_USER].get("attributes", [])}
        user_name = attrs.get("userName", {})
        self.assertEqual((user_name.get("uniqueness"), user_name.get("caseExact"),
                          user_name.get("required")), ("server", False, True), repr(user_name))
        password = attrs.get("password", {})
        self.assertEqual((password.get("returned"), password.get("mutability")),
                         ("never", "writeOnly"), repr(password))
        for name, a in attrs.items():
            for key in ("type", "multiValued", "required", "mutability", "returned"):
                self.assertIn(key, a, "attribute %s lacks %s" % (name, key))
        self.assertScimError(self.api.get("/Schemas/urn:example:no:such:schema"), 404)

    def test_discovery_schemas_are_served(self):
        # RFC 7643 §8.7.2: the discovery resources' own schemas.
        served = {s["id"] for s in self.get_ok("/Schemas")["Resources"]}
        for urn in (h.URN_SPC, h.URN_RESOURCE_TYPE, h.URN_SCHEMA):
            self.assertIn(urn, served, "/Schemas lacks %s" % urn)
            s = self.get_ok("/Schemas/" + urn)
            self.assertEqual(s.get("id"), urn)
            self.assertTrue(s.get("attributes"), "schema %s has no attributes" % urn)

    def test_resource_types_and_schemas_agree(self):
        schemas = {s["id"] for s in self.get_ok("/Schemas")["Resources"]}
        for rt in self.get_ok("/ResourceTypes")["Resources"]:
            self.assertIn(rt["schema"], schemas, "%s's schema is not served" % rt["id"])
            for ext in rt.get("schemaExtensions", []):
                self.assertIn(ext["schema"], schemas, "extension %s not served" % ext["schema"])


class IdentityRules(ScimTestCase):
    """architecture.md identity mapping, enforced on POST, PUT and PATCH (login_name=localpart)."""

    REFUSED = ("invalidValue", "uniqueness")

    def assertRefused(self, resp, what, mentions=None):
        body = self.assertScimError(resp, (400, 409), msg=what)
        expected = "invalidValue" if resp.status == 400 else "uniqueness"
        self.assertEqual(body.get("scimType"), expected, "%s:\n%s" % (what, resp.describe()))
        if mentions:
            detail = body["detail"].lower()
            self.assertTrue(any(m.lower() in detail for m in mentions),
                            "%s: the detail should say why (mention one of %r):\n%s"
                            % (what, mentions, resp.describe()))
        return body

    def post(self, user_name):
        return self.api.post("/Users", {"schemas": [h.URN_USER], "userName": user_name})

    def test_invalid_login_names_refused(self):
        first = ("start", "begin", "first", "leading")
        char = ("character", "allowed", "only")
        cases = {
            "-bad@example.com": first,
            "+plus@example.com": first,
            ".dot@example.com": first,
            "@nolocal.example.com": None,
            "a:b@example.com": char + (":",),
            "123@example.com": ("digit", "numeric", "number"),
            "john doe@example.com": char + ("space",),
            "j\u00f6rg@example.com": char + ("ascii",),
            "semi;colon@example.com": char + (";",),
            ("x" * 65) + "@example.com": ("long", "64", "length"),
        }
        for user_name, mentions in cases.items():
            self.assertRefused(self.post(user_name), "userName %r" % user_name, mentions)
            self.assertNotStored(user_name)

    def test_long_non_ascii_names_get_well_formed_errors(self):
        # The detail quotes the name; cutting it must not split a UTF-8 sequence.
        for n in (100, 251, 252, 253, 600):
            for ch in ("\u00f6", "\U0001f600", "\u4e2d"):
                user_name = ch * n + "@example.com"
                self.assertRefused(self.post(user_name), "%d x U+%04X" % (n, ord(ch)))
        self.assertEqual(self.api.get("/Users").status, 200)

    def test_longest_valid_login_name(self):
        name = ("y" * 64) + "@example.com"
        self.assertUserResource(self.post(name), 201, "64-byte login name")

    def test_reserved_and_local_names_refused(self):
        local = [n for n in ("root", "daemon", "nobody", "bin", "sys") if self._exists(n)]
        self.assertIn("root", local)
        for login in local:
            for user_name in ("%s@example.com" % login, "%s@Example.COM" % login.upper()):
                self.assertRefused(self.post(user_name), "userName %r" % user_name,
                                   (login, "reserved", "exist", "local", "system"))
                self.assertNotStored(user_name)

    @staticmethod
    def _exists(name):
        try:
            pwd.getpwnam(name)
            return True
        except KeyError:
            return False

    def test_same_login_name_from_two_domains_is_409(self):
        first = self.api.create_user("alice.col@a.example.com")
        for other in ("alice.col@b.example.com", "ALICE.COL@c.example.com"):
            resp = self.post(other)
            self.assertScimError(resp, 409, "uniqueness", msg="%r after %r"
                                 % (other, first["userName"]))
            self.assertNotStored(other)
        self.assertEqual(self.get_user(first["id"])["userName"], "alice.col@a.example.com")

    def test_names_real_tenants_send(self):
        for user_name in ("Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee@contoso.com",
                          "first.last+tag@example.com", "o.k-name_1@example.com",
                          "UPPER.Case@Example.com"):
            user = self.assertUserResource(self.post(user_name), 201, repr(user_name))
            self.assertEqual(user["userName"], user_name)

    def test_rename_to_invalid_or_colliding_is_refused(self):
        other = self.api.create_user("taken.login@example.com")
        user = self.api.create_user("renamer@example.com")
        path = "/Users/" + user["id"]
        put = {"schemas": [h.URN_USER], "active": True}
        attempts = [
            ("PATCH path -bad", lambda n: self.api.patch_ops(
                path, [{"op": "replace", "path": "userName", "value": n}]), "-bad@example.com"),
            ("PATCH no-path root", lambda n: self.api.patch_ops(
                path, [{"op": "Replace", "value": {"userName": n}}]), "root@example.com"),
            ("PATCH collide", lambda n: self.api.patch_ops(
                path, [{"op": "replace", "path": "userName", "value": n}]),
             "Taken.Login@other.example.com"),
            ("PUT all digits", lambda n: self.api.put(path, dict(put, userName=n)),
             "4242@example.com"),
            ("PUT collide", lambda n: self.api.put(path, dict(put, userName=n)),
             "taken.login@example.com"),
        ]
        for what, send, new_name in attempts:
            self.assertRefused(send(new_name), "%s -> %r" % (what, new_name))
            now = self.get_user(user["id"])
            self.assertEqual(now["userName"], "renamer@example.com", what)
            self.assertEqual(now["meta"]["version"], user["meta"]["version"], what)
        self.assertEqual(self.get_user(other["id"])["userName"], "taken.login@example.com")

    def test_rename_to_same_login_other_domain_is_allowed(self):
        user = self.api.create_user("selfmap@a.example.com")
        resp = self.api.patch_ops("/Users/" + user["id"], [
            {"op": "replace", "path": "userName", "value": "selfmap@b.example.com"}])
        self.assertStatus(resp, (200, 204), "a user does not collide with itself")
        self.assertEqual(self.get_user(user["id"])["userName"], "selfmap@b.example.com")


def _with_line(path, line):
    with open(path) as f:
        text = f.read()
    return text + ("" if text.endswith("\n") else "\n") + line + "\n"


class LocalAccountsAreOffLimits(ScimTestCase):
    """A name the host already resolves (here: an account added to a private copy of
    /etc/passwd and /etc/group, not a reserved name) is refused at the SCIM door as a login;
    a SCIM group of that name is kept as SCIM data only."""

    instance_kwargs = {"etc_files": {
        "passwd": _with_line("/etc/passwd", "itestlocal:x:4242:4242::/nonexistent:/bin/false"),
        "group": _with_line("/etc/group", "itestlocalgrp:x:4343:")}}

    def test_local_user_name_refused(self):
        for user_name in ("itestlocal@example.com", "ITESTLOCAL@example.org"):
            resp = self.api.post("/Users", {"schemas": [h.URN_USER], "userName": user_name})
            body = self.assertScimError(resp, (400, 409), ("invalidValue", "uniqueness"),
                                        msg="userName %r of a local account" % user_name)
            self.assertIn("itestlocal", body["detail"].lower(), resp.describe())
            self.assertNotStored(user_name)

    def test_local_group_name_refused(self):
        resp = self.api.post("/Users", {"schemas": [h.URN_USER],
                                        "userName": "itestlocalgrp@example.com"})
        self.assertScimError(resp, (400, 409), ("invalidValue", "uniqueness"),
                             msg="login whose private group would shadow a local group")
        self.assertNotStored("itestlocalgrp@example.com")
        # A SCIM group never blocks on a name the host has: it stays SCIM data without a
        # Linux group (docs/architecture.md, identity rules).
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP],
                                         "displayName": "itestlocalgrp"})
        self.assertStatus(resp, 201, "SCIM group named like a local group")
        local_id = resp.json["id"]
        resp = self.api.post("/Groups", {"schemas": [h.URN_GROUP],
                                         "displayName": "itest-after-local"})
        self.assertStatus(resp, 201)
        after_id = resp.json["id"]
        h.wait_until(lambda: re.search(r"(?m)^  itest-after-local:",
                                       self.scimd.scimctl("cache", "dump").stdout),
                     timeout=15, what="group itest-after-local in the cache")
        self.assertNotRegex(self.scimd.scimctl("cache", "dump").stdout,
                            r"(?m)^  itestlocalgrp:", "a local group's name in the cache")
        for gid in (local_id, after_id):
            self.assertEqual(self.api.delete("/Groups/" + gid).status, 204)

    def test_rename_onto_local_user_refused(self):
        user = self.api.create_user("itest.renamer@example.com")
        resp = self.api.patch_ops("/Users/" + user["id"], [
            {"op": "replace", "path": "userName", "value": "itestlocal@example.com"}])
        self.assertScimError(resp, (400, 409), ("invalidValue", "uniqueness"))
        self.assertEqual(self.get_user(user["id"])["userName"], "itest.renamer@example.com")


if __name__ == "__main__":
    main()
