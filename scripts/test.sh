#!/bin/bash
# SPDX-License-Identifier: MIT
# The whole test suite, as CI runs it: installs dependencies, builds with warnings as errors,
# runs every meson test (unit, integration, packaging), then the unit tests again in an
# ASan+UBSan build. Ends with one line "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

# The integration tests need root (mount namespaces, PAM, sshd).
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        exec sudo -E bash "$0" "$@"
    fi
    echo "test.sh: the integration tests need root (mount namespaces, PAM, sshd), and sudo is not installed: run it as root" >&2
    exit 2
fi

bash scripts/deps.sh || { echo "test.sh: installing dependencies failed" >&2; echo "0 passed, 1 failed"; exit 1; }

mkdir -p build
builds=()
failed_steps=0

# A SIGTERM (a CI timeout) is passed on to the running meson test, or to its wrapper, which
# passes it on and then removes its PostgreSQL cluster.
serving=
trap '[ -n "$serving" ] && kill -TERM "$serving" 2>/dev/null && wait "$serving"; exit 143' TERM

run_build() {
    local dir=$1; shift
    local suites=("$@")
    rm -rf "$dir"
    if ! meson setup "$dir" --werror "${setup_args[@]}" >"$dir.setup.log" 2>&1; then
        cat "$dir.setup.log" >&2
        echo "test.sh: meson setup of $dir failed" >&2
        failed_steps=$((failed_steps + 1))
        return
    fi
    rm -f "$dir.setup.log"
    if ! ninja -C "$dir"; then
        echo "test.sh: build of $dir failed" >&2
        failed_steps=$((failed_steps + 1))
        return
    fi
    local suite_args=()
    for s in "${suites[@]}"; do suite_args+=(--suite "$s"); done
    # One PostgreSQL cluster for the whole run: each pg integration test makes its own
    # databases in it (SCIMD_TEST_PG_HOST) instead of an initdb and a server of its own; the
    # tests that stop the server still start their own. Removed when meson test ends.
    local runner=()
    [ "$shared_pg" = 1 ] && runner=(python3 tests/integration/harness/pgcluster.py serve --)
    "${runner[@]}" meson test -C "$dir" --print-errorlogs --num-processes 2 "${suite_args[@]}" &
    serving=$!
    wait "$serving"
    serving=
    builds+=("$dir")
}

# 1. The plain build, every suite.
setup_args=(-Dbuildtype=debugoptimized)
shared_pg=1
run_build build/ci

# 2. ASan+UBSan: the unit tests (an ASan-built NSS module cannot run inside getent).
setup_args=(-Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dintegration=false)
shared_pg=0  # its pg tests (pgcluster.py run --) each start their own cluster
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# pg: the PostgreSQL driver against its throw-away cluster, under the sanitizers too.
run_build build/asan proto cache core pam pg

passed=0
failed=$failed_steps
for b in "${builds[@]}"; do
    log="$b/meson-logs/testlog.json"
    [ -f "$log" ] || { failed=$((failed + 1)); continue; }
    read -r p f < <(python3 - "$log" <<'PY'
import json, sys
p = f = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r != "SKIP":
        f += 1
print(p, f)
PY
)
    passed=$((passed + p))
    failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
