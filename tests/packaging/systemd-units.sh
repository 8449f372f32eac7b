#!/bin/bash
# SPDX-License-Identifier: MIT
# The shipped systemd units: hardening settings present, `systemd-analyze security`
# exposure at most 2.0 (shipped unit, with the session-termination drop-in, and with the
# Fedora drop-in the spec installs), and `systemd-analyze verify` clean.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
src=$(src_root)
units=$src/packaging/systemd
service=$units/scimd.service
socket=$units/scimd.socket
[ -f "$service" ] && [ -f "$socket" ] || die "units not found under $units"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

has_line() { grep -qxF -- "$2" "$1" || { echo "    $1 lacks: $2" >&2; return 1; }; }

for line in 'Type=notify' 'ExecStart=/usr/sbin/scimd -c /etc/scimd/scimd.conf' \
    'Restart=on-failure' 'CapabilityBoundingSet=CAP_AUDIT_WRITE' 'NoNewPrivileges=yes' \
    'StateDirectory=scimd' 'StateDirectoryMode=0755' 'ConfigurationDirectory=scimd' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
    'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' 'ProtectKernelLogs=yes' \
    'ProtectControlGroups=yes' 'ProtectClock=yes' 'ProtectHostname=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' 'RestrictNamespaces=yes' \
    'LockPersonality=yes' 'MemoryDenyWriteExecute=yes' 'RestrictRealtime=yes' \
    'RestrictSUIDSGID=yes' 'SystemCallArchitectures=native' \
    'SystemCallFilter=@system-service' 'SystemCallFilter=~@privileged @resources' \
    'SystemCallFilter=fchown' 'SupplementaryGroups=shadow' \
    'UMask=0077' 'PrivateNetwork=yes' 'Requires=scimd.socket'; do
    check "scimd.service has '$line'" has_line "$service" "$line"
done
check "scimd.socket listens on 127.0.0.1:8080" has_line "$socket" 'ListenStream=127.0.0.1:8080'
# CAP_AUDIT_WRITE only sends audit records (accounts/audit_kernel.c); nothing else.
check "scimd.service grants no capability but CAP_AUDIT_WRITE" \
    bash -c "! grep -E '^(CapabilityBoundingSet|AmbientCapabilities)=.+' '$service' |
             grep -vxF 'CapabilityBoundingSet=CAP_AUDIT_WRITE'"

# exposure FILE: prints the overall exposure level systemd-analyze gives FILE.
exposure() {
    systemd-analyze security --offline=true "$1" 2>/dev/null |
        sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
score_at_most() { # FILE LIMIT
    local s
    s=$(exposure "$1")
    echo "    $(basename "$1"): exposure ${s:-unknown}"
    [ -n "$s" ] && awk -v s="$s" -v l="$2" 'BEGIN { exit !(s <= l) }'
}

check "scimd.service exposure <= 2.0" score_at_most "$service" 2.0

# The score the documentation quotes is the one measured.
measured=$(exposure "$service")
documented_ops=$(tr '\n' ' ' < "$src/docs/operations.md" | sed -n 's/.*rates the shipped unit \*\*\([0-9.]*\) (OK)\*\*.*/\1/p')
documented_deb=$(sed -n 's/.*exposure is \([0-9.]*\)\..*/\1/p' "$src/packaging/debian/README.Debian")
check "operations.md quotes the measured exposure ($measured)" test "$documented_ops" = "$measured"
check "README.Debian quotes the measured exposure ($measured)" test "$documented_deb" = "$measured"

# The unit with the CAP_KILL drop-in applied (its [Service] lines appended).
with_dropin=$tmp/scimd-terminate.service
sed '/^\[Install\]/,$d' "$service" > "$with_dropin"
sed -n '/^\[Service\]/,$p' "$units/terminate-sessions.conf" | grep -v '^\[Service\]' >> "$with_dropin"
check "terminate-sessions drop-in grants exactly CAP_KILL" \
    has_line "$units/terminate-sessions.conf" 'CapabilityBoundingSet=CAP_KILL'
check "scimd.service + terminate-sessions.conf exposure <= 2.0" score_at_most "$with_dropin" 2.0

# A follower or a hub on a remote PostgreSQL connects out: the drop-in lifts exactly
# PrivateNetwork and nothing else.
check "outbound-network drop-in only turns PrivateNetwork off" \
    test "$(grep -v -e '^#' -e '^$' "$units/outbound-network.conf" | tr '\n' ' ')" = \
         "[Service] PrivateNetwork=no "

# The Fedora/EL variant: the spec installs packaging/rpm/no-shadow-group.conf as a drop-in
# (Fedora has no shadow group); its [Service] lines appended to the unit, as systemd
# applies them.
spec=$src/packaging/rpm/scimd.spec
dropin=$src/packaging/rpm/no-shadow-group.conf
check "scimd.spec installs the no-shadow-group drop-in" \
    bash -c "grep -qE 'scimd\\.service\\.d/no-shadow-group\\.conf' '$spec'"
fedora=$tmp/scimd-fedora.service
sed '/^\[Install\]/,$d' "$service" > "$fedora"
sed -n '/^\[Service\]/,$p' "$dropin" | grep -v '^\[Service\]' >> "$fedora"
# systemd's rule: an empty assignment resets the list, every other one adds to it.
groups_of() {
    awk -F= '/^SupplementaryGroups=/ { if ($2 == "") g = ""; else g = g " " $2 } END { print g }' "$1"
}
no_groups() { [ -z "$(groups_of "$fedora" | tr -d ' ')" ] && [ "$(groups_of "$service" | tr -d ' ')" = shadow ]; }
check "Fedora unit (with the drop-in) asks for no supplementary group" no_groups
check "Fedora scimd.service exposure <= 2.0" score_at_most "$fedora" 2.0

# systemd-analyze verify needs the binary and the man pages: point ExecStart at a stand-in
# and MANPATH at the sources.
mkdir -p "$tmp/verify" "$tmp/man/man5" "$tmp/man/man8"
cp "$src"/docs/man/*.8 "$tmp/man/man8/" && cp "$src"/docs/man/*.5 "$tmp/man/man5/"
sed 's|^ExecStart=/usr/sbin/scimd|ExecStart=/bin/true|' "$service" > "$tmp/verify/scimd.service"
cp "$socket" "$tmp/verify/scimd.socket"
verify() {
    local out
    out=$(cd "$tmp/verify" && MANPATH=$tmp/man systemd-analyze verify scimd.socket scimd.service 2>&1)
    local rc=$?
    [ -n "$out" ] && printf '    %s\n' "$out" >&2
    [ $rc -eq 0 ] && [ -z "$out" ]
}
check "systemd-analyze verify scimd.socket scimd.service is clean" verify

finish
