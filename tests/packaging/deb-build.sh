#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the Debian packages from a copy of the tree exactly as CONVENTIONS.md says
# (cp -r packaging/debian debian && dpkg-buildpackage -us -uc -b), runs
# `lintian -I --pedantic` on them (overrides must carry their reasons), and checks what
# they contain and what their maintainer scripts do to nsswitch.conf - run against a
# scratch DPKG_ROOT, never the host's /etc.
# Needs the whole tree to build: until every part does, this fails, saying so.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

for tool in dpkg-buildpackage dh dh_installnss lintian dpkg-deb; do
    command -v "$tool" >/dev/null || die "$tool not found: apt-get install debhelper dh-nss lintian (scripts/deps.sh)"
done
src=$(src_root)
tmp=$(mktemp -d /tmp/scimd-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

copy_tree "$tmp/scimd" || die "cannot copy the source tree"
cp -r "$tmp/scimd/packaging/debian" "$tmp/scimd/debian"

echo "# dpkg-buildpackage in $tmp/scimd (log: build.log)"
if ! (cd "$tmp/scimd" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1; then
    grep -v "^\[[0-9]*/[0-9]*\] " "$tmp/build.log" | tail -n 40 >&2
    die "dpkg-buildpackage failed (last lines above). The packages build the whole tree: a part that does not build yet fails this test."
fi
ok "dpkg-buildpackage -us -uc -b"
check "the source tree was not written to" test ! -e "$src/debian"

version=$(cd "$tmp/scimd" && dpkg-parsechangelog -S Version)
changes=$tmp/scimd_${version}_${arch}.changes
deb() { echo "$tmp/${1}_${version}_${arch}.deb"; }
for p in scimd libnss-scim libpam-scim; do
    check "$p .deb built" test -f "$(deb "$p")"
done
[ -f "$changes" ] || die "no .changes file $changes"

lint() {
    local rc out
    lintian -I --pedantic --fail-on error,warning,info,pedantic "$changes" > "$tmp/lintian.out" 2>&1
    rc=$?
    out=$(grep -v '^running with root privileges is not recommended' "$tmp/lintian.out")
    [ -n "$out" ] && printf '    %s\n' "$out"
    [ "$rc" -eq 0 ] && [ -z "$out" ]
}
check "lintian -I --pedantic: no tag left (overrides justified in debian/*.lintian-overrides)" lint

# What each package ships.
contains() { # package path... (documentation may be gzipped by dh_compress)
    local pkg=$1 list missing=()
    shift
    list=$(dpkg-deb -c "$(deb "$pkg")" | awk '{ print $6 }' | sed 's|^\./|/|')
    for p in "$@"; do
        grep -qxF -- "$p" <<< "$list" || grep -qxF -- "$p.gz" <<< "$list" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] || { echo "    $pkg lacks: ${missing[*]}" >&2; return 1; }
}
lacks() { # package path-regex
    ! dpkg-deb -c "$(deb "$1")" | awk '{ print $6 }' | sed 's|^\./|/|' | grep -qE -- "$2"
}
check "scimd ships daemon, scimctl, units, config, man pages" contains scimd \
    /usr/sbin/scimd /usr/bin/scimctl /lib/systemd/system/scimd.service \
    /lib/systemd/system/scimd.socket /etc/scimd/scimd.conf /etc/scimd/scimd.conf.d/ \
    /usr/share/man/man8/scimd.8.gz /usr/share/man/man8/scimctl.8.gz \
    /usr/share/man/man5/scimd.conf.5.gz /usr/share/doc/scimd/README.Debian \
    /usr/share/doc/scimd/examples/terminate-sessions.conf \
    /usr/share/doc/scimd/examples/outbound-network.conf
check "scimd ships the guides" contains scimd \
    /usr/share/doc/scimd/okta.md /usr/share/doc/scimd/entra-id.md \
    /usr/share/doc/scimd/onelogin.md
check "scimd ships the documents README.md links to" contains scimd \
    /usr/share/doc/scimd/SECURITY.md /usr/share/doc/scimd/cache-format.md \
    /usr/share/doc/scimd/operations.md /usr/share/doc/scimd/troubleshooting.md \
    /usr/share/doc/scimd/architecture.md /usr/share/doc/scimd/pam_scim/README.md
# The guides link to each other by file name (operations.md#tls): a .md.gz breaks that.
check "no document is compressed to .md.gz" lacks scimd '\.md\.gz$'
check "scimd ships the bash completions" contains scimd \
    /usr/share/bash-completion/completions/scimctl /usr/share/bash-completion/completions/scimd
check "scimd suggests sqlite3 (backups)" \
    bash -c "dpkg-deb -f '$(deb scimd)' Suggests | grep -qw sqlite3"
check "scimd does not own /var/lib/scimd (dpkg must never remove it)" lacks scimd '^/var/lib/scimd'
check "libnss-scim ships the module in the multiarch libdir, AppArmor snippets" contains libnss-scim \
    "/usr/lib/$multiarch/libnss_scim.so.2" \
    /etc/apparmor.d/abstractions/nameservice.d/scim \
    /etc/apparmor.d/abstractions/authentication.d/scim /usr/share/man/man8/nss_scim.8.gz
check "libpam-scim ships the module in the PAM module dir, pam-auth-update profiles" contains libpam-scim \
    "/lib/$multiarch/security/pam_scim.so" /usr/share/pam-configs/scim \
    /usr/share/pam-configs/scim-mkhomedir /usr/share/man/man8/pam_scim.8.gz
no_authselect() { local p; for p in scimd libnss-scim libpam-scim; do lacks "$p" '/authselect/|scim-sssd-profile' || return 1; done; }
check "no authselect profile or scim-sssd-profile in the Debian packages" no_authselect
check "scimd.conf is a conffile" \
    bash -c "dpkg-deb -I '$(deb scimd)' conffiles | grep -qx /etc/scimd/scimd.conf"

# Maintainer scripts.
for p in scimd libnss-scim libpam-scim; do
    mkdir -p "$tmp/ctl/$p"
    dpkg-deb -e "$(deb "$p")" "$tmp/ctl/$p"
done
check "libpam-scim postinst runs pam-auth-update --package" \
    grep -q '^[[:space:]]*pam-auth-update --package$' "$tmp/ctl/libpam-scim/postinst"
check "libpam-scim prerm removes both profiles" \
    grep -q 'pam-auth-update --package --remove scim scim-mkhomedir' "$tmp/ctl/libpam-scim/prerm"
check "scimd postrm never deletes /var/lib/scimd or the store" \
    bash -c "! grep -E '(rm -[a-zA-Z]*[rR]|rmdir).*/var/lib/scimd|rm .*/var/lib/scimd/(\\*|scimd\\.db|uid-high-water)' '$tmp/ctl/scimd/postrm'"
# Purge in a private mount namespace (tmpfs over /var/lib and /run/systemd, so neither
# the host's state nor its systemd sees it): the caches and an interrupted export's
# temporary files go, the store, its backups and the UID high-water mark stay.
purge_state() {
    unshare --mount --propagation private sh -c '
        mount -t tmpfs tmpfs /var/lib && { [ ! -d /run/systemd ] || mount -t tmpfs tmpfs /run/systemd; } &&
        mkdir -m 0755 /var/lib/scimd && cd /var/lib/scimd &&
        touch scimd.db scimd.db-wal scimd.db.bak-v2 uid-high-water uid-high-water.tmp \
            nss.cache shadow.cache nss.cache.tmp.Ab12Cd shadow.cache.tmp.Ef34Gh &&
        DPKG_MAINTSCRIPT_PACKAGE=scimd DPKG_MAINTSCRIPT_NAME=postrm sh "$1" purge >/dev/null 2>&1 &&
        LC_ALL=C ls -A /var/lib/scimd' _ "$tmp/ctl/scimd/postrm"
}
left=$(purge_state | tr '\n' ' ')
check "scimd postrm purge keeps the store and the UID high-water mark, removes the caches" \
    test "$left" = "scimd.db scimd.db-wal scimd.db.bak-v2 uid-high-water uid-high-water.tmp "
[ "$left" = "scimd.db scimd.db-wal scimd.db.bak-v2 uid-high-water uid-high-water.tmp " ] ||
    echo "    left in /var/lib/scimd: ${left:-(nothing, or postrm failed)}" >&2
check "scimd postinst creates /var/lib/scimd" \
    grep -q 'install -d -m 0755 -o root -g root /var/lib/scimd' "$tmp/ctl/scimd/postinst"
check "scimd enables and starts scimd.socket" grep -q "scimd.socket" "$tmp/ctl/scimd/postinst"

# dh_installnss's scripts against scratch roots: Debian's stock nsswitch.conf and one with
# systemd already in place. Install adds scim once; remove and purge restore the file
# byte for byte.
nss_case() { # name exact|blanks file-content
    local root=$tmp/nss-$1 ctl=$tmp/ctl/libnss-scim how=$2
    shift
    mkdir -p "$root/etc"
    printf '%s' "$2" > "$root/etc/nsswitch.conf"
    cp "$root/etc/nsswitch.conf" "$root/orig"
    export DPKG_ROOT=$root DPKG_MAINTSCRIPT_PACKAGE=libnss-scim DPKG_MAINTSCRIPT_NAME=postinst
    sh "$ctl/preinst" install || return 1
    sh "$ctl/postinst" configure || return 1
    # scim exactly once, last before any comment, on passwd, group and shadow; the other
    # lines untouched.
    local db n
    for db in passwd group shadow; do
        n=$(grep -E "^$db:" "$root/etc/nsswitch.conf" | grep -oE '[[:space:]]scim([[:space:]]|$)' | wc -l)
        grep -qE "^$db:[^#]*[[:space:]]scim[[:space:]]*(#.*)?$" "$root/etc/nsswitch.conf" && [ "$n" -eq 1 ] ||
            { echo "    after install ($db):" >&2; sed 's/^/      /' "$root/etc/nsswitch.conf" >&2; return 1; }
    done
    cmp -s <(grep -vE '^(passwd|group|shadow):' "$root/orig") \
        <(grep -vE '^(passwd|group|shadow):' "$root/etc/nsswitch.conf") ||
        { echo "    install changed other lines" >&2; return 1; }
    cp "$root/etc/nsswitch.conf" "$root/installed"
    # Reconfiguring (upgrade) adds nothing twice.
    sh "$ctl/postinst" configure 0.0.9 || return 1
    cmp -s "$root/installed" "$root/etc/nsswitch.conf" || { echo "    reconfigure changed it" >&2; return 1; }
    # same FILE: byte for byte, or (how=blanks) up to runs of blanks.
    same() {
        if [ "$how" = exact ]; then
            cmp -s "$root/orig" "$1"
        else
            cmp -s <(tr -s ' \t' ' ' < "$root/orig") <(tr -s ' \t' ' ' < "$1")
        fi || { diff "$root/orig" "$1" | sed 's/^/      /' >&2; return 1; }
    }
    DPKG_MAINTSCRIPT_PACKAGE_INSTCOUNT=0 DPKG_MAINTSCRIPT_NAME=postrm sh "$ctl/postrm" remove || return 1
    same "$root/etc/nsswitch.conf" || { echo "    remove did not restore it" >&2; return 1; }
    DPKG_MAINTSCRIPT_PACKAGE_INSTCOUNT=0 DPKG_MAINTSCRIPT_NAME=postrm sh "$ctl/postrm" purge || return 1
    same "$root/etc/nsswitch.conf" || { echo "    purge changed it" >&2; return 1; }
    unset DPKG_ROOT DPKG_MAINTSCRIPT_PACKAGE DPKG_MAINTSCRIPT_NAME
}
stock=/usr/share/base-files/nsswitch.conf
[ -f "$stock" ] || stock=/etc/nsswitch.conf
check "nsswitch.conf (Debian default): install adds scim, remove/purge restore it byte for byte" \
    nss_case stock exact "$(cat "$stock")"$'\n'
check "nsswitch.conf with systemd and sssd: install adds scim last, remove/purge restore it byte for byte" \
    nss_case sssd exact $'# local edits\npasswd:         files systemd sss\ngroup:          files [SUCCESS=merge] systemd sss\nshadow:         files sss\ngshadow:        files\nhosts:          files dns\n'
# dh_installnss limitation: with a comment after the services, removal leaves one blank
# more before the comment (documented in operations.md).
check "nsswitch.conf with a trailing comment: remove/purge restore it up to blanks" \
    nss_case comment blanks $'passwd:         files systemd\ngroup:          files systemd # merged\nshadow:         files\n'

# Hardening of what dpkg-buildpackage built (DEB_BUILD_MAINT_OPTIONS=hardening=+all).
if command -v hardening-check >/dev/null; then
    mkdir -p "$tmp/x"
    for p in scimd libnss-scim libpam-scim; do dpkg-deb -x "$(deb "$p")" "$tmp/x"; done
    for f in usr/sbin/scimd usr/bin/scimctl "usr/lib/$multiarch/libnss_scim.so.2" \
        "lib/$multiarch/security/pam_scim.so"; do
        # PIE, stack protector, fortify, RELRO, BIND_NOW. Control-flow protection is not
        # part of Debian 12's hardening=+all on amd64; stack clash is reported "unknown".
        check "hardening-check $f" hardening-check --quiet --nocfprotection "$tmp/x/$f"
    done
fi

finish
