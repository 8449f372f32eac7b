#!/bin/bash
# SPDX-License-Identifier: MIT
# The pam-auth-update profiles of libpam-scim, applied by the real pam-auth-update to
# copies of /etc/pam.d, /var/lib/pam and the debconf database in a private mount
# namespace (the host's files are never written): `--package` adds the pam_scim account
# line and nothing else, `--enable scim-mkhomedir` adds pam_mkhomedir, and
# `--package --remove scim scim-mkhomedir` restores every common-* file byte for byte.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

if [ "${SCIM_PAM_PROFILE_NS:-}" != 1 ]; then
    command -v pam-auth-update >/dev/null || skip "pam-auth-update not installed (libpam-runtime)"
    [ "$(id -u)" -eq 0 ] || skip "needs root for a private mount namespace"
    command -v unshare >/dev/null || skip "unshare not installed"
    exec env SCIM_PAM_PROFILE_NS=1 unshare --mount --propagation private bash "$0" "$@"
fi

src=$(src_root)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Private copies over the host's directories, for this namespace only.
for d in /etc/pam.d /var/lib/pam /usr/share/pam-configs /var/cache/debconf; do
    mkdir -p "$tmp/copy$d"
    [ -d "$d" ] && cp -a "$d/." "$tmp/copy$d/"
    mkdir -p "$d"
    mount --bind "$tmp/copy$d" "$d" || die "cannot bind-mount over $d"
done
export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true

# A pristine starting point from the stock profiles (the host's may have local edits).
pam-auth-update --force --package > /dev/null 2>&1 || die "pam-auth-update --force failed"
mkdir -p "$tmp/before"
cp /etc/pam.d/common-* "$tmp/before/"

install -m 0644 "$src/packaging/pam-configs/scim" "$src/packaging/pam-configs/scim-mkhomedir" \
    /usr/share/pam-configs/ || die "profiles not found"

check "pam-auth-update --package succeeds" pam-auth-update --package
check "common-account gains the pam_scim line" \
    grep -qE '^account[[:space:]]+\[success=ok new_authtok_reqd=ok ignore=ignore user_unknown=ignore default=die\][[:space:]]+pam_scim\.so[[:space:]]*$' \
    /etc/pam.d/common-account
# pam_scim decides first: a deactivated SCIM user is refused with pam_scim's message
# (default=die) before pam_unix could refuse the expired shadow entry with its own, and a
# user pam_scim does not manage (PAM_IGNORE) goes on to pam_unix as before.
order() {
    awk '/^account.*pam_scim\.so/ { s = NR } /^account.*pam_unix\.so/ { u = NR }
         /^account.*pam_deny\.so/ { d = NR } END { exit !(s && u && s < u && u < d) }' /etc/pam.d/common-account
}
check "pam_scim runs before pam_unix, in the primary account block" order
# pam_unix's success=N must still jump over pam_deny exactly (pam-auth-update counts the
# primary lines), so a user pam_unix accepts lands on pam_permit, not pam_deny.
jump_lands() {
    awk '/^account/ { k++; line[k] = $0 }
         /^account.*pam_unix\.so/ { match($0, /success=[0-9]+/); n = substr($0, RSTART + 8, RLENGTH - 8); u = k }
         END { exit !(u && line[u + n + 1] ~ /pam_permit\.so/) }' /etc/pam.d/common-account
}
check "pam_unix's success jump lands on pam_permit" jump_lands
check "scim-mkhomedir is off by default (common-session unchanged)" \
    cmp -s "$tmp/before/common-session" /etc/pam.d/common-session
for f in common-auth common-password; do
    check "$f unchanged" cmp -s "$tmp/before/$f" "/etc/pam.d/$f"
done

check "pam-auth-update --enable scim-mkhomedir succeeds" pam-auth-update --enable scim-mkhomedir
check "common-session gains pam_mkhomedir with umask 0077" \
    grep -qE '^session[[:space:]]+optional[[:space:]]+pam_mkhomedir\.so umask=0077[[:space:]]*$' /etc/pam.d/common-session

check "pam-auth-update --package --remove scim scim-mkhomedir succeeds" \
    pam-auth-update --package --remove scim scim-mkhomedir
rm -f /usr/share/pam-configs/scim /usr/share/pam-configs/scim-mkhomedir
for f in "$tmp"/before/common-*; do
    n=$(basename "$f")
    check "$n restored byte for byte" cmp "$f" "/etc/pam.d/$n"
done

finish
