#!/bin/bash
# SPDX-License-Identifier: MIT
# Installs every Debian 12 package scimd needs to build, test, package and benchmark.
# Safe to re-run; prevents package installs from starting a system sshd (policy-rc.d).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    exec sudo -E bash "$0" "$@"
fi

export DEBIAN_FRONTEND=noninteractive

build_deps=(meson ninja-build pkg-config gcc clang lld libclang-rt-14-dev
            libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3 libcrypt-dev
            libpam0g-dev libsystemd-dev libcmocka-dev nettle-dev libaudit-dev
            libsodium-dev libcurl4-openssl-dev zlib1g-dev libpq-dev)
test_deps=(curl pamtester openssh-server openssh-client valgrind util-linux
           systemd python3 iproute2 procps
           debhelper dh-nss lintian devscripts fakeroot build-essential file
           rpm rpmlint selinux-policy-dev checkpolicy debootstrap
           # initdb and pg_ctl for the PostgreSQL store tests' throw-away clusters
           # (tests/integration/harness/pgcluster.py); policy-rc.d keeps the packaged one down
           postgresql)

missing=()
for p in "${build_deps[@]}" "${test_deps[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Keep maintainer scripts from starting daemons (a system sshd on port 22) during install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 0755 "$policy"
    created_policy=1
fi
trap '[ $created_policy -eq 1 ] && rm -f "$policy"' EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
