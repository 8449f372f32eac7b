#!/bin/bash
# SPDX-License-Identifier: MIT
# The authselect vendor profile "scim" (Fedora/EL, local files plus scimd): every feature its
# templates test is described in its README and every README feature is used, braces
# balance, nsswitch.conf puts scim on passwd, group and shadow with and without group
# merging, and every PAM stack runs pam_scim in the account phase.
# scim-sssd-profile (hosts joined to FreeIPA or AD through SSSD), run against a small
# sssd-like profile made here and a fake authselect: scim is added after sss in
# nsswitch.conf, pam_scim goes before pam_unix in every account phase and where
# pam_localuser's jump skips pam_unix in the auth phase; a second run changes nothing; a
# profile of another shape is refused and left as it was.
# (authselect itself is not packaged for Debian; this checks the templates statically.)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

profiles=$(src_root)/packaging/authselect

# profile_common DIR NAME: the files, README features both ways, balanced braces.
profile_common() {
    local dir=$1 name=$2 f feat features documented templates
    [ -d "$dir" ] || { not_ok "$name: $dir exists"; return; }
    for f in README REQUIREMENTS nsswitch.conf system-auth password-auth fingerprint-auth \
        smartcard-auth postlogin dconf-db dconf-locks; do
        check "$name: profile file $f exists" test -f "$dir/$f"
    done
    templates=$(find "$dir" -maxdepth 1 -type f ! -name README ! -name scim-sssd-profile | sort)
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

# ---- scim-sssd-profile: custom/sssd-scim derived from the host's sssd profile ----------
# The script runs against a small "sssd-like" profile written here (our own minimal text in
# the shape authselect profiles have: pam_sss, pam_localuser jumping past pam_unix, sss in
# nsswitch.conf), with a fake authselect whose create-profile copies it into a temp custom
# directory as `authselect create-profile --base-on=sssd --symlink-meta` would.
script=$profiles/scim-sssd-profile
tmp=$(mktemp -d /tmp/scimd-authselect.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# sssd_like DIR [VARIANT]: the base profile; VARIANT changes one thing the script must refuse.
sssd_like() {
    local d=$1 variant=${2:-}
    mkdir -p "$d"
    echo "A profile for these tests." > "$d/README"
    : > "$d/REQUIREMENTS"
    cat > "$d/nsswitch.conf" <<'NSS'
passwd:     files sss systemd
group:      files [SUCCESS=merge] sss [SUCCESS=merge] systemd
shadow:     files
initgroups: files sss                {include if "with-initgroups"}
hosts:      files dns
sudoers:    files sss                {include if "with-sudo"}
NSS
    cat > "$d/system-auth" <<'PAM'
auth      required                               pam_env.so
auth      [default=1 ignore=ignore success=ok]   pam_usertype.so isregular
auth      [default=1 ignore=ignore success=ok]   pam_localuser.so       {exclude if "with-smartcard"}
auth      [default=2 ignore=ignore success=ok]   pam_localuser.so       {include if "with-smartcard"}
auth      sufficient                             pam_sss.so try_cert_auth {include if "with-smartcard"}
auth      sufficient                             pam_unix.so
auth      sufficient                             pam_sss.so forward_pass
auth      required                               pam_deny.so

account   required                               pam_faillock.so        {include if "with-faillock"}
account   required                               pam_unix.so
account   [default=bad success=ok user_unknown=ignore] pam_sss.so
account   required                               pam_permit.so

password  sufficient                             pam_unix.so use_authtok
password  sufficient                             pam_sss.so use_authtok
password  required                               pam_deny.so

session   required                               pam_unix.so
session   optional                               pam_sss.so
PAM
    case $variant in
        crossing) # a jump over pam_unix and the line after it, to pam_deny
            sed -i 's/^auth      \[default=2 \(.*pam_localuser\.so .*include\)/auth      [default=3 \1/' "$d/system-auth" ;;
        no-account-unix)
            sed -i '/^account   required  *pam_unix.so/d' "$d/system-auth" ;;
    esac
    cp "$d/system-auth" "$d/password-auth"
    # fingerprint-auth has an account phase; smartcard-auth here has none and stays as it is.
    cat > "$d/fingerprint-auth" <<'PAM'
auth      [success=done default=bad]             pam_fprintd.so
auth      required                               pam_deny.so

account   required                               pam_unix.so
account   [default=bad success=ok user_unknown=ignore] pam_sss.so
PAM
    printf 'auth      sufficient                             pam_sss.so allow_missing_name\nauth      required                               pam_deny.so\n' > "$d/smartcard-auth"
}

# A fake authselect: logs its arguments; create-profile NAME --base-on=sssd copies $BASE
# into the custom directory, README and REQUIREMENTS as symlinks (--symlink-meta), and fails
# like the real one when the profile exists.
mkdir -p "$tmp/bin"
cat > "$tmp/bin/authselect" <<'FAKE'
#!/bin/bash
echo "$*" >> "$FAKE_LOG"
[ "$1" = create-profile ] && [ "$3" = --base-on=sssd ] || exit 2
dest=$SCIM_AUTHSELECT_CUSTOM_DIR/$2
[ ! -e "$dest" ] || { echo "authselect: profile $2 already exists" >&2; exit 1; }
mkdir -p "$dest"
for f in "$BASE"/*; do
    case ${f##*/} in
        README | REQUIREMENTS) [ "${4:-}" = --symlink-meta ] && ln -s "$f" "$dest/${f##*/}" || cp "$f" "$dest/" ;;
        *) cp "$f" "$dest/" ;;
    esac
done
FAKE
chmod +x "$tmp/bin/authselect"

# run_script CASE [VARIANT]: a fresh base and custom dir for CASE; output in $tmp/CASE.out.
run_script() {
    local c=$tmp/$1
    mkdir -p "$c/custom"
    [ -d "$c/base" ] || sssd_like "$c/base" "${2:-}"
    BASE=$c/base FAKE_LOG=$c/log PATH="$tmp/bin:$PATH" SCIM_AUTHSELECT_CUSTOM_DIR=$c/custom \
        bash "$script" > "$c/out" 2>&1
}

# render FILE [FEATURE]: the template as authselect writes it for at most one feature.
render() {
    sed -E -e "/\{exclude if \"${2:-none}\"\}/d" \
        -e "/\{include if \"[a-z0-9-]+\"\}/{/\{include if \"${2:-none}\"\}/!d}" \
        -e 's/[[:space:]]*\{(include|exclude) if "[a-z0-9-]+"\}//' "$1"
}
# next_after FILE REGEX: the line right after the first line matching REGEX.
next_after() { awk -v re="$2" 'hit { print; exit } $0 ~ re { hit = 1 }' "$1"; }
# lands TEXT: every pam_localuser jump in the auth phase lands on pam_scim.
lands() {
    awk '/^auth/ { n++; line[n] = $0 } END {
             bad = 0; seen = 0
             for (i = 1; i <= n; i++) if (line[i] ~ /pam_localuser\.so/ && match(line[i], /default=[0-9]+/)) {
                 seen = 1; k = substr(line[i], RSTART + 8, RLENGTH - 8) + 0
                 if (line[i + k + 1] !~ /pam_scim\.so/) { print "    lands on: " line[i + k + 1]; bad = 1 } }
             exit bad || !seen }' <<< "$1" >&2
}

check "scim-sssd-profile is executable and says it is MIT" \
    bash -c '[ -x "$1" ] && grep -q "^# SPDX-License-Identifier: MIT$" "$1"' _ "$script"
run_script ok
out=$tmp/ok/custom/sssd-scim
check "first run succeeds" test -f "$out/system-auth"
check "authselect create-profile sssd-scim --base-on=sssd --symlink-meta, once" \
    bash -c '[ "$(cat "$1")" = "create-profile sssd-scim --base-on=sssd --symlink-meta" ]' _ "$tmp/ok/log"
check "README stays the base profile's (symlink)" test -L "$out/README"
check "no staging directory left in the custom dir" \
    bash -c '[ "$(ls -A "$1")" = sssd-scim ]' _ "$tmp/ok/custom"
check "it says what to select next" grep -q 'authselect select custom/sssd-scim' "$tmp/ok/out"

nss=$out/nsswitch.conf
check "nsswitch.conf: passwd gets scim after sss" grep -qx 'passwd:     files sss systemd scim' "$nss"
check "nsswitch.conf: group merges into scim" \
    grep -qx 'group:      files \[SUCCESS=merge\] sss \[SUCCESS=merge\] systemd \[SUCCESS=merge\] scim' "$nss"
check "nsswitch.conf: shadow gets scim" grep -qx 'shadow:     files scim' "$nss"
check "nsswitch.conf: initgroups gets scim before its directive" \
    grep -qx 'initgroups: files sss scim                {include if "with-initgroups"}' "$nss"
check "nsswitch.conf: other lines untouched (sudoers, hosts)" \
    bash -c 'diff <(grep -vE "^(passwd|group|shadow|initgroups):" "$1") <(grep -vE "^(passwd|group|shadow|initgroups):" "$2")' _ "$tmp/ok/base/nsswitch.conf" "$nss"

# line_is FILE REGEX OFFSET EXPECTED: the line OFFSET (-1 before, 1 after) from the first
# line matching REGEX is EXPECTED.
line_is() {
    local got
    got=$(awk -v re="$2" -v off="$3" '{ l[NR] = $0 } $0 ~ re && !at { at = NR } END { print l[at + off] }' "$1")
    [ "$got" = "$4" ] || { echo "    got: $got" >&2; return 1; }
}
account_scim='account     [success=ok ignore=ignore user_unknown=ignore default=die] pam_scim.so'
auth_scim='auth        sufficient                                   pam_scim.so'
for f in system-auth password-auth fingerprint-auth; do
    check "$f: pam_scim (default=die) right before account pam_unix" \
        line_is "$out/$f" '^account +required +pam_unix[.]so' -1 "$account_scim"
    check "$f: one account pam_scim line, pam_sss kept" \
        bash -c '[ "$(grep -cE "^account.*pam_scim" "$1")" -eq 1 ] && grep -qE "^account .*pam_sss\.so" "$1"' _ "$out/$f"
done
for f in system-auth password-auth; do
    check "$f: auth pam_scim right after pam_unix" \
        line_is "$out/$f" '^auth +sufficient +pam_unix[.]so' 1 "$auth_scim"
    for feat in none with-smartcard; do
        check "$f ($feat): pam_localuser's jump past pam_unix lands on pam_scim" lands "$(render "$out/$f" "$feat")"
    done
    check "$f: every other line kept, in order" \
        bash -c 'diff <(grep -v pam_scim "$1") "$2"' _ "$out/$f" "$tmp/ok/base/$f"
done
check "fingerprint-auth: no auth pam_scim (no pam_unix in its auth phase)" \
    bash -c '! grep -qE "^auth.*pam_scim" "$1"' _ "$out/fingerprint-auth"
check "smartcard-auth without an account phase is left as it was" \
    cmp -s "$out/smartcard-auth" "$tmp/ok/base/smartcard-auth"

# Again on the same profile: authselect not called, nothing changes, and it says so.
cp -a "$out" "$tmp/ok/first"
run_script ok
check "second run: succeeds without create-profile" \
    bash -c '[ "$(wc -l < "$1")" -eq 1 ] && grep -q "nothing changed" "$2"' _ "$tmp/ok/log" "$tmp/ok/out"
check "second run: every file as the first run left it" diff -r "$tmp/ok/first" "$out"
# A profile made by hand without the auth line gets it, and keeps its account line.
sed -i '/^auth.*pam_scim/d' "$out/password-auth"
run_script ok
check "an existing profile missing a line gets it" diff -r "$tmp/ok/first" "$out"

# Bad shapes: a clear error, and nothing left behind or changed.
run_script crossing crossing
check "a jump across the new auth line is refused" \
    bash -c '! [ -e "$1/custom/sssd-scim" ] && grep -q "crosses where pam_scim goes" "$1/out"' _ "$tmp/crossing"
run_script nounix no-account-unix
check "no 'account required pam_unix.so' is refused, the new profile removed" \
    bash -c '! [ -e "$1/custom/sssd-scim" ] && grep -q "expected exactly one" "$1/out"' _ "$tmp/nounix"
# An existing profile whose nsswitch.conf is a symlink into another profile is not edited.
run_script link
rm "$tmp/link/custom/sssd-scim/nsswitch.conf" && ln -s "$tmp/link/base/nsswitch.conf" "$tmp/link/custom/sssd-scim/nsswitch.conf"
sed -i '/pam_scim/d' "$tmp/link/custom/sssd-scim/system-auth"
cp -a "$tmp/link/custom/sssd-scim" "$tmp/link/before"
run_script link
check "a symlinked nsswitch.conf is refused; the existing profile stays as it was" \
    bash -c 'grep -q "symlink" "$1/out" && diff -r "$1/before" "$1/custom/sssd-scim" && [ "$(ls -A "$1/custom")" = sssd-scim ]' _ "$tmp/link"
check "a failing authselect is reported" \
    bash -c 'mkdir -p "$1/custom"; ! SCIM_AUTHSELECT=false SCIM_AUTHSELECT_CUSTOM_DIR="$1/custom" bash "$2" 2> "$1/err" &&
             grep -q "create-profile sssd-scim --base-on=sssd --symlink-meta. failed" "$1/err"' _ "$tmp/fails" "$script"

finish
