#!/bin/bash
# SPDX-License-Identifier: MIT
# The shipped /etc/scimd/scimd.conf documents exactly the keys scimd knows, all commented
# out; every key is in scimd.conf(5); and the file with every key uncommented (its
# documented defaults and examples) passes `scimd --check-config`.
# usage: config-documented.sh [PATH_TO_SCIMD]
set -uo pipefail
. "$(dirname "$0")/lib.sh"

src=$(src_root)
conf=$src/packaging/scimd.conf
keys_c=$src/scimd/config_keys.c
man5=$src/docs/man/scimd.conf.5
scimd=${1:-}
for f in "$conf" "$keys_c" "$man5"; do [ -f "$f" ] || die "$f not found"; done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Lines of the shipped file: blank, "# prose", "#key = value" or "[section]" only.
only_comments() {
    local bad
    bad=$(grep -nvE '^$|^#|^\[[a-z]+\]$' "$conf")
    [ -z "$bad" ] || { printf '    active line: %s\n' "$bad" >&2; return 1; }
}
check "scimd.conf sets nothing (every key commented out)" only_comments

# section.key pairs the daemon accepts, from its key table.
sed -n 's/^[[:space:]]*\(UINTK(\|{ *\)"\([a-z]*\)", *"\([a-z_]*\)".*/\2.\3/p' "$keys_c" |
    sort -u > "$tmp/daemon-keys"
[ -s "$tmp/daemon-keys" ] || die "no keys parsed from $keys_c"

# section.key pairs documented in scimd.conf (the free-form [roles]/[groups] examples aside).
awk '/^\[[a-z]+\]$/ { sec = substr($0, 2, length($0) - 2); next }
     /^#[a-z_]+ =/ && sec != "roles" && sec != "groups" {
         k = substr($1, 2); print sec "." k }' "$conf" | sort -u > "$tmp/conf-keys"

same_keys() {
    local d
    d=$(diff "$tmp/daemon-keys" "$tmp/conf-keys")
    [ -z "$d" ] || { printf '    < daemon only, > scimd.conf only:\n%s\n' "$d" >&2; return 1; }
}
check "scimd.conf documents exactly the daemon's keys" same_keys

in_man() {
    local missing=()
    while IFS=. read -r _ key; do
        grep -qE "^\.(B|BR|IB) .*\b${key}\b" "$man5" || missing+=("$key")
    done < "$tmp/daemon-keys"
    [ ${#missing[@]} -eq 0 ] || { echo "    not in scimd.conf(5): ${missing[*]}" >&2; return 1; }
}
check "scimd.conf(5) describes every key" in_man

for sec in server store cache accounts roles groups sessions; do
    check "scimd.conf has [$sec]" grep -qx "\[$sec\]" "$conf"
    check "scimd.conf(5) has [$sec]" grep -q "^\.SH \"\[$sec\]\"" "$man5"
done

# The values written next to the keys are the ones docs/architecture.md fixes.
expect() { # section key value
    awk -v s="$1" -v k="$2" -v v="$3" '
        /^\[[a-z]+\]$/ { sec = substr($0, 2, length($0) - 2); next }
        sec == s && $0 ~ "^#" k " =" { sub("^#" k " = ?", ""); found = ($0 == v) }
        END { exit !found }' "$conf" || { echo "    [$1] $2 is not '$3'" >&2; return 1; }
}
while read -r s k v; do
    check "default [$s] $k = $v" expect "$s" "$k" "$v"
done <<'DEFAULTS'
server listen 127.0.0.1:8080
server base_path /scim/v2
server max_connections 256
server connection_timeout 30
server request_head_timeout 5
server max_connections_per_client 32
server reserved_connections 64
server max_body_size 1048576
server tls_cert
server tls_key
server metrics_auth true
server auth_failure_limit 20
server auth_failure_ban 60
store database /var/lib/scimd/scimd.db
store busy_timeout 5000
cache path /var/lib/scimd/nss.cache
cache shadow_path /var/lib/scimd/shadow.cache
cache export_delay 100
cache export_max_delay 1000
cache invalidate_nscd true
accounts uid_min 1879048192
accounts uid_max 1880096767
accounts gid_min 1880096768
accounts gid_max 1881145343
accounts login_name localpart
accounts max_name_length 64
accounts home /home/%u
accounts shell /bin/bash
accounts accept_idp_ids false
sessions terminate_on_deactivate false
DEFAULTS

if [ -z "$scimd" ]; then
    not_ok "scimd --check-config accepts the documented values" "no scimd binary given"
elif [ ! -x "$scimd" ]; then
    not_ok "scimd --check-config accepts the documented values" "$scimd is not executable"
else
    check "scimd --check-config accepts the shipped file" "$scimd" --check-config -c "$conf"
    # Uncomment every "#key = value" line, examples in [roles]/[groups] included; the
    # mapped local groups must exist here, or the example lines are left out.
    awk '/^\[[a-z]+\]$/ { sec = substr($0, 2, length($0) - 2) }
         /^#[A-Za-z][A-Za-z_ ]* =/ { line = substr($0, 2)
             if (sec == "roles" || sec == "groups") {
                 split(line, kv, " = ")
                 if (system("getent group " kv[2] " >/dev/null") != 0) { print; next }
             }
             print line; next }
         { print }' "$conf" > "$tmp/uncommented.conf"
    # The file documents the packaged paths; a build with another prefix (/usr/local)
    # compiles other cache paths in, which scimd refuses without nonstandard_path_ok.
    sed -i 's/^nonstandard_path_ok = false$/nonstandard_path_ok = true/' "$tmp/uncommented.conf"
    awk '/^\[[a-z]+\]$/ { sec = substr($0, 2, length($0) - 2); next }
         /^[a-z_]+ =/ && sec != "roles" && sec != "groups" { print sec "." $1 }' \
        "$tmp/uncommented.conf" | sort -u > "$tmp/set-keys"
    check "uncommented scimd.conf sets every key" cmp -s "$tmp/set-keys" "$tmp/daemon-keys"
    check "uncommented scimd.conf keeps a [roles] example" \
        bash -c "sed -n '/^\[roles\]/,/^\[/p' '$tmp/uncommented.conf' | grep -qE '^[a-z]+ = [a-z]+$'"
    check "scimd --check-config accepts every documented value" \
        "$scimd" --check-config -c "$tmp/uncommented.conf"
    # And it does reject what it should: the check above can fail.
    printf '[server]\nno_such_key = 1\n' > "$tmp/bad.conf"
    check "scimd --check-config rejects an unknown key" \
        bash -c "! '$scimd' --check-config -c '$tmp/bad.conf' 2>/dev/null"
    # In a root-owned directory that exists: refused for the path alone.
    printf '[cache]\npath = /etc/elsewhere-nss.cache\n' > "$tmp/badpath.conf"
    refuses_path() {
        local out
        out=$("$scimd" --check-config -c "$tmp/badpath.conf" 2>&1) && return 1
        grep -q 'nss_scim and pam_scim read only .*nonstandard_path_ok' <<<"$out"
    }
    check "scimd --check-config rejects a [cache] path nss_scim does not read" refuses_path
fi

finish
