#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs lookup_bench against one NSS module inside a private mount namespace, so the
# host's /etc/nsswitch.conf, /etc/passwd and /etc/group are never touched:
#   run_module.sh MODULE DATADIR N ROUNDS ROUND_MS BENCH_BIN_DIR SCIM_LIB_DIR
# MODULE: scim | files | cache | extrausers | null. DATADIR: what gen_nss_data wrote.
# Prints lookup_bench's lines (tab-separated).
set -euo pipefail
module=$1 data=$2 n=$3 rounds=$4 round_ms=$5 bindir=$6 scimlib=$7

if [ "${BENCH_IN_NS:-}" != 1 ]; then
    exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
fi

etc=$(mktemp -d /tmp/bench-nss-etc.XXXXXX)
trap 'rm -rf "$etc"' EXIT
# A private copy of /etc (without secrets) lets every module find its files at the fixed
# paths it hard-codes (/etc/passwd.cache has no override), whatever the host has. With
# ETC_BASE (such a copy made once), hard links make it cheap; files we change are replaced,
# never written through a link.
if [ -n "${ETC_BASE:-}" ]; then
    cp -al "$ETC_BASE/." "$etc/"
else
    cp -a /etc/. "$etc/" 2>/dev/null || true
fi
rm -f "$etc"/shadow* "$etc"/gshadow* "$etc/nsswitch.conf" "$etc/passwd" "$etc/group"
cp -a /etc/passwd /etc/group "$etc/"
printf 'passwd: %s\ngroup: %s\nshadow: files\nhosts: files\n' "$module" "$module" \
    > "$etc/nsswitch.conf"
case $module in
files)
    rm -f "$etc/passwd" "$etc/group"
    cp -a "$data/files/passwd" "$data/files/group" "$etc/" ;;
cache)
    cp -a "$data/cache/." "$etc/" ;;
extrausers)
    mount --bind "$data/extrausers" /var/lib/extrausers ;;
esac
mount --bind "$etc" /etc
# No nscd answers in our place.
if [ -d /run/nscd ]; then
    mount -t tmpfs tmpfs /run/nscd
fi
export SCIM_NSS_CACHE="$data/scim/nss.cache" SCIM_SHADOW_CACHE="$data/scim/shadow.cache"
export LD_LIBRARY_PATH="$bindir:$scimlib"
"$bindir/lookup_bench" "$n" "$rounds" "$round_ms"
