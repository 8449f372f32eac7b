#!/bin/bash
# SPDX-License-Identifier: MIT
# The manual pages render without groff warnings, describe every scimctl command and
# scimd/pam_scim option the code has, and the guides' links between each other resolve.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

command -v groff >/dev/null || skip "groff not installed"
src=$(src_root)
man=$src/docs/man

for page in scimd.8 scimctl.8 nss_scim.8 pam_scim.8 scimd.conf.5; do
    f=$man/$page
    if [ ! -f "$f" ]; then
        not_ok "$page exists"
        continue
    fi
    warnings() {
        local w
        w=$(LC_ALL=C.UTF-8 groff -man -ww -z -K utf8 "$f" 2>&1)
        [ -z "$w" ] || { printf '    %s\n' "$w" >&2; return 1; }
    }
    check "$page renders without warnings" warnings
    check "$page has NAME, SYNOPSIS, DESCRIPTION, SEE ALSO" \
        bash -c "for s in NAME SYNOPSIS DESCRIPTION 'SEE ALSO'; do grep -q \"^\\.SH \\\"\\?\$s\" '$f' || exit 1; done"
done

# Every command scimctl's usage text lists is in scimctl(8).
scimctl_c=$src/scimd/scimctl.c
if [ -f "$scimctl_c" ]; then
    grep -oE '^ *"  [a-z][a-z-]+( [a-z-]+)?' "$scimctl_c" | sed 's/^ *"  //' | sort -u > /tmp/scimctl-verbs.$$
    while read -r verb; do
        [ -n "$verb" ] || continue
        check "scimctl(8) documents '$verb'" grep -q "^\.B.* \"\?${verb//-/\\\\-}" "$man/scimctl.8"
    done < /tmp/scimctl-verbs.$$
    rm -f /tmp/scimctl-verbs.$$
else
    not_ok "scimd/scimctl.c exists"
fi

# Every long option of scimd is in scimd(8).
main_c=$src/scimd/main.c
if [ -f "$main_c" ]; then
    for opt in $(sed -n 's/^ *{ *"\([a-z-]*\)", *\(no\|required\)_argument.*/\1/p' "$main_c"); do
        check "scimd(8) documents --$opt" grep -q -- "\\\\-\\\\-${opt//-/\\\\-}" "$man/scimd.8"
    done
else
    not_ok "scimd/main.c exists"
fi

# pam_scim(8) documents the options docs/architecture.md fixes; and, once pam_scim exists, every
# option string the module parses.
for opt in 'cache=' 'shadow=' 'uid_min=' 'uid_max=' 'require_group=' 'debug' 'quiet'; do
    check "pam_scim(8) documents $opt" grep -qE "^\.(B|BI|BR) $opt" "$man/pam_scim.8"
done
if compgen -G "$src/pam_scim/*.c" >/dev/null; then
    for opt in $(grep -ohE '"[a-z_]+=?"' "$src"/pam_scim/*.c | tr -d '"' | grep -E '^(cache=|uid_min=|uid_max=|require_group=|debug|quiet|[a-z_]+=)$' | sort -u); do
        check "pam_scim(8) documents option $opt parsed by pam_scim" grep -qE "^\.(B|BI|BR) $opt" "$man/pam_scim.8"
    done
fi
check "pam_scim(8) quotes the deactivation message" \
    grep -q 'account deactivated by your identity provider; contact your administrator' "$man/pam_scim.8"

# Links between the guides: the file exists and the #anchor is one of its headings.
anchor_of() { # heading text -> GitHub-style anchor
    echo "$1" | tr 'A-Z' 'a-z' | sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g'
}
links() {
    local bad=0 doc target file frag
    for doc in "$src"/docs/*.md; do
        while read -r target; do
            file=${target%%#*}
            frag=${target#*#}
            [ "$file" = "$target" ] && frag=
            [ -n "$file" ] || file=$(basename "$doc")
            if [ ! -f "$src/docs/$file" ]; then
                echo "    $(basename "$doc"): link to missing $file" >&2; bad=1; continue
            fi
            [ -n "$frag" ] || continue
            # Collected first: grep -q ending a pipeline early fails it under pipefail.
            local anchors
            anchors=$(grep -E '^#+ ' "$src/docs/$file" | sed -E 's/^#+ //' |
                while read -r h; do anchor_of "$h"; done)
            if ! grep -qx -- "$frag" <<< "$anchors"; then
                echo "    $(basename "$doc"): no heading for $file#$frag" >&2; bad=1
            fi
        done < <(grep -oE '\]\([a-z-]*\.md(#[a-z0-9-]+)?\)|\]\(#[a-z0-9-]+\)' "$doc" | sed -E 's/^\]\((.*)\)$/\1/')
    done
    return $bad
}
check "links between docs/*.md resolve" links

for doc in okta entra-id onelogin operations troubleshooting; do
    check "docs/$doc.md exists" test -s "$src/docs/$doc.md"
done

check "README.Debian and operations.md say purge keeps /var/lib/scimd" \
    bash -c "grep -q 'Purge keeps /var/lib/scimd' '$src/packaging/debian/README.Debian' && grep -q 'survives a purge' '$src/docs/operations.md'"

finish
