#!/bin/bash
# The authselect vendor profiles (Fedora/EL): "scim" (local files plus scimd) and
# "sssd-scim" (authselect's sssd profile plus scimd, for hosts joined to FreeIPA or AD).
# In each, every feature its templates test is described in its README and every README
# feature is used, and braces balance. "scim": nsswitch.conf puts scim on passwd, group and
# shadow with and without group merging, and every PAM stack runs pam_scim in the account
# phase. "sssd-scim", rendered for several feature sets by authselect_render.py: sss stays
# and scim is added on passwd, group and shadow; every stack keeps pam_sss and runs pam_scim
# before pam_unix in the account phase; where pam_localuser skips pam_unix in the auth
# phase, the jump lands on pam_scim.
# (authselect itself is not packaged for Debian; this checks the templates statically.)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

profiles=$(src_root)/packaging/authselect
render_py=$(dirname "$0")/authselect_render.py

# profile_common DIR NAME: the files, README features both ways, balanced braces.
profile_common() {
    local dir=$1 name=$2 f feat features documented templates
    [ -d "$dir" ] || { not_ok "$name: $dir exists"; return; }
    for f in README REQUIREMENTS nsswitch.conf system-auth password-auth fingerprint-auth \
        smartcard-auth postlogin dconf-db dconf-locks; do
        check "$name: profile file $f exists" test -f "$dir/$f"
    done
    templates=$(find "$dir" -maxdepth 1 -type f ! -name README ! -name COPYING | sort)
    # Every name quoted inside a {...} directive ({include if "a"}, {if not "a" and "b":x},
    # {imply "a" if "b"}, {continue if "a"}) is a feature.
    features=$(grep -ohE '\{[^}]*\}' $templates | grep -oE '"[a-z0-9-]+"' | tr -d '"' | sort -u)
    for feat in $features; do
        check "$name: feature $feat is described in README" grep -qE "^$feat::" "$dir/README"
    done
    documented=$(sed -n 's/^\([a-z0-9-]*\)::.*$/\1/p' "$dir/README")
    for feat in $documented; do
        # shellcheck disable=SC2086
        check "$name: README feature $feat is used by a template" grep -q "\"$feat\"" $templates
    done
    balanced() {
        local f bad=0
        for f in $templates "$dir/README"; do
            awk -v f="$(basename "$f")" '{ o = gsub(/\{/, "{"); c = gsub(/\}/, "}");
                if (o != c) { print "    " f ":" NR ": unbalanced braces"; bad = 1 } }
                END { exit bad }' "$f" >&2 || bad=1
        done
        return $bad
    }
    check "$name: braces balance on every line" balanced
}

dir=$profiles
profile_common "$dir" scim

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

# ---- sssd-scim --------------------------------------------------------------------------
sdir=$profiles/sssd-scim
profile_common "$sdir" sssd-scim
render_t() { python3 "$render_py" "$@"; }
check "authselect_render.py renders the sssd-scim templates" \
    bash -c 'for f in "$1"/*; do python3 "$2" "$f" >/dev/null || exit 1; done' _ "$sdir" "$render_py"
for variant in "" with-tlog with-altfiles with-sudo; do
    out=$(render_t "$sdir/nsswitch.conf" $variant)
    for db in passwd group shadow; do
        check "sssd-scim nsswitch.conf (${variant:-no feature}): one $db line, with scim" \
            bash -c "[ \$(grep -c '^$db:' <<< \"\$1\") -eq 1 ] && grep -qE '^$db:.*[[:space:]]scim([[:space:]]|\$)' <<< \"\$1\"" _ "$out"
    done
    for db in passwd group; do
        check "sssd-scim nsswitch.conf (${variant:-no feature}): $db keeps sss" \
            grep -qE "^$db:.*[[:space:]]sss([[:space:]]|\$)" <<< "$out"
    done
done
check "sssd-scim nsswitch.conf: group merges into scim's result (mapped local groups)" \
    grep -qE '^group:.*\[SUCCESS=merge\][[:space:]]+scim$' <<< "$(render_t "$sdir/nsswitch.conf")"

# The account phase of every stack as it is rendered for the features that enable it.
for spec in "system-auth" "system-auth with-faillock with-pamaccess" "system-auth with-files-access-provider" \
    "password-auth" "password-auth with-faillock" "fingerprint-auth with-fingerprint" \
    "smartcard-auth with-smartcard" "switchable-auth with-switchable-auth" "system-auth with-smartcard"; do
    set -- $spec
    f=$1
    shift
    out=$(render_t "$sdir/$f" "$@")
    label="sssd-scim $f${*:+ ($*)}"
    if [ "$f" = switchable-auth ]; then
        check "$label: account phase from system-auth" grep -qE '^account[[:space:]]+include[[:space:]]+system-auth' <<< "$out"
    else
        check "$label: pam_sss stays in the account phase" grep -qE '^account[[:space:]].*pam_sss\.so' <<< "$out"
        check "$label: pam_scim before pam_unix in the account phase, stopping the stack on a denial" \
            awk '/^account.*pam_scim\.so/ { s = NR; die = /default=die/ } /^account.*pam_unix\.so/ { u = NR }
                 END { exit !(s && u && s < u && die) }' <<< "$out"
    fi
    # pam_localuser's "[default=N]" jumps past pam_unix for users not in /etc/passwd: the
    # line it lands on must be pam_scim, or SCIM users' synced passwords are never tried.
    lands() {
        awk '/^auth/ { n++; line[n] = $0 } END {
                 bad = 0; seen = 0
                 for (i = 1; i <= n; i++) if (line[i] ~ /pam_localuser\.so/ && match(line[i], /default=[0-9]+/)) {
                     seen = 1; k = substr(line[i], RSTART + 8, RLENGTH - 8) + 0
                     if (line[i + k + 1] !~ /pam_scim\.so/) { print "    lands on: " line[i + k + 1]; bad = 1 } }
                 exit bad || !seen }' <<< "$1" >&2
    }
    case $f in
        system-auth | password-auth | switchable-auth)
            check "$label: pam_localuser's jump past pam_unix lands on pam_scim (auth)" lands "$out" ;;
    esac
done
check "sssd-scim: pam_sss keeps authenticating SSSD users" \
    grep -qE '^auth[[:space:]]+sufficient[[:space:]]+pam_sss\.so forward_pass' <<< "$(render_t "$sdir/system-auth")"

finish
