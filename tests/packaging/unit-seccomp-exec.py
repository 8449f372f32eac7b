#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Apply the SystemCallFilter= of a systemd unit to this process, then exec a command.

usage: unit-seccomp-exec.py UNIT_FILE COMMAND [ARGS...]

Computes the allow list the way systemd merges the unit's SystemCallFilter= lines (an
allow list starting from @default, each later line adding or, with ~, removing syscalls in
order), expands the groups with `systemd-analyze syscall-filter`, loads it with libseccomp
(every other syscall fails with SystemCallErrorNumber=, default EPERM) and execs COMMAND.
The process must already have no_new_privs set (setpriv --no-new-privs) or CAP_SYS_ADMIN.
"""
import ctypes
import errno
import os
import subprocess
import sys


def group_table():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                         capture_output=True, text=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def expand(name, groups, seen=None):
    seen = seen if seen is not None else set()
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    result = set()
    for item in groups.get(name, []):
        result |= expand(item, groups, seen)
    return result


def unit_filter(path):
    lines, errno_name = [], "EPERM"
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if line.startswith("SystemCallFilter="):
                lines.append(line.split("=", 1)[1].strip())
            elif line.startswith("SystemCallErrorNumber="):
                errno_name = line.split("=", 1)[1].strip()
    return lines, errno_name


def allowed_syscalls(lines, groups):
    allow = None
    for value in lines:
        if value == "":
            allow = None
            continue
        invert = value.startswith("~")
        names = value.lstrip("~").split()
        if allow is None:
            if invert:
                sys.exit("unit-seccomp-exec: deny-list filters are not supported here")
            allow = expand("@default", groups)
        for n in names:
            s = expand(n, groups)
            allow = allow - s if invert else allow | s
    return allow


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lines, errno_name = unit_filter(sys.argv[1])
    if not lines:
        os.execvp(sys.argv[2], sys.argv[2:])
    allow = allowed_syscalls(lines, group_table())
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                     ctypes.c_uint]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    act_errno = 0x00050000 | getattr(errno, errno_name)
    act_allow = 0x7FFF0000
    ctx = lib.seccomp_init(act_errno)
    if not ctx:
        sys.exit("unit-seccomp-exec: seccomp_init failed")
    for name in sorted(allow):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:  # not a syscall of this architecture
            continue
        rc = lib.seccomp_rule_add(ctx, act_allow, nr, 0)
        if rc < 0:
            sys.exit(f"unit-seccomp-exec: seccomp_rule_add({name}) failed: {rc}")
    rc = lib.seccomp_load(ctx)
    if rc < 0:
        sys.exit(f"unit-seccomp-exec: seccomp_load failed: {os.strerror(-rc)}")
    os.execvp(sys.argv[2], sys.argv[2:])


if __name__ == "__main__":
    main()
