#!/bin/sh
# SPDX-License-Identifier: MIT
# sshd runs scim-authorized-keys on every key login: it must stay a small libc-only program
# (no SQLite, jansson or libmicrohttpd, which only scimd and scimctl need). TAP output.
# Usage: authorized_keys_libs.sh PROGRAM (default: $SCIM_AUTHORIZED_KEYS)
prog=${1:-$SCIM_AUTHORIZED_KEYS}
echo "1..2"
if ! libs=$(ldd "$prog" 2>&1); then
    echo "not ok 1 - ldd $prog: $libs"
    echo "not ok 2 - # SKIP no ldd output"
    exit 1
fi
echo "ok 1 - ldd $prog"
bad=$(printf '%s\n' "$libs" | grep -E 'libsqlite3|libjansson|libmicrohttpd')
if [ -n "$bad" ]; then
    echo "not ok 2 - $prog links what sshd's helper must not:"
    printf '%s\n' "$bad" | sed 's/^/# /'
    exit 1
fi
echo "ok 2 - $prog links none of libsqlite3, libjansson, libmicrohttpd"
