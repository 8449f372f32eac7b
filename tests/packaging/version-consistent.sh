#!/bin/bash
# SPDX-License-Identifier: MIT
# One version, one place: meson.build's project() version is the release. The rpm spec's
# Version: and its newest %changelog entry, debian/changelog's newest entry (upstream
# part), the manual pages' .TH footers and the SELinux module agree with it, and
# `scimd --version` and `scimctl --version` print it.
# usage: version-consistent.sh [SCIMD [SCIMCTL]]
set -uo pipefail
. "$(dirname "$0")/lib.sh"

src=$(src_root)
scimd=${1:-} scimctl=${2:-}

if command -v meson >/dev/null; then
    version=$(meson introspect --projectinfo "$src/meson.build" 2>/dev/null |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])' 2>/dev/null)
fi
# Without meson (or python3): the literal in project().
[ -n "${version:-}" ] ||
    version=$(sed -n "0,/^project(/d; s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" \
        "$src/meson.build" | head -n 1)
[ -n "$version" ] || die "no version in meson.build's project()"
echo "# meson.build: $version"

same() { # WHAT FOUND
    [ "$2" = "$version" ] && return 0
    echo "    $1 says '$2', meson.build says '$version'" >&2
    return 1
}

spec=$src/packaging/rpm/scimd.spec
check "rpm spec Version:" same Version: "$(sed -n 's/^Version:[[:space:]]*//p' "$spec")"
# The newest %changelog entry ends in VERSION-RELEASE.
top=$(sed -n '/^%changelog/,$ { /^\* /{ s/.* - \([^ ]*\)$/\1/p; q } }' "$spec")
check "rpm spec newest %changelog entry" same "%changelog ($top)" "${top%-*}"

changelog=$src/packaging/debian/changelog
if command -v dpkg-parsechangelog >/dev/null; then
    deb=$(dpkg-parsechangelog -l "$changelog" -S Version)
else
    deb=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$changelog")
fi
upstream=${deb#*:}     # no epoch
upstream=${upstream%-*} # no Debian revision (a native package has none)
check "debian/changelog newest entry" same "debian/changelog ($deb)" "$upstream"

for man in "$src"/docs/man/*.[0-9]; do
    th=$(sed -n 's/^\.TH .* "scimd \([^"]*\)".*/\1/p' "$man" | head -n 1)
    check "$(basename "$man"): .TH footer" same "$(basename "$man")" "$th"
done
check "SELinux policy_module version" same scimd.te \
    "$(sed -n 's/^policy_module(scimd, *\([^)]*\)).*/\1/p' "$src/packaging/selinux/scimd.te")"

prints() { # PROGRAM
    local out
    out=$("$1" --version 2>&1)
    [ "$out" = "$(basename "$1") $version" ] && return 0
    echo "    $1 --version printed '$out'" >&2
    return 1
}
if [ -n "$scimd" ]; then check "scimd --version prints $version" prints "$scimd"; fi
if [ -n "$scimctl" ]; then check "scimctl --version prints $version" prints "$scimctl"; fi

finish
