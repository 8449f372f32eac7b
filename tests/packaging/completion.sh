#!/bin/bash
# SPDX-License-Identifier: MIT
# Bash completion for scimctl and scimd (packaging/completion/): each file registers its
# command with `complete`, and completing through COMP_WORDS/COMP_CWORD offers exactly the
# verbs, sub-verbs and options that `scimctl --help` and `scimd --help` list - so a verb
# added without its completion (or a completion left for a removed verb) fails here.
# usage: completion.sh SCIMD SCIMCTL
set -uo pipefail
. "$(dirname "$0")/lib.sh"

scimd=${1:-} scimctl=${2:-}
[ -x "$scimd" ] && [ -x "$scimctl" ] || die "usage: $0 SCIMD SCIMCTL"
dir=$(src_root)/packaging/completion
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# complete -p, as bash-completion's loader would see it after sourcing the file.
func_of() { # FILE COMMAND
    bash -c 'source "$1" && complete -p "$2"' _ "$1" "$2" 2>/dev/null |
        sed -n "s/^complete .*-F \([^ ]*\) $2\$/\1/p"
}
# offers FILE FUNCTION WORD...: the candidates, one a line and sorted, for the command line
# WORD... with the cursor at the end of the last WORD.
offers() {
    bash -c 'source "$1" || exit 1; f=$2; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
             COMPREPLY=(); "$f"; printf "%s\n" "${COMPREPLY[@]}"' _ "$@" | sed '/^$/d' | LC_ALL=C sort -u
}
# same_set WHAT EXPECTED ACTUAL (newline-separated): set equality, differences named.
same_set() {
    local missing extra
    missing=$(LC_ALL=C comm -23 <(LC_ALL=C sort -u <<< "$2" | sed '/^$/d') <(sed '/^$/d' <<< "$3"))
    extra=$(LC_ALL=C comm -13 <(LC_ALL=C sort -u <<< "$2" | sed '/^$/d') <(sed '/^$/d' <<< "$3"))
    [ -z "$missing$extra" ] && [ -n "$2" ] && return 0
    [ -n "$missing" ] && echo "    $1: not completed: $(echo $missing)" >&2
    [ -n "$extra" ] && echo "    $1: completed but not in --help: $(echo $extra)" >&2
    [ -n "$2" ] || echo "    $1: --help lists nothing (parsing failed?)" >&2
    return 1
}
# -x and --long options of a --help text's option lines.
options_of() {
    grep -E '^[[:space:]]+-' <<< "$1" | grep -oE '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' ,'
}

# ---- scimctl ----------------------------------------------------------------------------
file=$dir/scimctl
check "packaging/completion/scimctl exists" test -f "$file"
f=$(func_of "$file" scimctl)
check "sourcing it registers a completion function for scimctl (complete -p)" test -n "$f"
[ -n "$f" ] || finish

help=$("$scimctl" --help) || die "scimctl --help failed"
# "  VERB [SUBVERB|SUBVERB...] ARGS   description" lines of the Commands: section; a
# second word in lower case is a sub-verb, in upper case ([UID], NAME) an argument.
# The synopsis ends at the first run of two blanks (the description follows).
commands=$(awk '/^Commands:/ { c = 1; next } /^[A-Za-z].*:$/ { c = 0 } c && /^  [a-z]/' <<< "$help" |
    sed -E 's/^  //; s/  .*//')
[ -n "$commands" ] || die "no Commands: section in scimctl --help"
verbs=$(awk '{ print $1 }' <<< "$commands" | sort -u)
check "scimctl: the verbs of scimctl --help" same_set "scimctl ''" "$verbs" "$(offers "$file" "$f" scimctl '')"
check "scimctl -c FILE: still the verbs" same_set "scimctl -c FILE ''" "$verbs" \
    "$(offers "$file" "$f" scimctl -c /etc/scimd/scimd.conf '')"
for verb in $verbs; do
    subs=$(awk -v v="$verb" '$1 == v && $2 ~ /^[a-z][a-z|-]*$/ { print $2 }' <<< "$commands" |
        tr '|' '\n' | sort -u)
    [ -n "$subs" ] || continue
    check "scimctl $verb: the sub-verbs of scimctl --help" \
        same_set "scimctl $verb ''" "$subs" "$(offers "$file" "$f" scimctl "$verb" '')"
    first=$(head -n 1 <<< "$subs")
    check "scimctl $verb ${first:0:2}: completes to $first" \
        bash -c '[ "$(grep -cx -- "$1" <<< "$2")" -eq 1 ]' _ "$first" \
        "$(offers "$file" "$f" scimctl "$verb" "${first:0:2}")"
done
# A command whose --help synopsis ends in [--json] (verb and sub-verb, or the verb alone)
# completes --json.
while read -r verb sub; do
    words=("$verb")
    [[ $sub =~ ^[a-z][a-z-]*$ ]] && words+=("$sub")
    check "scimctl ${words[*]} --j: completes to --json" \
        bash -c 'grep -qx -- --json <<< "$1"' _ "$(offers "$file" "$f" scimctl "${words[@]}" --j)"
done < <(awk '/\[--json\]/ { print $1, $2 }' <<< "$commands")
[ "$(grep -c -- '\[--json\]' <<< "$commands")" -ge 9 ] ||
    check "scimctl --help lists [--json] on the 9 listing and show commands" false
opts=$(awk '/^Options:/ { o = 1; next } /^[A-Za-z].*:$/ { o = 0 } o' <<< "$help")
check "scimctl -: the options of scimctl --help" \
    same_set "scimctl -" "$(options_of "$opts")" "$(offers "$file" "$f" scimctl -)"
touch "$tmp/site.conf"
check "scimctl -c: file names" \
    bash -c 'grep -qx -- "$1" <<< "$2"' _ "$tmp/site.conf" "$(offers "$file" "$f" scimctl -c "$tmp/si")"
# users purge's options, a directory after --archive-home, file names for orphans.
purge_opts=$(grep -oE -- '--[a-z-]+' <<< "$(grep -E '^users purge ' <<< "$commands")" | sort -u)
check "scimctl users purge LOGIN -: the options of its --help line" \
    same_set "scimctl users purge LOGIN -" "$purge_opts" "$(offers "$file" "$f" scimctl users purge jdoe -)"
mkdir "$tmp/archives"
check "scimctl users purge LOGIN --archive-home: directories" \
    bash -c '[ "$2" = "$1" ]' _ "$tmp/archives" \
    "$(offers "$file" "$f" scimctl users purge jdoe --archive-home "$tmp/")"
check "scimctl users purge LOGIN --archive-home DIR -: still its options" \
    same_set "scimctl users purge LOGIN --archive-home DIR -" "$purge_opts" \
    "$(offers "$file" "$f" scimctl users purge jdoe --archive-home "$tmp/archives" -)"
check "scimctl orphans PATH PATH: file names" \
    bash -c 'grep -qx -- "$1" <<< "$2"' _ "$tmp/site.conf" "$(offers "$file" "$f" scimctl orphans /srv "$tmp/si")"
check "scimctl orphans PATH -: its options" \
    same_set "scimctl orphans PATH -" "$(printf -- '--all-filesystems\n--json\n')" \
    "$(offers "$file" "$f" scimctl orphans /srv -)"

# ---- scimd ------------------------------------------------------------------------------
file=$dir/scimd
check "packaging/completion/scimd exists" test -f "$file"
f=$(func_of "$file" scimd)
check "sourcing it registers a completion function for scimd (complete -p)" test -n "$f"
[ -n "$f" ] || finish
help=$("$scimd" --help) || die "scimd --help failed"
check "scimd -: the options of scimd --help" \
    same_set "scimd -" "$(options_of "$help")" "$(offers "$file" "$f" scimd -)"
check "scimd --config: file names" \
    bash -c 'grep -qx -- "$1" <<< "$2"' _ "$tmp/site.conf" "$(offers "$file" "$f" scimd --config "$tmp/si")"

finish
