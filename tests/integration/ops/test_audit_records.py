# SPDX-License-Identifier: MIT
"""Account changes in the kernel's audit trail, read from the kernel itself: a netlink
listener on the audit multicast group (AUDIT_NLGRP_READLOG, what journald and audisp read)
sees the records a real scimd and scimctl send for users and groups, with their type, op=,
id=, acct=, scim_id=, token= and exe=.

Audit lives only in the initial user namespace, so this test cannot run in a namespace of its
own: it needs root on a kernel with audit. Without either it says why and exits 77 (meson:
skipped); the records' format and the quiet fallbacks are the unit test's (core-audit-kernel),
which runs everywhere. Audit left off is switched on for the test and off again after it,
also when the test is stopped: for those seconds every process's user-space records (other
scimds', logins') reach the kernel log when no auditd runs."""

import errno
import os
import re
import signal
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fleet"))
import scimharness as h  # noqa: E402
import fleetharness as fh  # noqa: E402

NETLINK_AUDIT = 9
AUDIT_GET, AUDIT_SET = 1000, 1001
AUDIT_STATUS_ENABLED = 0x1
AUDIT_NLGRP_READLOG = 1
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4

TYPES = {"ADD_USER": 1114, "DEL_USER": 1115, "ADD_GROUP": 1116, "DEL_GROUP": 1117,
         "USER_MGMT": 1102, "USER_CHAUTHTOK": 1108, "GRP_MGMT": 1132, "ACCT_LOCK": 1135,
         "ACCT_UNLOCK": 1136}


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


class AuditControl:
    """AUDIT_GET and AUDIT_SET on a netlink socket (what auditctl -s and -e do)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
        self.sock.settimeout(5)
        self.seq = 0

    def _request(self, msg_type, payload):
        self.seq += 1
        self.sock.send(struct.pack("=IHHII", 16 + len(payload), msg_type,
                                   NLM_F_REQUEST | NLM_F_ACK, self.seq, 0) + payload)
        status = None
        while True:
            data = self.sock.recv(65536)
            off = 0
            while off + 16 <= len(data):
                length, rtype, _, seq, _ = struct.unpack_from("=IHHII", data, off)
                body = data[off + 16:off + length]
                off += (length + 3) & ~3
                if seq != self.seq:
                    continue
                if rtype == NLMSG_ERROR:
                    (code,) = struct.unpack_from("=i", body)
                    if code:
                        raise OSError(-code, os.strerror(-code))
                    if msg_type == AUDIT_SET or status is not None:
                        return status
                elif rtype == AUDIT_GET:
                    status = struct.unpack_from("=IIII", body)  # mask, enabled, failure, pid
                    return status

    def status(self):
        return self._request(AUDIT_GET, b"")

    def set_enabled(self, value):
        self._request(AUDIT_SET, struct.pack("=10I", AUDIT_STATUS_ENABLED, value, 0, 0, 0, 0,
                                             0, 0, 0, 0))


class Listener:
    """The read-only multicast group: every record, whoever the audit daemon is. Only the
    records of the SCIM ids asked about are kept, and a drain stops after a moment: other
    scimds on the host (a benchmark creating thousands of users) may be sending too."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        self.sock.bind((0, 1 << (AUDIT_NLGRP_READLOG - 1)))
        self.sock.settimeout(0.1)
        self.watched = set()
        self.watched_accts = set()  # for records without a SCIM id (role groups)
        self.records = []  # (type, text)

    def drain(self, seconds=0.5):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return
            except OSError as e:
                if e.errno == errno.ENOBUFS:  # the kernel dropped some: best effort
                    continue
                raise
            off = 0
            while off + 16 <= len(data):
                length, rtype, _, _, _ = struct.unpack_from("=IHHII", data, off)
                text = data[off + 16:off + length].rstrip(b"\0").decode("utf-8", "replace")
                off += (length + 3) & ~3
                m = re.search(r'scim_id="([^"]*)"', text)
                a = re.search(r'acct="([^"]*)"', text)
                if (m and m.group(1) in self.watched) or (a and a.group(1) in self.watched_accts):
                    self.records.append((rtype, text))

    def wait_for(self, scim_id, rtype, timeout=10.0, token=None):
        """The record of type rtype naming scim_id (and token, if given), waiting for it."""
        self.watched.add(scim_id)
        return self._wait('scim_id="%s"' % scim_id, rtype, timeout, token)

    def wait_for_acct(self, acct, rtype, timeout=10.0, token=None):
        """The record of type rtype naming the account or group acct, waiting for it."""
        self.watched_accts.add(acct)
        return self._wait('acct="%s"' % acct, rtype, timeout, token)

    def _wait(self, needle, rtype, timeout, token):
        scim_id = needle
        also = 'token="%s"' % token if token else ""
        deadline = time.monotonic() + timeout
        while True:
            for t, text in self.records:
                if t == rtype and needle in text and also in text:
                    return text
            if time.monotonic() > deadline:
                seen = "\n".join("%d %s" % r for r in self.records if needle in r[1])
                raise AssertionError("no record of type %d for %s in %.0f s; for it: %s"
                                     % (rtype, scim_id, timeout, seen or "none"))
            self.drain()

    def of(self, scim_id):
        self.drain()
        return [(t, text) for t, text in self.records if 'scim_id="%s"' % scim_id in text]


def prepare():
    """The control socket and the listener, or exit 77 saying why there are none. True when
    audit was off and this switched it on."""
    global CONTROL, LISTENER
    if os.geteuid() != 0:
        skip("needs root: only root may read the kernel's audit records")
    try:
        CONTROL = AuditControl()
    except OSError as e:
        if e.errno in (errno.EPROTONOSUPPORT, errno.EAFNOSUPPORT, errno.EINVAL):
            skip("this kernel has no audit support (CONFIG_AUDIT): there are no records to "
                 "read; core-audit-kernel covers what scimd sends")
        raise
    try:
        _, enabled, _, pid = CONTROL.status()
    except OSError as e:
        if e.errno in (errno.ECONNREFUSED, errno.EPERM):
            skip("the kernel refuses audit requests here (%s): audit works only in the initial "
                 "user and pid namespaces, and this is a container" % e.strerror)
        raise
    try:
        LISTENER = Listener()
    except OSError as e:
        skip("cannot join the audit multicast group (%s; needs CAP_AUDIT_READ)" % e.strerror)
    if enabled != 0:
        return False
    print("audit is off here (no auditd, pid %d): switched on for this test" % pid)
    CONTROL.set_enabled(1)
    return True


def field(text, name):
    m = re.search(r"\b%s=(\"[^\"]*\"|[^\s']+)" % name, text)
    return m.group(1) if m else None


class AuditRecords(unittest.TestCase):
    def check(self, text, op, token, exe, **fields):
        self.assertEqual(field(text, "op"), op, text)
        self.assertEqual(field(text, "token"), '"%s"' % token, text)
        self.assertEqual(field(text, "res"), "success", text)
        self.assertTrue(field(text, "exe").endswith('/%s"' % exe), text)
        for name, want in fields.items():
            self.assertEqual(field(text, name), want, text)

    def test_users_and_groups(self):
        with h.ScimdInstance(name="audit-kernel") as s:
            s.start()
            api = s.client()
            tok = s.token.access_id
            user = api.create_user("kaudit@example.com", password="Tr0ub4dor&3")
            uid = str(user[h.URN_LINUX_USER]["uidNumber"])
            sid = user["id"]
            rec = LISTENER.wait_for(sid, TYPES["ADD_USER"])
            self.check(rec, "add-user", tok, "scimd", id=uid, acct='"kaudit"')
            # The sender is scimd itself, as the kernel saw it.
            self.assertEqual(field(rec, "pid"), str(s.proc.pid), rec)

            path = "/Users/" + sid
            self.assertEqual(api.patch_ops(path, [{"op": "replace", "path": "active",
                                                   "value": False}]).status, 200)
            self.check(LISTENER.wait_for(sid, TYPES["ACCT_LOCK"]), "disable-user", tok,
                       "scimd", id=uid, acct='"kaudit"')
            self.assertEqual(api.patch_ops(path, [{"op": "replace", "value": {
                "active": True, "displayName": "K Audit"}}]).status, 200)
            self.check(LISTENER.wait_for(sid, TYPES["ACCT_UNLOCK"]), "enable-user", tok,
                       "scimd", id=uid)
            self.check(LISTENER.wait_for(sid, TYPES["USER_MGMT"]), "modify-user", tok,
                       "scimd", id=uid, changed='"displayName"')
            self.assertEqual(api.patch_ops(path, [{"op": "replace", "path": "password",
                                                   "value": "N3w-Secret-9"}]).status, 200)
            rec = LISTENER.wait_for(sid, TYPES["USER_CHAUTHTOK"])
            self.check(rec, "change-password", tok, "scimd", id=uid)
            self.assertNotIn("N3w-Secret-9", rec)
            self.assertEqual(api.delete(path).status, 204)
            self.check(LISTENER.wait_for(sid, TYPES["DEL_USER"]), "delete-user", tok, "scimd",
                       id=uid, acct='"kaudit"')

            resp = api.post("/Groups", {"schemas": [h.URN_GROUP], "displayName": "kaudit-ops"})
            self.assertEqual(resp.status, 201, resp.describe())
            gid_ = resp.json["id"]
            rec = LISTENER.wait_for(gid_, TYPES["ADD_GROUP"])
            self.check(rec, "add-group", tok, "scimd", acct='"kaudit-ops"')
            self.assertRegex(field(rec, "id"), r"^[1-9][0-9]*$")
            resp = api.patch_ops("/Groups/" + gid_, [{"op": "replace", "path": "displayName",
                                                      "value": "kaudit-ops2"}])
            self.assertIn(resp.status, (200, 204), resp.describe())
            rec = LISTENER.wait_for(gid_, TYPES["GRP_MGMT"])
            self.check(rec, "modify-group", tok, "scimd", acct='"kaudit-ops2"')
            self.assertIn("displayName", field(rec, "changed"), rec)
            self.assertEqual(api.delete("/Groups/" + gid_).status, 204)
            self.check(LISTENER.wait_for(gid_, TYPES["DEL_GROUP"]), "delete-group", tok,
                       "scimd")

            # A role's Linux group, made with its first holder, is recorded as groupadd would
            # record it, before its holder's ADD_USER; a second holder makes no second record.
            LISTENER.watched_accts.update(("kaudit-role", "kaudit3", "kaudit4"))
            holder = api.post("/Users", {"schemas": [h.URN_USER], "userName": "kaudit3",
                                         "roles": [{"value": "kaudit-role"}]})
            self.assertEqual(holder.status, 201, holder.describe())
            rec = LISTENER.wait_for_acct("kaudit-role", TYPES["ADD_GROUP"])
            self.check(rec, "add-group", tok, "scimd", scim_id="?")
            self.assertRegex(field(rec, "id"), r"^[1-9][0-9]*$")
            added = LISTENER.wait_for_acct("kaudit3", TYPES["ADD_USER"])
            texts = [t for _, t in LISTENER.records]
            self.assertLess(texts.index(rec), texts.index(added), "groupadd before useradd")
            second = api.post("/Users", {"schemas": [h.URN_USER], "userName": "kaudit4",
                                         "roles": [{"value": "kaudit-role"}]})
            self.assertEqual(second.status, 201, second.describe())
            LISTENER.wait_for_acct("kaudit4", TYPES["ADD_USER"])
            self.assertEqual([t for t, text in LISTENER.records
                              if t == TYPES["ADD_GROUP"] and 'acct="kaudit-role"' in text],
                             [TYPES["ADD_GROUP"]], "one record for the role group")

            # Break-glass removal: the record names scimctl, as tool and token.
            other = api.create_user("kaudit2@example.com")
            LISTENER.wait_for(other["id"], TYPES["ADD_USER"])
            s.scimctl("users", "delete", "kaudit2")
            self.check(LISTENER.wait_for(other["id"], TYPES["DEL_USER"]), "delete-user",
                       "scimctl", "scimctl", acct='"kaudit2"')

            # One record per change, nothing twice; scimd said nothing about audit.
            time.sleep(0.5)
            self.assertEqual(sorted(t for t, _ in LISTENER.of(sid)),
                             sorted(TYPES[n] for n in ("ADD_USER", "ACCT_LOCK", "ACCT_UNLOCK",
                                                       "USER_MGMT", "USER_CHAUTHTOK",
                                                       "DEL_USER")))
            self.assertNotIn("audit: the kernel", s.log_text())
            self.assertNotIn("audit: this kernel", s.log_text())

    @unittest.skipUnless(fh.have_fleet(), "no fleet mode in this build")
    def test_follower(self):
        """A follower records what its hub's feed does to its own host, token "fleet"."""
        fleet = fh.Fleet()
        try:
            f = fleet.follower("kaudit-f1")
            user = fleet.api.create_user("kauditf@example.com")
            sid, uid = user["id"], str(user[h.URN_LINUX_USER]["uidNumber"])
            rec = LISTENER.wait_for(sid, TYPES["ADD_USER"], token="fleet", timeout=20)
            self.check(rec, "add-user", "fleet", "scimd", id=uid, acct='"kauditf"')
            self.assertEqual(field(rec, "pid"), str(f.proc.pid), rec)
            # The hub's own record of the same change names the SCIM token.
            LISTENER.wait_for(sid, TYPES["ADD_USER"], token=fleet.hub.token.access_id)
            self.assertEqual(fleet.api.patch_ops("/Users/" + sid, [
                {"op": "replace", "path": "active", "value": False}]).status, 200)
            rec = LISTENER.wait_for(sid, TYPES["ACCT_LOCK"], token="fleet", timeout=20)
            self.assertEqual(field(rec, "pid"), str(f.proc.pid), rec)
            self.assertEqual(fleet.api.delete("/Users/" + sid).status, 204)
            rec = LISTENER.wait_for(sid, TYPES["DEL_USER"], token="fleet", timeout=20)
            self.check(rec, "delete-user", "fleet", "scimd", id=uid, acct='"kauditf"')
        finally:
            fleet.cleanup()


def stop(signum, frame):
    raise SystemExit(128 + signum)  # through the finally below: audit goes back off


if __name__ == "__main__":
    switched_on = prepare()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        result = unittest.main(verbosity=2, exit=False).result
    finally:
        if switched_on:
            CONTROL.set_enabled(0)
    sys.exit(0 if result.wasSuccessful() else 1)
