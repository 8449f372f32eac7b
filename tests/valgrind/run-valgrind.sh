#!/bin/sh
# SPDX-License-Identifier: MIT
# NSS and PAM modules under valgrind, zero errors required (TAP output).
#  - memcheck: getent -s scim passwd/group/shadow/initgroups (enumeration and keys), and
#    nss_lookups (every entry point, ERANGE retries, the cache replaced between rounds);
#  - helgrind: nss_lookups with 3 reader threads while the cache is replaced;
#  - memcheck: pam_driver (pam_scim.so through libpam: account and auth phases).
# Suppressions (glibc.supp) cover glibc/libpam internals only; each says why.
set -u

: "${VALGRIND_NSS_LOOKUPS:?}" "${VALGRIND_PAM_DRIVER:?}" "${VALGRIND_NSS_LIBDIR:?}"
: "${VALGRIND_PAM_MODULE:?}" "${VALGRIND_SUPP:?}"

dir=$(mktemp -d /tmp/scimd-valgrind.XXXXXX)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
export LD_LIBRARY_PATH="$VALGRIND_NSS_LIBDIR"
export SCIM_NSS_CACHE="$dir/nss.cache" SCIM_SHADOW_CACHE="$dir/shadow.cache"

memcheck="valgrind -q --tool=memcheck --error-exitcode=99 --leak-check=full
          --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
          --track-origins=yes --suppressions=$VALGRIND_SUPP"
# --fair-sched: valgrind runs one thread at a time; without a fair lock a reader spinning on
# the module's trylock can starve the thread holding it for minutes.
helgrind="valgrind -q --tool=helgrind --fair-sched=yes --error-exitcode=99 --suppressions=$VALGRIND_SUPP"

n=0
failed=0
check() { # description command...
    desc=$1
    shift
    n=$((n + 1))
    log="$dir/log.$n"
    if "$@" >"$log" 2>&1; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc (exit $?)"
        # valgrind's report first, then the driver's own complaints
        { grep '^==' "$log" | head -100; grep -v '^==' "$log" | head -20; } | sed 's/^/# /'
        failed=$((failed + 1))
    fi
}

# getent wants to see its answer too: fail if it printed nothing (exit 2 = not found)
getent_check() { # expected-substring getent-args...
    want=$1
    shift
    # shellcheck disable=SC2086
    out=$($memcheck getent -s scim "$@") || return $?
    printf '%s\n' "$out"
    printf '%s\n' "$out" | grep -q -- "$want"
}

echo "1..11"
# a cache for getent: the driver writes one and exits (0 rounds, no threads)
check "write the test cache" "$VALGRIND_NSS_LOOKUPS" "$dir" write
check "memcheck: getent passwd (enumerate)" getent_check "alice:x:2000000" passwd
check "memcheck: getent passwd by name and uid" getent_check "carol:x:2000002" passwd alice 2000002
check "memcheck: getent group (enumerate)" getent_check "developers:x:2100000" group
check "memcheck: getent group by name and gid" getent_check "ops:x:2100001" group developers 2100001
check "memcheck: getent shadow" getent_check "alice:" shadow alice carol bob
check "memcheck: getent initgroups" getent_check "2100000" initgroups alice
# shellcheck disable=SC2086
check "memcheck: lookups, ERANGE retries, 20 cache replacements" \
    $memcheck "$VALGRIND_NSS_LOOKUPS" "$dir" 20
# A directory of its own: the run above left generation 21 in $dir, and this run starts again
# at generation 1, which the module rightly refuses as a rollback once it has seen 21.
mkdir -m 755 "$dir/threads"
# shellcheck disable=SC2086
check "helgrind: 3 threads looking up across 6 cache replacements" \
    env SCIM_NSS_CACHE="$dir/threads/nss.cache" SCIM_SHADOW_CACHE="$dir/threads/shadow.cache" \
    $helgrind "$VALGRIND_NSS_LOOKUPS" "$dir/threads" 6 3
if [ -f "$VALGRIND_PAM_MODULE" ]; then
    mkdir -p "$dir/pamtest"
    # shellcheck disable=SC2086
    check "memcheck: pam_scim account and auth phases" \
        $memcheck "$VALGRIND_PAM_DRIVER" "$VALGRIND_PAM_MODULE" "$dir/pamtest"
else
    n=$((n + 1))
    echo "ok $n # SKIP pam_scim.so not built"
fi
# getent exits 2 (nothing found); 99 would be a valgrind error
not_found_check() {
    # shellcheck disable=SC2086
    env SCIM_NSS_CACHE="$dir/none" SCIM_SHADOW_CACHE="$dir/none" $memcheck getent -s scim "$@"
    [ $? -eq 2 ]
}
check "memcheck: lookups against a missing cache" not_found_check passwd alice 2000000
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
