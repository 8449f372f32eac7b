#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Held long-polls cost the hub no thread each (issue 14, docs/architecture.md, Threads): with
400 GET /fleet/v1/changes?wait= held at once the hub's thread count stays far below the
number of polls; one SCIM change answers every one of them 200 with the change, the same
connections then poll again, and SIGTERM answers each of those 503 at once and exits 0.
With a thread per connection the hub ran a thread per held poll (over 400 here)."""

import json
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_feed_hub import Hub  # noqa: E402

POLLS = 400
THREADS_MAX = 100  # every fixed thread of a hub, with room to spare; far below POLLS


def threads_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line for pid %d" % pid)


def send_poll(sock, token, since, wait):
    sock.sendall(("GET /fleet/v1/changes?since=%d&wait=%d HTTP/1.1\r\nHost: x\r\n"
                  "Authorization: Bearer %s\r\n\r\n" % (since, wait, token)).encode())


def read_answer(sock, deadline):
    """(status, body) of one HTTP/1.1 answer on sock, read by deadline."""
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed without an answer: %r" % data[:200])
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(body) < length:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body[:length]


class HeldPolls(unittest.TestCase):
    def test_held_polls_hold_no_thread_each(self):
        hub = Hub("feed-held-polls", extra={"server": {
            "max_connections": str(POLLS + 128), "max_connections_per_client": "0"}})
        socks = []
        try:
            pid = hub.inst.proc.pid
            host = hub.add_host("many")
            status, _, body = hub.fleet("GET", "/fleet/v1/snapshot", host)
            self.assertEqual(status, 200, body)
            top = json.loads(body)["to"]
            for _ in range(POLLS):
                s = socket.create_connection(("127.0.0.1", hub.inst.port), timeout=10)
                send_poll(s, host, top, 120)
                socks.append(s)
            time.sleep(2.0)  # every poll read, authenticated and held
            held = threads_of(pid)
            self.assertLess(held, THREADS_MAX, "%d threads with %d polls held" % (held, POLLS))

            hub.scim.create_user("heldpolls@example.com")
            deadline = time.monotonic() + 20
            tops = set()
            for s in socks:
                status, body = read_answer(s, deadline)
                self.assertEqual(status, 200, body)
                doc = json.loads(body)
                self.assertIn("heldpolls", body.decode())
                tops.add(doc["to"])
            self.assertEqual(len(tops), 1, tops)
            top = tops.pop()

            for s in socks:  # the same kept-alive connections poll again
                send_poll(s, host, top, 120)
            time.sleep(2.0)
            held = threads_of(pid)
            self.assertLess(held, THREADS_MAX, "%d threads with %d polls held" % (held, POLLS))
            t0 = time.monotonic()
            self.assertEqual(hub.inst.stop(timeout=20), 0)
            self.assertLess(time.monotonic() - t0, 5.0, "SIGTERM waited for the long-polls")
            deadline = time.monotonic() + 5
            statuses = [read_answer(s, deadline)[0] for s in socks]
            self.assertEqual(statuses, [503] * POLLS)
        finally:
            for s in socks:
                s.close()
            hub.close()


if __name__ == "__main__":
    unittest.main(testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
