#!/bin/bash
# SPDX-License-Identifier: MIT
# Compiles the SELinux policy module (packaging/selinux) against the reference policy's
# development files, and checks its file contexts name the installed paths.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

makefile=/usr/share/selinux/devel/Makefile
[ -f "$makefile" ] || skip "SELinux policy development files not installed (apt-get install selinux-policy-dev)"
src=$(src_root)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src"/packaging/selinux/scimd.te "$src"/packaging/selinux/scimd.if \
    "$src"/packaging/selinux/scimd.fc "$tmp/" || die "policy sources missing"

if (cd "$tmp" && make -f "$makefile" scimd.pp) > "$tmp/make.log" 2>&1 && [ -s "$tmp/scimd.pp" ]; then
    ok "scimd.pp compiles"
else
    sed 's/^/    /' "$tmp/make.log" >&2
    not_ok "scimd.pp compiles"
fi
fc=$src/packaging/selinux/scimd.fc
check "scimd.fc labels /usr/sbin/scimd" grep -q '^/usr/sbin/scimd[[:space:]].*scimd_exec_t' "$fc"
check "scimd.fc labels the NSS cache readable" grep -q '^/var/lib/scimd/nss\\\.cache.*scimd_cache_t' "$fc"
check "scimd.fc labels the shadow cache" grep -q '^/var/lib/scimd/shadow\\\.cache.*scimd_cache_t' "$fc"
check "scimd.fc keeps the store private" grep -q '^/var/lib/scimd(/\.\*)?[[:space:]].*scimd_var_lib_t' "$fc"
check "nsswitch domains may read and map the cache" \
    grep -q 'allow nsswitch_domain scimd_cache_t:file { read_file_perms map };' "$src/packaging/selinux/scimd.te"

finish
