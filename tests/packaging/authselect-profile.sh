#!/bin/bash
# The authselect vendor profile (Fedora/EL): every feature its templates test is described
# in its README, braces balance, nsswitch.conf puts scim on passwd, group and shadow with
# and without group merging, and every PAM stack runs pam_scim in the account phase.
# (authselect itself is not packaged for Debian; this checks the templates statically.)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

dir=$(src_root)/packaging/authselect
[ -d "$dir" ] || die "$dir not found"

for f in README REQUIREMENTS nsswitch.conf system-auth password-auth fingerprint-auth \
    smartcard-auth postlogin dconf-db dconf-locks; do
    check "profile file $f exists" test -f "$dir/$f"
done

features=$(grep -ohE '\{(include|exclude)? ?if (not )?"[a-z0-9-]+"' "$dir"/* |
    grep -oE '"[a-z0-9-]+"' | tr -d '"' | sort -u)
for feat in $features; do
    check "feature $feat is described in README" grep -qx "$feat::" "$dir/README"
done
documented=$(sed -n 's/^\([a-z0-9-]*\)::$/\1/p' "$dir/README")
for feat in $documented; do
    check "README feature $feat is used by a template" grep -q "\"$feat\"" "$dir"/nsswitch.conf "$dir"/*-auth "$dir"/postlogin "$dir"/REQUIREMENTS
done

balanced() {
    local f bad=0
    for f in "$dir"/*; do
        awk -v f="$(basename "$f")" '{ o = gsub(/\{/, "{"); c = gsub(/\}/, "}");
            if (o != c) { print "    " f ":" NR ": unbalanced braces"; bad = 1 } }
            END { exit bad }' "$f" >&2 || bad=1
    done
    return $bad
}
check "braces balance on every line" balanced

# nsswitch.conf as authselect would write it, with and without with-group-merging.
render() { # feature-or-empty
    sed -E -e "/\{exclude if \"$1\"\}/d" \
        -e "/\{include if \"[a-z0-9-]+\"\}/{/\{include if \"$1\"\}/!d}" \
        -e 's/[[:space:]]*\{(include|exclude) if "[a-z0-9-]+"\}//' "$dir/nsswitch.conf"
}
for variant in none with-group-merging; do
    out=$(render "$variant")
    for db in passwd group shadow; do
        check "nsswitch.conf ($variant): one $db line, with scim" \
            bash -c "[ \$(grep -c '^$db:' <<< \"\$1\") -eq 1 ] && grep -qE '^$db:.*[[:space:]]scim([[:space:]]|\$)' <<< \"\$1\"" _ "$out"
    done
done
check "with-group-merging merges files into the group result" \
    bash -c "grep -qE '^group:[[:space:]]+files \[SUCCESS=merge\]' <<< \"\$1\"" _ "$(render with-group-merging)"

for f in system-auth password-auth fingerprint-auth smartcard-auth; do
    check "$f: pam_scim in the account phase" grep -qE '^account[[:space:]].*pam_scim\.so' "$dir/$f"
    check "$f: pam_unix account check stays" grep -qE '^account[[:space:]]+required[[:space:]]+pam_unix\.so' "$dir/$f"
    # pam_scim decides first (default=die), so a deactivated user gets its message, not
    # pam_unix's "Your account has expired".
    check "$f: pam_scim runs before pam_unix and stops the stack on a denial" \
        awk '/^account.*pam_scim\.so/ { s = NR; die = /default=die/ } /^account.*pam_unix\.so/ { u = NR }
             END { exit !(s && u && s < u && die) }' "$dir/$f"
done

finish
