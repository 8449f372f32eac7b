#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs a command in a private mount namespace whose /etc (a copy, the host's is never
# touched) resolves users through nss_scim and has /etc/pam.d/scimbench with pam_scim.so:
#   in_namespace.sh NSS_CACHE SHADOW_CACHE SCIM_LIB_DIR PAM_SCIM_SO COMMAND...
set -euo pipefail
if [ "${BENCH_IN_NS:-}" != 1 ]; then
    exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
fi
cache=$1 shadow=$2 scimlib=$3 pam_so=$4
shift 4
etc=$(mktemp -d /tmp/bench-e2e-etc.XXXXXX)
trap 'rm -rf "$etc"' EXIT
cp -a /etc/. "$etc/" 2>/dev/null || true
printf 'passwd: files scim\ngroup: files scim\nshadow: files scim\nhosts: files\n' \
    > "$etc/nsswitch.conf"
uid_min=1879048192 uid_max=1880096767
printf 'auth required pam_permit.so\naccount required %s cache=%s uid_min=%s uid_max=%s\n' \
    "$pam_so" "$cache" "$uid_min" "$uid_max" > "$etc/pam.d/scimbench"
mount --bind "$etc" /etc
if [ -d /run/nscd ]; then
    mount -t tmpfs tmpfs /run/nscd
fi
export SCIM_NSS_CACHE="$cache" SCIM_SHADOW_CACHE="$shadow" LD_LIBRARY_PATH="$scimlib"
"$@"
