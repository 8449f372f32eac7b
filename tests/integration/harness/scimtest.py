# SPDX-License-Identifier: MIT
"""unittest base class and SCIM-specific assertions on top of scimharness.

Each test class gets its own scimd (started in setUpClass, stopped with SIGTERM in
tearDownClass, where an unclean exit fails the class), a token and a ScimClient `api`.
"""

import itertools
import os
import unittest
import uuid

import scimharness as h

_counter = itertools.count(1)


def unique(prefix, domain="example.com"):
    """A fresh, valid userName: prefix + counter + random hex (lowercase), @domain."""
    return "%s%d.%s@%s" % (prefix, next(_counter), uuid.uuid4().hex[:8], domain)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class ConfiguredInstanceCase(unittest.TestCase):
    """One scimd per class for tests that finish its configuration in its state directory
    before it starts (homes, key files, a fixed port): ScimdInstance(**instance_kwargs), then
    configure() (cls.scimd exists, unstarted: set cls.scimd.sections), the config written and
    scimd started, cls.api its client, then populate() (users, groups...). If any of it fails
    the instance is removed before the error goes on. tearDownClass stops it and removes it
    without judging its exit status (ScimTestCase's fails the class unless it is 0)."""
    instance_kwargs = {}

    @classmethod
    def configure(cls):
        pass

    @classmethod
    def populate(cls):
        pass

    @classmethod
    def setUpClass(cls):
        cls.scimd = h.ScimdInstance(**cls.instance_kwargs)
        try:
            cls.configure()
            cls.scimd.write_config()
            cls.scimd.start()
            cls.api = cls.scimd.client()
            cls.populate()
        except BaseException:
            cls.scimd.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.scimd.stop()
        finally:
            cls.scimd.cleanup()


class ScimTestCase(ConfiguredInstanceCase):
    maxDiff = None

    @classmethod
    def tearDownClass(cls):
        try:
            status = cls.scimd.stop()
            if status != 0:
                raise AssertionError("scimd exited with status %s on SIGTERM (expected 0); "
                                     "log tail:\n%s" % (status, cls.scimd.log_tail()))
        finally:
            cls.scimd.cleanup()

    # -- generic response checks ---------------------------------------------------------
    def assertStatus(self, resp, expected, msg=""):
        allowed = expected if isinstance(expected, (tuple, list, set)) else (expected,)
        if resp.status not in allowed:
            self.fail("%sexpected HTTP %s, got:\n%s" % (msg + ": " if msg else "",
                                                      "/".join(map(str, allowed)),
                                                      resp.describe()))

    def assertScimMedia(self, resp):
        """Every response with a body is application/scim+json (RFC 7644 §3.1/§8.1)."""
        if resp.status == 204 and not resp.raw:
            return
        self.assertEqual(resp.media_type, h.SCIM_MEDIA_TYPE,
                         "Content-Type is not %s:\n%s" % (h.SCIM_MEDIA_TYPE, resp.describe()))
        self.assertIsNotNone(resp.json, "body is not JSON:\n%s" % resp.describe())

    def assertScimError(self, resp, status, scim_type=None, msg=""):
        """RFC 7644 §3.12 error: schemas [Error], status as a string, a detail, and the
        given scimType (a tuple allows any of several)."""
        ctx = (msg + ": ") if msg else ""
        self.assertStatus(resp, status, msg)
        self.assertScimMedia(resp)
        body = resp.json
        self.assertIsInstance(body, dict, ctx + "error body is not an object:\n" + resp.describe())
        self.assertEqual(body.get("schemas"), [h.URN_ERROR],
                         ctx + "error schemas:\n" + resp.describe())
        self.assertEqual(body.get("status"), str(resp.status),
                         ctx + "error 'status' must be the status code as a STRING:\n"
                         + resp.describe())
        detail = body.get("detail")
        self.assertTrue(isinstance(detail, str) and detail.strip(),
                        ctx + "error has no 'detail' text:\n" + resp.describe())
        if scim_type is not None:
            allowed = scim_type if isinstance(scim_type, tuple) else (scim_type,)
            self.assertIn(body.get("scimType"), allowed,
                          ctx + "scimType should be %s:\n%s" % ("/".join(allowed),
                                                                resp.describe()))
        return body

    def assertListResponse(self, resp, total=None, msg=""):
        ctx = (msg + ": ") if msg else ""
        self.assertStatus(resp, 200, msg)
        self.assertScimMedia(resp)
        body = resp.json
        self.assertEqual(body.get("schemas"), [h.URN_LIST], ctx + "ListResponse schemas:\n"
                         + resp.describe())
        # Okta and Entra page with startIndex/count and read all three back.
        for key in ("totalResults", "itemsPerPage", "startIndex"):
            self.assertTrue(is_int(body.get(key)),
                            ctx + "%s must be present as a JSON integer:\n%s"
                            % (key, resp.describe()))
        resources = body.get("Resources", [])
        self.assertIsInstance(resources, list, ctx + "Resources is not a list")
        if body["totalResults"] > 0:
            self.assertEqual(body["itemsPerPage"], len(resources),
                             ctx + "itemsPerPage != len(Resources):\n" + resp.describe())
        if total is not None:
            self.assertEqual(body["totalResults"], total,
                             ctx + "totalResults:\n" + resp.describe())
        return body

    def assertEmptyList(self, resp, msg=""):
        """No match: 200, totalResults 0, Resources [] (Okta reads Resources)."""
        body = self.assertListResponse(resp, total=0, msg=msg)
        self.assertEqual(body.get("Resources"), [],
                         ((msg + ": ") if msg else "") + "an empty result needs "
                         "\"Resources\": []:\n" + resp.describe())
        return body

    def assertUserResource(self, resp, status=200, msg=""):
        """A User in a response: id, userName, schemas incl. core User, meta, no password."""
        ctx = (msg + ": ") if msg else ""
        self.assertStatus(resp, status, msg)
        self.assertScimMedia(resp)
        user = resp.json
        self.assertIsInstance(user.get("id"), str, ctx + "no id:\n" + resp.describe())
        self.assertIsInstance(user.get("userName"), str, ctx + "no userName:\n" + resp.describe())
        self.assertIn(h.URN_USER, user.get("schemas", []), ctx + "schemas:\n" + resp.describe())
        self.assertNotPassword(user, ctx)
        return user

    def assertNotPassword(self, obj, ctx=""):
        """password is returned "never" (RFC 7643 §4.1.1), under any capitalisation."""
        if isinstance(obj, dict):
            for key, value in obj.items():
                self.assertNotEqual(key.lower(), "password", ctx + "password returned: %r" % obj)
                self.assertNotPassword(value, ctx)
        elif isinstance(obj, list):
            for item in obj:
                self.assertNotPassword(item, ctx)

    def get_user(self, user_id):
        resp = self.api.get("/Users/" + user_id)
        return self.assertUserResource(resp, 200, "GET /Users/" + user_id)

    def find(self, filter_expr, **params):
        """Resources matching a filter (asserting a well-formed ListResponse)."""
        resp = self.api.filter_users(filter_expr, **params)
        body = self.assertListResponse(resp, msg="filter %s" % filter_expr)
        return body.get("Resources", [])

    def assertNotStored(self, user_name):
        resp = self.api.filter_users('userName eq "%s"' % user_name)
        self.assertEmptyList(resp, "refused userName %r must not be stored" % user_name)


def main():
    import sys
    verbosity = 2 if os.environ.get("SCIM_TEST_QUIET") != "1" else 1
    prog = unittest.main(verbosity=verbosity, exit=False)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
