#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time from a PATCH active=false's 2xx until pam_scim denies the account.

  pam_denial.py URL BASE_PATH AUTH IDS_FILE SERVICE TOGGLES

Run inside a mount namespace whose /etc/pam.d/SERVICE has pam_scim.so in its account
stack and whose nsswitch.conf names scim (bench/run sets that up). For each of TOGGLES
random loaded users: PATCH active=false, then run `pamtester SERVICE USER acct_mgmt` in a
loop until it fails; the time from the 2xx to that failing run's end is one sample. Each
user is first reactivated and seen as allowed. Prints one line
per sample (ms) and then p50/p99/max."""
import http.client
import json
import random
import subprocess
import sys
import time
import urllib.parse

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TIMEOUT_S = 10.0


def patch_active(conn, base, auth, scim_id, active):
    body = json.dumps({"schemas": [PATCH_OP],
                       "Operations": [{"op": "replace", "path": "active", "value": active}]})
    conn.request("PATCH", "%s/Users/%s" % (base, scim_id), body,
                 {"Authorization": auth, "Content-Type": "application/scim+json"})
    resp = conn.getresponse()
    resp.read()
    if resp.status // 100 != 2:
        sys.exit("pam_denial: PATCH %s answered %d" % (scim_id, resp.status))


def pam_allows(service, user):
    return subprocess.run(["pamtester", service, user, "acct_mgmt"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def wait_for(service, user, allowed):
    deadline = time.monotonic() + TIMEOUT_S
    while pam_allows(service, user) != allowed:
        if time.monotonic() > deadline:
            sys.exit("pam_denial: %s not %s after %.0f s" %
                     (user, "allowed" if allowed else "denied", TIMEOUT_S))
    return time.monotonic()


def main():
    url, base, auth, ids_file, service, toggles = sys.argv[1:7]
    users = []
    with open(ids_file) as f:
        for line in f:
            index, scim_id = line.split()
            users.append(("user%06d" % int(index), scim_id))
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    rng = random.Random(7)
    samples = []
    for _ in range(int(toggles)):
        login, scim_id = rng.choice(users)
        # Earlier PATCH benchmarks may have left the user deactivated.
        patch_active(conn, base, auth, scim_id, True)
        wait_for(service, login, True)
        patch_active(conn, base, auth, scim_id, False)
        t0 = time.monotonic()
        t1 = wait_for(service, login, False)
        samples.append((t1 - t0) * 1e3)
        print("sample\t%.1f" % samples[-1], flush=True)
    samples.sort()
    n = len(samples)
    print("p50_ms\t%.1f" % samples[n // 2])
    print("p99_ms\t%.1f" % samples[min(n - 1, int(n * 0.99))])
    print("max_ms\t%.1f" % samples[-1])


if __name__ == "__main__":
    main()
