#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""libnss_scim.so.2 through real glibc NSS (getent -s scim, id in a mount namespace) and
readers racing cache replacements. Emits TAP. Needs root (chown, unshare -m)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import staging  # noqa: E402

# Staged outside the checkout: getent runs as nobody in some tests.
LIBDIR = staging.nss_libdir(os.environ["NSS_SCIM_LIBDIR"])
MKCACHE = os.environ["NSS_MKCACHE"]
READER_LOOP = os.environ["NSS_READER_LOOP"]

ALICE_UID = 1879048200
BOB_UID = 1879048201
CAROL_UID = 1879048202
OPS_GID = 1880096800
DEVS_GID = 1880096801
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5IGZvciBzY2ltZCB0ZXN0cyBvbmx5 alice@laptop"
HASH = "$y$j9T$abcdefghijklmnopqrstu.$ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg"

DESC = "\n".join([
    "generation\t7",
    "hwm\t1879048300",
    f"user\talice\t{ALICE_UID}\t1\tAlice Ëxample,Room 1\t/home/alice\t/bin/bash\t{HASH}\t19700",
    f"user\tbob\t{BOB_UID}\t0\tBob\t/home/bob\t/bin/sh\t-\t19650",
    f"user\ttest_user_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com\t{CAROL_UID}\t1\t"
    "Carol\t/home/carol\t/bin/bash\t-\t19600",
    f"key\talice\t{KEY}",
    f"group\tops\t{OPS_GID}\trole\talice,bob",
    f"group\tdevelopers\t{DEVS_GID}\tscim\talice,test_user_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com",
    "group\tsudo\t27\tmapped\talice",
    "",
])

results = []


class Skip(Exception):
    pass


def check(name, fn):
    try:
        fn()
        results.append((True, name, ""))
    except Skip as e:
        results.append((True, f"{name} # SKIP {e}", ""))
    except Exception as e:  # a failed check is reported, the next still runs
        results.append((False, name, repr(e)))


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nss-scim-")
        os.chmod(self.dir, 0o755)  # nobody must reach nss.cache (and be refused shadow)
        self.nss = os.path.join(self.dir, "nss.cache")
        self.shadow = os.path.join(self.dir, "shadow.cache")
        self.write(DESC)

    def write(self, desc, nss=None, shadow=None, repeat=None):
        path = os.path.join(self.dir, "desc.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(desc)
        args = [MKCACHE, path, nss or self.nss, shadow or self.shadow]
        if repeat:
            args.append(str(repeat))
        subprocess.run(args, check=True)

    def env(self, nss=None, shadow=None):
        e = dict(os.environ)
        e["LD_LIBRARY_PATH"] = LIBDIR
        e["SCIM_NSS_CACHE"] = nss or self.nss
        e["SCIM_SHADOW_CACHE"] = shadow or self.shadow
        return e

    def getent(self, *args, nss=None, shadow=None, prefix=()):
        p = subprocess.run(list(prefix) + ["getent", "-s", "scim"] + list(args),
                           env=self.env(nss, shadow), capture_output=True, text=True,
                           timeout=30)
        expect(p.returncode >= 0, f"getent killed by signal {-p.returncode}")
        return p.returncode, p.stdout

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


E = Env()
CAROL = "test_user_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com"


def t_passwd_by_name():
    rc, out = E.getent("passwd", "alice")
    expect(rc == 0, f"rc {rc}")
    expect(out == f"alice:x:{ALICE_UID}:{ALICE_UID}:Alice Ëxample,Room 1:/home/alice:/bin/bash\n",
           out)


def t_passwd_by_uid():
    rc, out = E.getent("passwd", str(BOB_UID))
    expect(rc == 0 and out == f"bob:x:{BOB_UID}:{BOB_UID}:Bob:/home/bob:/bin/sh\n", out)


def t_passwd_entra_name():
    rc, out = E.getent("passwd", CAROL)
    expect(rc == 0 and out.startswith(f"{CAROL}:x:{CAROL_UID}:"), out)


def t_passwd_miss():
    for key in ("nosuchuser", "Alice", "root", "0", "1000", str(OPS_GID)):
        rc, out = E.getent("passwd", key)
        expect(rc == 2 and out == "", f"{key}: rc {rc} out {out!r}")


def t_passwd_enum():
    rc, out = E.getent("passwd")
    names = [l.split(":")[0] for l in out.splitlines()]
    expect(rc == 0 and names == ["alice", "bob", CAROL], out)


def t_group_by_name():
    rc, out = E.getent("group", "ops")
    expect(rc == 0 and out == f"ops:x:{OPS_GID}:alice,bob\n", out)
    rc, out = E.getent("group", "alice")  # private group
    expect(rc == 0 and out == f"alice:x:{ALICE_UID}:\n", out)


def t_group_by_gid():
    rc, out = E.getent("group", str(DEVS_GID))
    expect(rc == 0 and out == f"developers:x:{DEVS_GID}:alice,{CAROL}\n", out)


def t_group_mapped_local():
    # By name (for "files [SUCCESS=merge] scim"), never by gid or in enumeration.
    rc, out = E.getent("group", "sudo")
    expect(rc == 0 and out == "sudo:x:27:alice\n", out)
    rc, out = E.getent("group", "27")
    expect(rc == 2 and out == "", out)


def t_large_entries_need_erange_retry():
    # glibc starts with a small buffer and grows it on ERANGE: a 3000-member group and a
    # long gecos only resolve if the module hands ERANGE back through errno.
    n = 3000
    lines = ["generation\t1"]
    for i in range(n):
        gecos = "G" * 3000 if i == 0 else f"user {i}"
        lines.append(f"user\tmember{i:04d}\t{1879050000 + i}\t1\t{gecos}\t/home/m\t/bin/sh\t-\t19000")
    lines.append("group\tbig\t1880097000\tscim\t" + ",".join(f"member{i:04d}" for i in range(n)))
    nss = os.path.join(E.dir, "big-nss.cache")
    shadow = os.path.join(E.dir, "big-shadow.cache")
    E.write("\n".join(lines) + "\n", nss=nss, shadow=shadow)
    rc, out = E.getent("group", "big", nss=nss, shadow=shadow)
    expect(rc == 0, f"rc {rc}")
    members = out.rstrip("\n").split(":")[3].split(",")
    expect(len(members) == n and members[0] == "member0000" and members[-1] == f"member{n-1:04d}",
           f"{len(members)} members")
    rc, out = E.getent("group", "1880097000", nss=nss, shadow=shadow)
    expect(rc == 0 and out.startswith("big:x:1880097000:member0000,"), out[:80])
    rc, out = E.getent("passwd", "member0000", nss=nss, shadow=shadow)
    expect(rc == 0 and ("G" * 3000) in out, f"rc {rc}")
    rc, out = E.getent("group", nss=nss, shadow=shadow)
    expect(rc == 0 and len(out.splitlines()) == n + 1, f"{len(out.splitlines())} groups")


def t_group_enum():
    rc, out = E.getent("group")
    names = [l.split(":")[0] for l in out.splitlines()]
    expect(rc == 0 and names == ["alice", "bob", CAROL, "ops", "developers"], out)
    for line in out.splitlines():
        expect(int(line.split(":")[2]) >= 1000, line)


def t_initgroups():
    rc, out = E.getent("initgroups", "alice")
    fields = out.split()
    expect(rc == 0 and fields[0] == "alice", out)
    expect(sorted(int(g) for g in fields[1:]) == sorted([27, OPS_GID, DEVS_GID]), out)
    rc, out = E.getent("initgroups", "nosuchuser")  # getent itself exits 0 here
    expect(out.split() == ["nosuchuser"], f"rc {rc} {out!r}")


def t_shadow():
    rc, out = E.getent("shadow", "alice")
    expect(rc == 0 and out == f"alice:{HASH}:19700::::::\n", out)
    rc, out = E.getent("shadow", "bob")  # deactivated: locked and expired
    expect(rc == 0 and out == "bob:!*:19650:::::1:\n", out)
    rc, out = E.getent("shadow", CAROL)
    expect(rc == 0 and out == f"{CAROL}:*:19600::::::\n", out)
    rc, out = E.getent("shadow")
    expect(rc == 0 and len(out.splitlines()) == 3, out)
    rc, out = E.getent("shadow", "nosuchuser")
    expect(rc == 2, out)


def t_shadow_modes():
    st = os.stat(E.shadow)
    expect(st.st_mode & 0o777 == 0o640, oct(st.st_mode))
    expect(st.st_uid == 0, st.st_uid)
    import grp
    expect(st.st_gid == grp.getgrnam("shadow").gr_gid, st.st_gid)
    expect(os.stat(E.nss).st_mode & 0o777 == 0o644, "nss mode")


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def t_shadow_unreadable_unprivileged():
    rc, out = E.getent("shadow", "alice", prefix=NOBODY)
    expect(rc == 2 and out == "", f"rc {rc} out {out!r}")
    rc, out = E.getent("passwd", "alice", prefix=NOBODY)  # nss.cache stays readable
    expect(rc == 0 and out.startswith("alice:x:"), f"rc {rc} out {out!r}")


def t_untrusted_owner():
    path = os.path.join(E.dir, "nobody.cache")
    shutil.copy(E.nss, path)
    os.chown(path, 65534, 65534)
    rc, out = E.getent("passwd", "alice", nss=path)
    expect(rc == 2 and out == "", f"rc {rc} {out!r}")


def t_untrusted_mode():
    path = os.path.join(E.dir, "groupwritable.cache")
    shutil.copy(E.nss, path)
    os.chmod(path, 0o664)
    rc, out = E.getent("passwd", "alice", nss=path)
    expect(rc == 2 and out == "", f"rc {rc} {out!r}")


def t_corrupt_and_missing():
    data = open(E.nss, "rb").read()
    bad = os.path.join(E.dir, "bad.cache")
    for cut in (0, 10, 79, len(data) // 2, len(data) - 1):
        with open(bad, "wb") as f:
            f.write(data[:cut])
        for args in (("passwd", "alice"), ("group", "ops"), ("passwd",), ("initgroups", "alice")):
            rc, out = E.getent(*args, nss=bad)
            # getent exits 0 after an empty enumeration or initgroups; a key lookup gives 2.
            want_rc = (0, 2) if len(args) == 1 or args[0] == "initgroups" else (2,)
            want_out = "alice\n" if args[0] == "initgroups" else ""
            expect(rc in want_rc and out.replace(" ", "") == want_out,
                   f"cut {cut} {args}: rc {rc} {out!r}")
    rc, out = E.getent("passwd", "alice", nss=os.path.join(E.dir, "missing.cache"))
    expect(rc == 2 and out == "", f"missing: rc {rc}")


def t_only_nss_abi_exported():
    p = subprocess.run(["nm", "-D", "--defined-only", os.path.join(LIBDIR, "libnss_scim.so.2")],
                       capture_output=True, text=True, check=True)
    names = [l.split()[-1] for l in p.stdout.splitlines() if l.strip()]
    expect(names and all(n.startswith("_nss_scim_") for n in names), names)
    for want in ("getpwnam_r", "getpwuid_r", "setpwent", "getpwent_r", "endpwent",
                 "getgrnam_r", "getgrgid_r", "setgrent", "getgrent_r", "endgrent",
                 "initgroups_dyn", "getspnam_r", "setspent", "getspent_r", "endspent"):
        expect("_nss_scim_" + want in names, want)
    p = subprocess.run(["readelf", "-d", os.path.join(LIBDIR, "libnss_scim.so.2")],
                       capture_output=True, text=True, check=True)
    needed = [l for l in p.stdout.splitlines() if "(NEEDED)" in l]
    expect(len(needed) == 1 and "libc.so.6" in needed[0], needed)  # libc only
    expect("NODELETE" in p.stdout, "not linked -z nodelete")


def t_id_in_mount_namespace():
    conf = os.path.join(E.dir, "nsswitch.conf")
    with open(conf, "w") as f:
        f.write("passwd: files scim\ngroup: files [SUCCESS=merge] scim\nshadow: files scim\n")
    script = (
        "set -e; mount --make-rprivate /; "
        f"mount --bind {conf} /etc/nsswitch.conf; "
        "if [ -d /run/nscd ]; then mount -t tmpfs tmpfs /run/nscd; fi; "
        "id alice; id -nG alice; getent passwd bob; getent group sudo; getent group root"
    )
    p = subprocess.run(["unshare", "-m", "sh", "-c", script], env=E.env(),
                       capture_output=True, text=True, timeout=30)
    expect(p.returncode == 0, f"rc {p.returncode}: {p.stderr}")
    lines = p.stdout.splitlines()
    expect(lines[0].startswith(f"uid={ALICE_UID}(alice) gid={ALICE_UID}(alice) groups="), lines[0])
    expect(f"{OPS_GID}(ops)" in lines[0] and f"{DEVS_GID}(developers)" in lines[0], lines[0])
    expect("27(sudo)" in lines[0], lines[0])  # the mapped local group, named by files
    expect(sorted(lines[1].split()) == sorted(["alice", "ops", "developers", "sudo"]), lines[1])
    expect(lines[2].startswith("bob:x:"), lines[2])
    # merge: the local sudo group gains its SCIM members; local groups stay as they are
    import grp
    local = grp.getgrnam("sudo").gr_mem
    expect(lines[3] == "sudo:x:27:" + ",".join(local + ["alice"]), lines[3])
    expect(lines[4] == "root:x:0:", lines[4])


def wait_ready(stop, proc):
    for _ in range(1200):
        if os.path.exists(stop + ".ready"):
            return
        expect(proc.poll() is None, f"reader exited early: {proc.returncode}")
        time.sleep(0.05)
    raise AssertionError("reader never became ready")


def t_readers_during_200_replacements():
    desc = "\n".join([
        "generation\t100",
        f"user\talice\t{ALICE_UID}\t1\tgen-%g\t/home/gen-%g\t/bin/bash\t-\t19700",
        f"user\tbob\t{BOB_UID}\t1\tBob\t/home/bob\t/bin/sh\t-\t19700",
        f"group\tops\t{OPS_GID}\trole\talice,bob",
        "",
    ])
    d = tempfile.mkdtemp(prefix="nss-loop-")
    try:
        nss, shadow, stop = (os.path.join(d, n) for n in ("nss.cache", "shadow.cache", "stop"))
        E.write(desc, nss=nss, shadow=shadow)
        reader = subprocess.Popen([READER_LOOP, "alice", str(ALICE_UID), "ops", stop, "4"],
                                  env=E.env(nss, shadow), stdout=subprocess.PIPE, text=True)
        wait_ready(stop, reader)
        E.write(desc, nss=nss, shadow=shadow, repeat=200)
        time.sleep(0.5)  # readers keep going across the last replacement
        open(stop, "w").close()
        out, _ = reader.communicate(timeout=60)
        print(f"# reader: {out.strip()}")
        expect(reader.returncode == 0, out)
        expect("max_gen=300" in out, out)  # it followed the replacements to the last one
        leftovers = [n for n in os.listdir(d) if ".tmp." in n]
        expect(not leftovers, leftovers)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def t_helgrind_readers_during_replacements():
    if not shutil.which("valgrind"):
        raise Skip("valgrind not installed")
    desc = "\n".join([
        "generation\t1",
        f"user\talice\t{ALICE_UID}\t1\tgen-%g\t/home/gen-%g\t/bin/bash\t-\t19700",
        f"group\tops\t{OPS_GID}\trole\talice",
        "",
    ])
    d = tempfile.mkdtemp(prefix="nss-helgrind-")
    try:
        nss, shadow, stop = (os.path.join(d, n) for n in ("nss.cache", "shadow.cache", "stop"))
        E.write(desc, nss=nss, shadow=shadow)
        reader = subprocess.Popen(
            # --fair-sched: valgrind serialises threads; without it a reader spinning on the
            # module's trylock can starve the holder for minutes on a loaded host.
            ["valgrind", "--tool=helgrind", "--fair-sched=yes", "-q", "--error-exitcode=99",
             READER_LOOP,
             "alice", str(ALICE_UID), "ops", stop, "3"],
            env=E.env(nss, shadow), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_ready(stop, reader)
        E.write(desc, nss=nss, shadow=shadow, repeat=20)
        time.sleep(2)
        open(stop, "w").close()
        out, err = reader.communicate(timeout=120)
        print(f"# helgrind reader: {out.strip()}")
        expect(reader.returncode == 0, f"rc {reader.returncode}: {err[-3000:]}")
    finally:
        shutil.rmtree(d, ignore_errors=True)


TESTS = [
    ("getent passwd by name", t_passwd_by_name),
    ("getent passwd by uid", t_passwd_by_uid),
    ("getent passwd of an Entra-style name", t_passwd_entra_name),
    ("getent passwd misses", t_passwd_miss),
    ("getent passwd enumeration", t_passwd_enum),
    ("getent group by name", t_group_by_name),
    ("getent group by gid", t_group_by_gid),
    ("mapped local group by name only", t_group_mapped_local),
    ("getent group enumeration", t_group_enum),
    ("large entries resolve through ERANGE retries", t_large_entries_need_erange_retry),
    ("getent initgroups", t_initgroups),
    ("getent shadow", t_shadow),
    ("cache file modes and owners", t_shadow_modes),
    ("shadow unreadable to nobody", t_shadow_unreadable_unprivileged),
    ("cache owned by nobody is unavailable", t_untrusted_owner),
    ("group-writable cache is unavailable", t_untrusted_mode),
    ("truncated or missing cache is unavailable", t_corrupt_and_missing),
    ("module exports only _nss_scim_*, needs only libc", t_only_nss_abi_exported),
    ("id alice in a mount namespace", t_id_in_mount_namespace),
    ("4 reader threads during 200 replacements", t_readers_during_200_replacements),
    ("helgrind: 3 reader threads during 20 replacements", t_helgrind_readers_during_replacements),
]


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 0
    try:
        for name, fn in TESTS:
            check(name, fn)
    finally:
        E.cleanup()
    for i, (ok, name, why) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            for line in why.splitlines():
                print(f"# {line}")
    print(f"1..{len(results)}")
    failed = sum(1 for ok, _, _ in results if not ok)
    print(f"# {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
