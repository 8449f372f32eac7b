# SPDX-License-Identifier: MIT
"""Operations features of scimd: /metrics, the audit trail, native TLS, and ending the
sessions of a deactivated user ([sessions] terminate_on_deactivate)."""

import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import unittest
import http.client
import json

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
import scimharness as h  # noqa: E402


class Metrics(unittest.TestCase):
    def test_metrics_count_requests_auth_failures_and_cache(self):
        with h.ScimdInstance(name="metrics") as s:
            s.start()
            api = s.client()
            api.create_user("m1@example.com")
            api.get("/Users")
            # A missing token: counted as an auth failure.
            status, _, _ = api.get("/Users", auth=None)
            self.assertEqual(status, 401)
            h.wait_until(lambda: "generation 2" in s.log_text(), what="second cache export")
            resp = api.request("GET", "/metrics", base=False)
            status, headers, _ = resp
            self.assertEqual(status, 200, resp.describe())
            text = resp.raw.decode()
            self.assertIn("text/plain", headers.get("Content-Type", ""))
            self.assertRegex(text, r'scimd_requests_total\{route="/Users",status="201"\} 1\n')
            self.assertRegex(text, r'scimd_requests_total\{route="/Users",status="401"\} 1\n')
            self.assertRegex(text, r"scimd_auth_failures_total [1-9]")
            self.assertRegex(text, r'scimd_users\{state="active"\} 1\n')
            self.assertRegex(text, r"scimd_cache_generation [2-9]")
            self.assertRegex(text, r'scimd_request_duration_seconds_bucket\{le="\+Inf"\} \d+')
            # metrics_auth = true (the default): no token, no metrics.
            self.assertEqual(api.request("GET", "/metrics", auth=None, base=False).status, 401)

    def test_metrics_without_auth_when_configured(self):
        with h.ScimdInstance(name="metrics-open", extra={"server": {"metrics_auth": "false"}}) as s:
            s.start()
            self.assertEqual(s.client().request("GET", "/metrics", auth=None, base=False).status, 200)


class Audit(unittest.TestCase):
    def test_every_change_is_audited_without_values(self):
        with h.ScimdInstance(name="audit") as s:
            s.start()
            api = s.client()
            user = api.create_user("audit.me@example.com", password="Tr0ub4dor&3",
                                   displayName="Secret Name")
            api.patch_ops("/Users/" + user["id"],
                          [{"op": "replace", "value": {"active": False}}])
            api.delete("/Users/" + user["id"])
            log = s.log_text()
            lines = [l for l in log.splitlines() if "audit:" in l]
            self.assertEqual(len(lines), 3, log)
            self.assertIn("action=create", lines[0])
            self.assertIn("token=" + s.token.access_id, lines[0])
            self.assertIn("password", lines[0])          # which attributes changed ...
            self.assertIn("action=patch", lines[1])
            self.assertIn("active", lines[1])
            self.assertIn("action=delete", lines[2])
            for secret in ("Tr0ub4dor&3", "Secret Name", s.token.access_key):
                self.assertNotIn(secret, log)            # ... never their values


def make_cert(tmpdir):
    key = os.path.join(tmpdir, "key.pem")
    cert = os.path.join(tmpdir, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


@unittest.skipUnless(shutil.which("openssl"), "openssl is not installed")
class NativeTls(unittest.TestCase):
    def test_https_with_configured_cert(self):
        with h.ScimdInstance(name="tls") as s:
            cert, key = make_cert(s.tmpdir)
            s.sections["server"].update({"tls_cert": cert, "tls_key": key})
            s.write_config()
            s.spawn()
            h.wait_until(lambda: "listening on https://" in s.log_since_start(),
                         what="https listener")
            port = int(re.search(r"listening on https://127\.0\.0\.1:(\d+)", s.log_text()).group(1))
            token = s.create_token("tls")
            ctx = ssl.create_default_context(cafile=cert)
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
            conn.request("GET", "/scim/v2/ServiceProviderConfig",
                         headers={"Authorization": "Bearer " + token.bearer})
            resp = conn.getresponse()
            body = json.loads(resp.read())
            self.assertEqual(resp.status, 200)
            self.assertIn(h.URN_SPC, body["schemas"])
            # Plain HTTP on the TLS port gets nothing useful.
            plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            with self.assertRaises(Exception):
                plain.request("GET", "/healthz")
                r = plain.getresponse()
                if r.status == 200:
                    raise AssertionError("plain HTTP answered on the TLS port")
                raise ConnectionError("refused as expected")

    def test_cert_without_key_is_a_config_error(self):
        with h.ScimdInstance(name="tls-bad", extra={"server": {"tls_cert": "/nonexistent.pem"}}) as s:
            r = subprocess.run([s.scimd, "-c", s.config_path, "--check-config"],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("tls_key", r.stderr)


class SessionTermination(unittest.TestCase):
    def _run_as(self, uid):
        # A real process running as the SCIM user's uid (no NSS entry needed to exist).
        proc = subprocess.Popen(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid,
                                 "--clear-groups", "sleep", "300"])
        # setpriv changes uid some time after fork; a request sent before that would find
        # only a root process, and on a fast machine it does.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with open("/proc/%d/status" % proc.pid) as f:
                    uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
                if all(int(u) == uid for u in uids):
                    return proc
            except (OSError, IndexError):
                pass
            time.sleep(0.01)
        proc.kill()
        proc.wait()
        self.fail("setpriv did not switch to uid %d within 10 s" % uid)

    def _user_with_process(self, s):
        api = s.client()
        user = api.create_user("sess.user%d@example.com" % int(time.time() * 1000))
        uid = user[h.URN_LINUX_USER]["uidNumber"]
        return api, user, self._run_as(uid)

    def test_deactivation_kills_the_users_processes_when_enabled(self):
        with h.ScimdInstance(name="sessions",
                             extra={"sessions": {"terminate_on_deactivate": "true"}}) as s:
            s.start()
            api, user, proc = self._user_with_process(s)
            try:
                self.assertIsNone(proc.poll(), "the user's process should be running")
                t0 = time.monotonic()
                status, _, _ = api.patch_ops("/Users/" + user["id"],
                                             [{"op": "replace", "value": {"active": False}}])
                self.assertEqual(status, 200)
                proc.wait(timeout=10)
                print("process of the deactivated user ended %.0f ms after the PATCH"
                      % ((time.monotonic() - t0) * 1000))
                self.assertRegex(s.log_text(), r"killed \d+ process\(es\) of deactivated user")
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    def test_delete_kills_too_and_nothing_happens_when_disabled(self):
        with h.ScimdInstance(name="sessions-off") as s:
            s.start()
            api, user, proc = self._user_with_process(s)
            try:
                api.patch_ops("/Users/" + user["id"],
                              [{"op": "replace", "value": {"active": False}}])
                time.sleep(0.5)
                self.assertIsNone(proc.poll(), "switch off: processes must be left alone")
            finally:
                proc.kill()
                proc.wait()
        with h.ScimdInstance(name="sessions-del",
                             extra={"sessions": {"terminate_on_deactivate": "true"}}) as s:
            s.start()
            api, user, proc = self._user_with_process(s)
            try:
                self.assertEqual(api.delete("/Users/" + user["id"]).status, 204)
                proc.wait(timeout=10)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()


if __name__ == "__main__":
    unittest.main(verbosity=2)
