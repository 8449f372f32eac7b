#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""[fleet] login_host = false (issue 14, scimd.conf(5)): a hub-only scimd does not check names
against its own host's accounts, since each follower checks its own. Its host (a private /etc
through the harness's etc_files) has a local account 'hublocal': a login-host hub refuses a
SCIM user of that name with 409 as a standalone scimd does; a hub-only one creates it, writes
no nss.cache for its host, and still refuses reserved names."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402

LOCAL = "hublocal:x:1500:1500::/nonexistent:/usr/sbin/nologin\n"


def hub(login_host):
    with open("/etc/passwd") as f:
        passwd = f.read()
    inst = h.ScimdInstance(name="hub-only", etc_files={"passwd": passwd + LOCAL},
                           extra={"fleet": {"login_host": "true" if login_host else "false"}})
    inst.start()
    return inst


class HubOnly(unittest.TestCase):
    def test_login_host_refuses_a_local_name(self):
        with hub(True) as inst:
            resp = inst.client().post("/Users", {"schemas": [h.URN_USER],
                                                 "userName": "hublocal@example.com"})
            self.assertEqual(resp.status, 409, resp.describe())
            self.assertIn("local account", resp.raw.decode())
            self.assertTrue(os.path.exists(inst.cache_path))

    def test_hub_only_takes_it_and_exports_nothing(self):
        with hub(False) as inst:
            c = inst.client()
            user = c.create_user("hublocal@example.com")
            self.assertTrue(user["id"])
            self.assertEqual(c.post("/Users", {"schemas": [h.URN_USER],
                                               "userName": "root@example.com"}).status, 400)
            self.assertFalse(os.path.exists(inst.cache_path), "a hub-only host wrote nss.cache")
            self.assertFalse(os.path.exists(inst.shadow_path))
            self.assertTrue(os.path.exists(inst.hwm_path), "the high-water guard is still kept")
            self.assertIn("login_host = false", inst.log_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
