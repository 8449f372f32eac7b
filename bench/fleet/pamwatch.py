#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One follower's PAM, asked on demand (bench/fleet/toggles.py drives it).

  pamwatch.py SERVICE TIMEOUT_S [INTERVAL_S]

Run inside a follower's mount namespace (bench/e2e/in_namespace.sh: /etc/pam.d/SERVICE has
pam_scim.so reading that follower's cache in its account stack). Reads commands on stdin,
one a line: "allow USER" or "deny USER" runs `pamtester SERVICE USER acct_mgmt` in a loop
until it succeeds (allow) or fails (deny) and prints "ok T RUNS", T being the end of the run
that showed it (time.monotonic(), CLOCK_MONOTONIC, the clock the caller and pollgen read);
"timeout S RUNS" when it did not within TIMEOUT_S. Between runs it sleeps INTERVAL_S
(default 0): each run is a fork and exec of pamtester, and three followers probed back to
back take most of a 2-core machine from the hub being measured. Ends at the end of stdin."""
import subprocess
import sys
import time


def pam_allows(service, user):
    return subprocess.run(["pamtester", service, user, "acct_mgmt"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def main():
    service, timeout = sys.argv[1], float(sys.argv[2])
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2 or words[0] not in ("allow", "deny"):
            print("error bad command %r" % line.strip(), flush=True)
            continue
        want = words[0] == "allow"
        deadline = time.monotonic() + timeout
        runs = 0
        while True:
            runs += 1
            got = pam_allows(service, words[1])
            t = time.monotonic()
            if got == want:
                print("ok %.6f %d" % (t, runs), flush=True)
                break
            if t > deadline:
                print("timeout %.1f %d" % (timeout, runs), flush=True)
                break
            time.sleep(interval)


if __name__ == "__main__":
    main()
