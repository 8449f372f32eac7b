# SPDX-License-Identifier: MIT
# Shared helpers for the packaging checks: named checks, a closing "N passed, N failed"
# line, and a copy of the source tree to build packages from.

pass=0
fail=0
failed_names=()

ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() {
    echo "FAIL - $1" >&2
    [ $# -gt 1 ] && printf '    %s\n' "${@:2}" >&2
    fail=$((fail + 1))
    failed_names+=("$1")
}

# check NAME COMMAND...: runs COMMAND, records the result under NAME.
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

finish() {
    echo "$pass passed, $fail failed"
    if [ "$fail" -ne 0 ]; then
        printf 'failed: %s\n' "${failed_names[@]}" >&2
        exit 1
    fi
    exit 0
}

# Fatal setup problem: says what and stops with a failing status (not a skip).
die() {
    echo "ERROR: $*" >&2
    echo "$pass passed, $((fail + 1)) failed"
    exit 1
}

skip() {
    echo "SKIP: $*"
    exit 77
}

src_root() {
    if [ -n "${SCIMD_SOURCE_ROOT:-}" ]; then
        echo "$SCIMD_SOURCE_ROOT"
    else
        (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    fi
}

# copy_tree DEST: the working tree as it is (committed or not), without VCS data, build
# directories or a debian/ directory, so package builds never write into the real tree.
copy_tree() {
    local dest=$1
    mkdir -p "$dest"
    tar -C "$(src_root)" --exclude-vcs --exclude='./build*' --exclude='./debian' -cf - . |
        tar -C "$dest" -xf -
}
