#!/bin/bash
# SPDX-License-Identifier: MIT
# Every scimctl/scimd invocation and every "[section] key" the guides, the README and the
# manual pages name exists in the code: scimctl commands and subcommands in
# `scimctl --help`, scimd options in `scimd --help`, configuration keys in the key table
# scimd parses (scimd/config_keys.c). A doc that names something the code lacks fails.
# usage: docs-commands.sh SCIMD SCIMCTL
set -uo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: $0 SCIMD SCIMCTL"
scimd=$1
scimctl=$2
src=$(src_root)
keys_c=$src/scimd/config_keys.c
[ -f "$keys_c" ] || die "$keys_c not found"

scimctl_help=$("$scimctl" --help 2>&1) || die "scimctl --help failed"
scimd_help=$("$scimd" --help 2>&1) || die "scimd --help failed"

# What the documents give as something to type: in Markdown the code spans and fenced
# blocks (one per line), in the man pages every line with roff escapes and fonts removed.
docs=("$src"/README.md "$src"/docs/*.md "$src"/docs/man/*.[1-8])
plain() { # FILE
    case $1 in
        *.md) awk '/^[[:space:]]*```/ { f = !f; print "@@fence"; next }
                   f { print; next }
                   { while (match($0, /`[^`]+`/)) { print substr($0, RSTART + 1, RLENGTH - 2);
                                                    $0 = substr($0, RSTART + RLENGTH) } }' "$1" ;;
        *) sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/ /g' -e 's/^\.[A-Z][A-Z]* //' "$1" ;;
    esac
}

# scimctl's command words: "  token create NAME ..." -> "token create"; "  authorized-keys".
commands=$(sed -n 's/^  \([a-z][a-z-]*\)\( [a-z][a-z-]*\)\?\( .*\)\?$/\1\2/p' <<< "$scimctl_help" | sort -u)
groups=$(awk '{ print $1 }' <<< "$commands" | sort -u)
[ -n "$commands" ] || die "no commands found in scimctl --help"

# Invocations: "scimctl [-c FILE] WORD [WORD]" where it is written as a command (after a
# prompt, a backtick, the start of a line or "sudo"), not in prose such as "scimctl prints".
bad_ctl=()
bad_opt=()
bad_key=()
n_ctl=0
n_opt=0
n_key=0
for doc in "${docs[@]}"; do
    [ -f "$doc" ] || continue
    name=${doc#"$src"/}
    text=$(plain "$doc")
    while read -r w1 w2; do
        [ -n "$w1" ] || continue
        n_ctl=$((n_ctl + 1))
        if ! grep -qx "$w1" <<< "$groups"; then
            bad_ctl+=("$name: scimctl $w1"); continue
        fi
        # A command with subcommands needs one of them (a placeholder such as LOGIN is fine
        # for commands without subcommands only).
        if grep -q "^$w1 " <<< "$commands" && ! grep -qx "$w1 ${w2:-}" <<< "$commands"; then
            bad_ctl+=("$name: scimctl $w1 ${w2:-}")
        fi
    done < <(grep -oE '(^|[`$#(]|sudo )[[:space:]]*/?(usr/bin/)?scimctl( -c [^ `]+)? [a-z][a-z-]*( [a-z][a-z-]*)?' <<< "$text" |
             sed -E 's/.*scimctl( -c [^ `]+)? //')
    while read -r opt; do
        [ -n "$opt" ] || continue
        n_opt=$((n_opt + 1))
        grep -qE -- "(^|[ ,])$opt([ ,=]|$)" <<< "$scimd_help" || bad_opt+=("$name: scimd $opt")
    done < <(grep -oE '(^|[`$#]|sudo )[[:space:]]*/?(usr/s?bin/)?scimd( -c [^ `]+)? -(-[a-z][a-z-]*|[a-zA-Z])' <<< "$text" |
             grep -oE -- '-(-[a-z][a-z-]*|[a-zA-Z])$')
    # "[section] key" (in code spans, tables and man pages alike).
    while read -r sec key; do
        [ -n "$sec" ] || continue
        n_key=$((n_key + 1))
        case $sec in
            roles|groups) continue ;; # their keys are the provider's role values and group names
        esac
        grep -qF "{ \"$sec\", \"$key\"," "$keys_c" || grep -qF "(\"$sec\", \"$key\"," "$keys_c" ||
            bad_key+=("$name: [$sec] $key")
    done < <({ grep -oE '\[[a-z]+\] [a-z_]+' <<< "$text" | tr -d '[]'
               # "key = value" lines under a "[section]" line of a fenced block.
               awk '/^@@fence$|^\[/ { sec = "" } /^\[[a-z]+\]$/ { sec = substr($0, 2, length($0) - 2) }
                    sec && /^#?[[:space:]]*[a-z_]+[[:space:]]*=/ { k = $0; sub(/^#?[[:space:]]*/, "", k);
                                                                  sub(/[[:space:]]*=.*/, "", k); print sec, k }' <<< "$text"; })
done

report() { # NAME ITEMS...
    local what=$1
    shift
    if [ $# -eq 0 ]; then ok "$what"; else not_ok "$what" "$@"; fi
}
check "the documents name scimctl commands, scimd options and config keys at all" \
    test "$n_ctl" -gt 0 -a "$n_opt" -gt 0 -a "$n_key" -gt 0
report "every scimctl command the documents name is in scimctl --help ($n_ctl named)" "${bad_ctl[@]}"
report "every scimd option the documents name is in scimd --help ($n_opt named)" "${bad_opt[@]}"
report "every [section] key the documents name is a key scimd parses ($n_key named)" "${bad_key[@]}"

finish
