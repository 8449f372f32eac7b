#!/bin/bash
# SPDX-License-Identifier: MIT
# Installs the freshly built Debian packages into a fresh Debian 12 chroot (debootstrap
# from the host's configured apt mirror) and checks the whole life cycle there:
#   install   -> "scim" in nsswitch.conf (passwd, group, shadow), pam_scim in
#                common-account, /var/lib/scimd present
#   run       -> scimd from the package with a token from scimctl; a SCIM POST makes
#                `getent passwd` resolve the user inside the chroot, a deactivation locks
#                the shadow entry
#   refuse    -> Debian's own sshd (its stock /etc/pam.d/sshd) and login/su services
#                with the common-account pam-auth-update built: the deactivated user is
#                refused with pam_scim's message (not pam_unix's "Your account has
#                expired"), a local user still logs in
#   remove    -> nsswitch.conf and /etc/pam.d/common-* restored byte for byte
#   purge     -> /etc/scimd and the caches gone; the store (UID tombstones) and the UID
#                high-water mark kept
# Everything happens in a private mount namespace; the host's /etc is never touched.
# usage: chroot-install.sh [DIR_WITH_DEBS]   (default: build them from a copy of the tree)
# Environment: SCIMD_DEBIAN_MIRROR overrides the mirror found in the apt configuration.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

if [ "${SCIM_CHROOT_NS:-}" != 1 ]; then
    [ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot, mounts)"
    for tool in debootstrap unshare curl python3; do
        command -v "$tool" >/dev/null || skip "$tool not installed"
    done
    exec env SCIM_CHROOT_NS=1 unshare --mount --propagation private bash "$0" "$@"
fi

src=$(src_root)
work=$(mktemp -d /tmp/scimd-chroot.XXXXXX)
root=$work/root
scimd_pid=
sshd_pid=
cleanup() {
    [ -n "$scimd_pid" ] && kill "$scimd_pid" 2>/dev/null
    [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null
    for m in "$root/proc" "$root/dev/pts" "$root/dev"; do umount -l "$m" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# The host's Debian mirror (deb822 or one-line format), nothing else.
mirror=${SCIMD_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
    mirror=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && $0 ~ /bookworm( |$)/ && u { print u; exit }' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null)
fi
if [ -z "$mirror" ]; then
    mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
fi
[ -n "$mirror" ] || die "no bookworm mirror in the apt configuration (set SCIMD_DEBIAN_MIRROR)"

# The packages under test.
debs=${1:-}
if [ -z "$debs" ]; then
    echo "# building the packages"
    copy_tree "$work/scimd" || die "cannot copy the tree"
    cp -r "$work/scimd/packaging/debian" "$work/scimd/debian"
    (cd "$work/scimd" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1 ||
        { grep -v '^\[[0-9]*/[0-9]*\] ' "$work/build.log" | tail -n 30 >&2; die "dpkg-buildpackage failed"; }
    debs=$work
fi
mkdir -p "$work/debs"
cp "$debs"/scimd_*.deb "$debs"/libnss-scim_*.deb "$debs"/libpam-scim_*.deb "$work/debs/" 2>/dev/null ||
    die "scimd, libnss-scim and libpam-scim .debs not found in $debs"

echo "# debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
ok "debootstrap --variant=minbase bookworm"

mount --bind /dev "$root/dev" && mount -t devpts devpts "$root/dev/pts" -o newinstance 2>/dev/null
mount -t proc proc "$root/proc" || die "cannot mount /proc in the chroot"
# Security and point-release updates from the same mirror host, as on the build host.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    : > "$root/etc/apt/sources.list"
fi
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

in_root apt-get update -qq > "$work/apt.log" 2>&1 || { tail "$work/apt.log" >&2; die "apt-get update in the chroot failed"; }
# What a host that logs people in has: Debian's sshd and its PAM service; pamtester drives
# the login service's account phase.
in_root apt-get install -y -qq --no-install-recommends openssh-server openssh-client pamtester \
    > "$work/apt-ssh.log" 2>&1 || { tail "$work/apt-ssh.log" >&2; die "installing openssh-server in the chroot failed"; }
cp "$root/etc/nsswitch.conf" "$work/nsswitch.orig"
mkdir -p "$work/pam.orig" && cp "$root"/etc/pam.d/common-* "$work/pam.orig/"

mkdir -p "$root/tmp/debs" && cp "$work"/debs/*.deb "$root/tmp/debs/"
if in_root sh -c 'apt-get install -y -qq /tmp/debs/*.deb' > "$work/install.log" 2>&1; then
    ok "apt-get install scimd libnss-scim libpam-scim (dependencies from the mirror)"
else
    tail -n 30 "$work/install.log" >&2
    die "installing the packages in the chroot failed"
fi

for db in passwd group shadow; do
    check "nsswitch.conf: scim on the $db line" \
        grep -qE "^$db:[^#]*[[:space:]]scim([[:space:]]|$)" "$root/etc/nsswitch.conf"
done
check "common-account runs pam_scim" grep -qE '^account.*pam_scim\.so' "$root/etc/pam.d/common-account"
check "common-session untouched (mkhomedir profile off)" \
    cmp -s "$work/pam.orig/common-session" "$root/etc/pam.d/common-session"
check "/var/lib/scimd exists, 0755 root" test "$(stat -c '%a %U' "$root/var/lib/scimd" 2>/dev/null)" = "755 root"
check "pam_scim.so where libpam looks" test -f "$root/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/security/pam_scim.so"

# Run the packaged daemon on a free loopback port (the chroot shares the host's network).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s/^#listen = 127.0.0.1:8080$/listen = 127.0.0.1:$port/" "$root/etc/scimd/scimd.conf"
check "scimd --check-config accepts the shipped configuration" in_root scimd --check-config
token=$(in_root scimctl token create chroot-test) || die "scimctl token create failed in the chroot"
bearer=$(sed -n 's/^bearer: //p' <<< "$token")
# exec all the way down, so $! is scimd itself (a backgrounded function would leave the
# daemon running after cleanup killed only the subshell).
(exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin scimd -c /etc/scimd/scimd.conf) \
    > "$work/scimd.log" 2>&1 &
scimd_pid=$!
up() {
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$scimd_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
if up; then ok "packaged scimd starts in the chroot"; else
    sed 's/^/    /' "$work/scimd.log" >&2
    die "scimd did not start in the chroot"
fi

scim() { # METHOD PATH [BODY]
    curl -fsS -X "$1" "http://127.0.0.1:$port/scim/v2$2" -H "Authorization: Bearer $bearer" \
        -H 'Content-Type: application/scim+json' ${3:+-d "$3"}
}
created=$(scim POST /Users '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"chroot.alice@example.com","active":true,"name":{"givenName":"Alice","familyName":"Chroot"}}')
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<< "$created" 2>/dev/null)
check "SCIM POST /Users accepted" test -n "$id"

resolves() {
    for _ in $(seq 1 50); do
        in_root getent passwd chroot.alice >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
check "getent passwd chroot.alice resolves in the chroot (through nsswitch.conf)" resolves
check "the user has a SCIM-range UID" \
    bash -c "uid=\$(chroot '$root' getent passwd chroot.alice | cut -d: -f3); [ \"\$uid\" -ge 1879048192 ]"
check "getent group chroot.alice (private group)" in_root getent group chroot.alice

# Debian's sshd on a free loopback port, with the stock /etc/pam.d/sshd (which includes
# common-account) and keys from a root-owned directory; a local user next to the SCIM one.
msg='account deactivated by your identity provider; contact your administrator'
unix_msg='Your account has expired'
in_root useradd -m -s /bin/sh -p '*' chroot.local || die "useradd in the chroot failed"
mkdir -p "$work/client" "$root/etc/ssh/test-keys" "$root/run/sshd"
for u in chroot.alice chroot.local; do
    ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$work/client/$u" < /dev/null || die "ssh-keygen failed"
    install -m 0644 "$work/client/$u.pub" "$root/etc/ssh/test-keys/$u"
done
alice_home=$(in_root getent passwd chroot.alice | cut -d: -f6)
[ -n "$alice_home" ] && mkdir -p "$root$alice_home" &&
    chown "$(in_root getent passwd chroot.alice | cut -d: -f3-4)" "$root$alice_home"
ssh_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '%s\n' "Port $ssh_port" 'ListenAddress 127.0.0.1' 'HostKey /etc/ssh/ssh_host_ed25519_key' \
    'PidFile /run/sshd-test.pid' 'UsePAM yes' 'AuthorizedKeysFile /etc/ssh/test-keys/%u' \
    'PubkeyAuthentication yes' 'PasswordAuthentication no' 'KbdInteractiveAuthentication no' \
    'AuthenticationMethods publickey' 'PermitRootLogin no' 'PrintMotd no' 'UseDNS no' \
    > "$root/etc/ssh/sshd_config.test"
(exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/sbin/sshd -D -e \
    -f /etc/ssh/sshd_config.test) > "$work/sshd.log" 2>&1 &
sshd_pid=$!
ssh_up() {
    for _ in $(seq 1 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $ssh_port), 1)" 2>/dev/null && return 0
        kill -0 "$sshd_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
ssh_up || { sed 's/^/    /' "$work/sshd.log" >&2; die "sshd did not start in the chroot"; }
# No LogLevel=ERROR: ssh shows the account phase's PAM message (sent as a banner) only at
# its default LogLevel INFO or above.
ssh_login() { # USER: prints the client's stderr; succeeds when the command ran as USER
    local out
    out=$(ssh -F /dev/null -p "$ssh_port" -i "$work/client/$1" -o IdentitiesOnly=yes \
        -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o ConnectTimeout=5 "$1@127.0.0.1" 'echo login-ok' \
        2> "$work/ssh.err" < /dev/null)
    cat "$work/ssh.err"
    [ "$out" = login-ok ]
}
logs_in() {
    ssh_login "$1" > /dev/null || { sed 's/^/    /' "$work/ssh.err" "$work/sshd.log" | tail -n 20 >&2; return 1; }
}
check "ssh: active SCIM user chroot.alice logs in (stock sshd + common-account)" logs_in chroot.alice
check "ssh: local user logs in" logs_in chroot.local
check "login service: active SCIM user passes the account phase" \
    in_root pamtester login chroot.alice acct_mgmt

scim PATCH "/Users/$id" '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}' > /dev/null
locked() {
    for _ in $(seq 1 50); do
        in_root getent shadow chroot.alice 2>/dev/null | cut -d: -f2 | grep -q '^!' && return 0
        sleep 0.1
    done
    return 1
}
check "deactivation locks the shadow entry (getent shadow)" locked
check "a deactivated user still resolves (files keep their owner)" in_root getent passwd chroot.alice

says_why() { # what a refusal printed: pam_scim's message and not pam_unix's
    grep -qF "$msg" <<< "$1" && ! grep -qF "$unix_msg" <<< "$1" ||
        { printf '    %s\n' "$1" >&2; return 1; }
}
refused_by_scim() {
    local err
    if err=$(ssh_login chroot.alice); then echo "    chroot.alice logged in" >&2; return 1; fi
    says_why "$err"
}
check "ssh: deactivated chroot.alice is refused with pam_scim's message" refused_by_scim
check "ssh: sshd logs the PAM account refusal" \
    grep -q 'Access denied for user chroot.alice by PAM account configuration' "$work/sshd.log"
check "ssh: local user still logs in" logs_in chroot.local
login_refused() {
    local out
    if out=$(in_root pamtester login chroot.alice acct_mgmt 2>&1); then
        echo "    pamtester login: acct_mgmt succeeded" >&2; return 1
    fi
    says_why "$out"
}
check "login service: deactivated chroot.alice refused with pam_scim's message" login_refused
su_refused() {
    local out
    if out=$(in_root su -s /bin/sh -c true chroot.alice 2>&1); then
        echo "    su succeeded" >&2; return 1
    fi
    says_why "$out"
}
check "su: deactivated chroot.alice refused with pam_scim's message" su_refused
check "login service: local user passes the account phase" in_root pamtester login chroot.local acct_mgmt
check "su: local user" in_root su -s /bin/sh -c true chroot.local
kill "$sshd_pid" 2>/dev/null
wait "$sshd_pid" 2>/dev/null
sshd_pid=

kill "$scimd_pid" 2>/dev/null
wait "$scimd_pid" 2>/dev/null
scimd_pid=

in_root apt-get remove -y -qq libnss-scim libpam-scim scimd > "$work/remove.log" 2>&1 ||
    { tail "$work/remove.log" >&2; not_ok "apt-get remove"; }
check "remove restores nsswitch.conf byte for byte" cmp "$work/nsswitch.orig" "$root/etc/nsswitch.conf"
for f in "$work"/pam.orig/common-*; do
    check "remove restores $(basename "$f") byte for byte" cmp "$f" "$root/etc/pam.d/$(basename "$f")"
done

# What an export interrupted by a crash leaves behind; purge must take it too.
: > "$root/var/lib/scimd/nss.cache.tmp.Xy12Zw"
check "before purge: the caches and the UID high-water mark exist" \
    test -s "$root/var/lib/scimd/nss.cache" -a -s "$root/var/lib/scimd/shadow.cache" -a \
    -s "$root/var/lib/scimd/uid-high-water"
in_root apt-get purge -y -qq libnss-scim libpam-scim scimd > "$work/purge.log" 2>&1 ||
    { tail "$work/purge.log" >&2; not_ok "apt-get purge"; }
check "purge keeps nsswitch.conf as it was" cmp "$work/nsswitch.orig" "$root/etc/nsswitch.conf"
check "purge removes /etc/scimd" test ! -e "$root/etc/scimd"
check "purge keeps /var/lib/scimd and its store (UID tombstones)" test -s "$root/var/lib/scimd/scimd.db"
check "purge keeps the UID high-water mark" test -s "$root/var/lib/scimd/uid-high-water"
check "purge removes the caches and export temporaries" \
    bash -c "! compgen -G '$root/var/lib/scimd/*cache*' >/dev/null"

finish
