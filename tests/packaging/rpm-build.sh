#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the RPMs with packaging/rpm/build-here.sh (Debian's rpm, rpmbuild -bb --nodeps,
# macros.debian-build), requires rpmlint to report nothing beyond the filters of
# scimd.rpmlintrc, and checks the file lists and scriptlets.
# Needs the whole tree to build: until every part does, this fails, saying so.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

command -v rpmbuild >/dev/null || die "rpmbuild not found: apt-get install rpm (scripts/deps.sh)"
src=$(src_root)
spec=$src/packaging/rpm/scimd.spec
# VERSION-RELEASE of the spec (%{?dist} is empty in macros.debian-build).
vr=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")-$(sed -n 's/^Release:[[:space:]]*//p' "$spec" | sed 's/%{?dist}//')
tmp=$(mktemp -d /tmp/scimd-rpm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "# build-here.sh $tmp"
bash "$src/packaging/rpm/build-here.sh" "$tmp" > "$tmp/build.log" 2>&1
rc=$?
rpms=$tmp/rpmbuild/RPMS/$(rpm --eval '%{_arch}')
if [ ! -f "$rpms/scimd-$vr.$(rpm --eval '%{_arch}').rpm" ]; then
    grep -v "^\[[0-9]*/[0-9]*\] " "$tmp/build.log" | tail -n 40 >&2
    die "rpmbuild failed (last lines above). The packages build the whole tree: a part that does not build yet fails this test."
fi
ok "rpmbuild -bb --nodeps (build-here.sh)"
# %check ran the unit suites through %meson_test (meson's summary, no failure).
check "%check ran the unit tests" \
    bash -c "grep -qE '^Ok:[[:space:]]+[1-9]' '$tmp/build.log' && grep -qE '^Fail:[[:space:]]+0' '$tmp/build.log' &&
             grep -qE 'scimd:(core|proto|cache|pam) / ' '$tmp/build.log'"
check "spec: URL and a release-tarball Source0 named as meson dist names it" \
    bash -c "grep -qE '^URL:[[:space:]]+https://' '$spec' && grep -qE '^Source0:[[:space:]]+%\{url\}/.*%\{name\}-%\{version\}\.tar\.xz$' '$spec'"
check "spec: no sed over the unit (a drop-in resets SupplementaryGroups=)" \
    bash -c "! grep -qE '^[[:space:]]*sed .*(SupplementaryGroups|scimd\\.service)' '$spec'"
check "source tree not written to" test ! -e "$src/debian"

if command -v rpmlint >/dev/null; then
    lint() {
        local tags
        tags=$(grep -E '^[^ ]+: [EW]: ' "$tmp/build.log")
        [ -n "$tags" ] && printf '    %s\n' "$tags"
        [ "$rc" -eq 0 ] && [ -z "$tags" ]
    }
    check "rpmlint: no error or warning beyond scimd.rpmlintrc" lint
else
    echo "# rpmlint not installed: not linted"
fi

arch=$(rpm --eval '%{_arch}')
files_of() { rpm -qlp "$rpms/$1-$vr.$arch.rpm" 2>/dev/null; }
has() { # package path...
    local pkg=$1 list missing=()
    shift
    list=$(files_of "$pkg")
    for p in "$@"; do grep -qxF -- "$p" <<< "$list" || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] || { echo "    $pkg lacks: ${missing[*]}" >&2; return 1; }
}
check "scimd: LICENSE, bash completions" has scimd /usr/share/licenses/scimd/LICENSE \
    /usr/share/bash-completion/completions/scimctl /usr/share/bash-completion/completions/scimd
check "scimd: daemon, scimctl, units, config, state dir, man pages" has scimd \
    /usr/sbin/scimd /usr/bin/scimctl /usr/lib/systemd/system/scimd.service \
    /usr/lib/systemd/system/scimd.socket /etc/scimd/scimd.conf /etc/scimd/scimd.conf.d /var/lib/scimd \
    /usr/share/man/man8/scimd.8.gz /usr/share/man/man8/scimctl.8.gz \
    /usr/share/man/man5/scimd.conf.5.gz
check "nss-scim: libnss_scim.so.2 in %{_libdir}" has nss-scim /usr/lib64/libnss_scim.so.2
check "pam-scim: pam_scim.so and the authselect profile" has pam-scim \
    /usr/lib64/security/pam_scim.so /usr/share/authselect/vendor/scim/system-auth \
    /usr/share/authselect/vendor/scim/password-auth /usr/share/authselect/vendor/scim/nsswitch.conf \
    /usr/share/authselect/vendor/scim/README
check "pam-scim: scim-sssd-profile (custom/sssd-scim from the host's sssd profile), LICENSE" has pam-scim \
    /usr/libexec/scimd/scim-sssd-profile /usr/share/licenses/pam-scim/LICENSE
check "pam-scim: no vendored profile of another project, License: MIT" \
    bash -c "! rpm -qlp '$rpms/pam-scim-$vr.$arch.rpm' | grep -qE 'sssd-scim|COPYING' &&
             [ \"\$(rpm -qp --qf '%{LICENSE}' '$rpms/pam-scim-$vr.$arch.rpm')\" = MIT ]"
check "no Debian-only files (pam-configs, AppArmor)" \
    bash -c "! { for p in scimd nss-scim pam-scim; do rpm -qlp '$rpms/'\$p-$vr.$arch.rpm; done; } | grep -E 'pam-configs|apparmor'"
check "scimd.conf is %config(noreplace)" \
    bash -c "rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$rpms/scimd-$vr.$arch.rpm' | grep -qx 'cn /etc/scimd/scimd.conf'"
# The unit as shipped asks for the shadow group; the drop-in's empty assignment resets it.
check "Fedora unit asks for no shadow group (drop-in resets SupplementaryGroups=)" \
    bash -c "cd '$tmp' && rpm2cpio '$rpms/scimd-$vr.$arch.rpm' | cpio -i --quiet --to-stdout ./usr/lib/systemd/system/scimd.service.d/no-shadow-group.conf | grep -qx 'SupplementaryGroups='"
scripts=$(rpm -qp --scripts "$rpms/scimd-$vr.$arch.rpm")
check "scriptlets enable the socket, restart on upgrade" \
    bash -c "grep -q 'enable scimd.socket scimd.service' <<< \"\$1\" && grep -q 'try-restart scimd.service' <<< \"\$1\"" _ "$scripts"
check "no scriptlet removes /var/lib/scimd or the store" \
    bash -c "! grep -E '(rm -[a-zA-Z]*[rR]|rmdir).*/var/lib/scimd|rm .*/var/lib/scimd/(\\*|scimd\\.db|uid-high-water)' <<< \"\$1\"" _ "$scripts"
check "erase removes the exported caches" \
    bash -c "grep -qE 'rm -f /var/lib/scimd/nss.cache /var/lib/scimd/shadow.cache' <<< \"\$1\"" _ "$scripts"
check "pam-scim requires nss-scim of the same build" \
    bash -c "rpm -qp --requires '$rpms/pam-scim-$vr.$arch.rpm' | grep -q '^nss-scim(.*) = $vr'"

finish
