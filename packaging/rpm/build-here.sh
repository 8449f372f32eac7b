#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds scimd's binary RPMs on Debian 12 with Debian's rpm: rpmbuild -bb --nodeps (there is
# no rpm database of the build dependencies), the Fedora macros the spec needs supplied by
# macros.debian-build, and no SELinux subpackage (Debian's refpolicy differs from Fedora's;
# tests/packaging/selinux-module.sh compiles the module on its own).
# Then runs rpmlint on the result, if installed.
#
# usage: packaging/rpm/build-here.sh [OUTDIR]     (default: a new temporary directory)
# The RPMs end up in OUTDIR/rpmbuild/RPMS/<arch>/. The source tree is not modified.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
out=${1:-$(mktemp -d /tmp/scimd-rpm.XXXXXX)}

for tool in rpmbuild meson ninja tar; do
    command -v "$tool" >/dev/null || { echo "build-here.sh: $tool not found (apt-get install rpm meson ninja-build)" >&2; exit 1; }
done

version=$(sed -n 's/^Version:[[:space:]]*//p' "$here/scimd.spec")
topdir="$out/rpmbuild"
mkdir -p "$topdir"/{SOURCES,SPECS,BUILD,BUILDROOT,RPMS,SRPMS}

# The source tarball %autosetup unpacks, named as `meson dist` names the release tarball:
# the working tree as it is, without VCS data and without anybody's build directories.
tar -C "$src" --exclude-vcs --exclude='./build*' --exclude='./debian' \
    --transform "s,^\.,scimd-$version," -cJf "$topdir/SOURCES/scimd-$version.tar.xz" .
cp "$here/no-shadow-group.conf" "$topdir/SOURCES/"
cp "$here/scimd.spec" "$topdir/SPECS/"

echo "build-here.sh: rpmbuild in $topdir" >&2
rpmbuild -bb --nodeps --without selinux \
    --load "$here/macros.debian-build" \
    --define "_topdir $topdir" \
    "$topdir/SPECS/scimd.spec"

mapfile -t rpms < <(find "$topdir/RPMS" -name '*.rpm' | sort)
[ ${#rpms[@]} -gt 0 ] || { echo "build-here.sh: rpmbuild produced no RPM" >&2; exit 1; }
printf '%s\n' "${rpms[@]}"

if command -v rpmlint >/dev/null; then
    # Checks that only make sense against Fedora's own packages and macros are filtered in
    # scimd.rpmlintrc, each with the reason.
    rpmlint -r "$here/scimd.rpmlintrc" "${rpms[@]}"
else
    echo "build-here.sh: rpmlint not installed (apt-get install rpmlint): not linted" >&2
fi
