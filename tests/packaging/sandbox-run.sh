#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs the real scimd the way scimd.service and scimd.socket run it, as far as that is
# possible without systemd as PID 1: the listening socket passed in by
# systemd-socket-activate, an empty network namespace (PrivateNetwork=yes), a read-only
# file system except the state directory (ProtectSystem=strict + StateDirectory=), uid 0
# with an EMPTY capability bounding set, no_new_privs and the supplementary group shadow
# (CapabilityBoundingSet=, NoNewPrivileges=yes, SupplementaryGroups=shadow), the unit's
# UMask= and its system call filter (SystemCallFilter=, applied by unit-seccomp-exec.py).
# Then a SCIM client creates a user through the socket, and the exported caches must have
# the owners and modes the NSS module and unix_chkpwd need.
# usage: sandbox-run.sh SCIMD SCIMCTL NSS_MODULE_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

scimd=${1:-} scimctl=${2:-} nssdir=${3:-}
[ -x "$scimd" ] && [ -x "$scimctl" ] || die "usage: $0 SCIMD SCIMCTL NSS_MODULE_DIR"
[ "$(id -u)" -eq 0 ] || skip "needs root (uid 0 without capabilities is what is tested)"
for tool in systemd-socket-activate unshare setpriv curl python3; do
    command -v "$tool" >/dev/null || skip "$tool not installed"
done
getent group shadow >/dev/null || skip "no shadow group on this system"

tmp=$(mktemp -d /tmp/scimd-sandbox.XXXXXX)
chmod 0755 "$tmp"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

state=$tmp/state
mkdir -m 0755 "$state"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$tmp/scimd.conf" <<CONF
[server]
listen = 127.0.0.1:$port
[store]
database = $state/scimd.db
[cache]
path = $state/nss.cache
shadow_path = $state/shadow.cache
nonstandard_path_ok = true
export_delay = 10
invalidate_nscd = false
CONF

# The chain keeps one pid, so LISTEN_PID stays right: systemd-socket-activate binds the
# port in the host namespace; unshare gives scimd an empty network namespace and a private
# mount namespace with / read-only but the state directory; setpriv drops every
# capability but CAP_AUDIT_WRITE for good (bounding set), sets no_new_privs and the groups.
shadow_gid=$(getent group shadow | cut -d: -f3)
unit_umask=$(sed -n 's/^UMask=//p' "$(src_root)/packaging/systemd/scimd.service")
[ -n "$unit_umask" ] || die "scimd.service sets no UMask="
systemd-socket-activate -l "127.0.0.1:$port" \
    unshare --net --mount --propagation private \
    bash -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro / && mount -o remount,bind,rw "$1" &&
             umask "$5" && exec setpriv --reuid=0 --regid=0 --groups="$2" \
                 --bounding-set=-all,+audit_write --inh-caps=-all --ambient-caps=-all --no-new-privs \
                 python3 "$6" "$7" "$3" -c "$4"' \
        _ "$state" "$shadow_gid" "$scimd" "$tmp/scimd.conf" "$unit_umask" \
        "$(dirname "$0")/unit-seccomp-exec.py" "$(src_root)/packaging/systemd/scimd.service" \
    > "$tmp/scimd.log" 2>&1 &
pid=$!

url=http://127.0.0.1:$port/scim/v2
up() {
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
if ! up; then
    sed 's/^/    /' "$tmp/scimd.log" >&2
    die "scimd did not come up in the sandbox (log above)"
fi
ok "scimd serves through the passed socket from an empty network namespace"

# The admin creates the token while scimd runs (as after the package's postinst started
# it); scimd sees the new token at the next request.
token=$(umask 0022 && "$scimctl" -c "$tmp/scimd.conf" token create sandbox-test) || die "scimctl token create failed"
bearer=$(sed -n 's/^bearer: //p' <<< "$token")
[ -n "$bearer" ] || die "scimctl printed no bearer value"

# systemd-socket-activate execs scimd in its own process once the socket is readable.
check "the socket-activated process is scimd" test "$(cat "/proc/$pid/comm" 2>/dev/null)" = scimd
caps=$(grep -E '^Cap(Prm|Eff|Bnd|Amb):' "/proc/$pid/status" 2>/dev/null)
# CAP_AUDIT_WRITE is bit 29 (0x20000000): the unit's only capability, in effect, none ambient.
check "scimd's only capability is CAP_AUDIT_WRITE" \
    bash -c "grep -q . <<< \"\$1\" && ! grep -vE '^CapAmb:[[:space:]]+0+$|:[[:space:]]+0*20000000$' <<< \"\$1\" | grep -q ." _ "$caps"

create() {
    curl -fsS -o "$tmp/created.json" -w '%{http_code}' -X POST "$url/Users" \
        -H "Authorization: Bearer $bearer" -H 'Content-Type: application/scim+json' \
        -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
             "userName":"sandbox.user@example.com","active":true,
             "name":{"givenName":"Sandbox","familyName":"User"}}' | grep -qx 201
}
check "POST /Users through the socket: 201" create

exported() {
    for _ in $(seq 1 100); do
        [ -f "$state/nss.cache" ] && [ -f "$state/shadow.cache" ] &&
            SCIM_NSS_CACHE=$state/nss.cache LD_LIBRARY_PATH=$nssdir \
            getent -s scim passwd sandbox.user >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    sed 's/^/    /' "$tmp/scimd.log" >&2
    return 1
}
check "caches exported without capabilities; getent -s scim resolves the user" exported
check "nss.cache is root:root 0644" test "$(stat -c '%U:%G %a' "$state/nss.cache" 2>/dev/null)" = "root:root 644"
check "shadow.cache is root:shadow 0640" test "$(stat -c '%U:%G %a' "$state/shadow.cache" 2>/dev/null)" = "root:shadow 640"
# The database holds the token HMAC secret and the password hashes synced from the IdP.
for f in "$state"/scimd.db "$state"/scimd.db-wal "$state"/scimd.db-shm; do
    [ -e "$f" ] || continue
    check "$(basename "$f") (created under the unit's umask) is private" \
        bash -c "[ \$(( 0\$(stat -c %a '$f') & 077 )) -eq 0 ]"
done

# Audit records reach the kernel from the empty network namespace (the audit socket exists in
# every one); a sandbox that withheld CAP_AUDIT_WRITE or AF_NETLINK would be logged.
check "scimd logs no lost audit records" \
    bash -c "! grep -E 'audit: (the kernel refuses|scimd may not open|cannot open|sending)' '$tmp/scimd.log'"

kill -TERM "$pid" 2>/dev/null
stopped() { for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done; return 1; }
check "scimd exits on SIGTERM" stopped
wait "$pid" 2>/dev/null
check "scimd exit status 0" test $? -eq 0
pid=

finish
