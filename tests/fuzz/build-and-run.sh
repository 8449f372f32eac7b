#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) straight
# from the sources (the meson build may use gcc, whose objects libFuzzer cannot
# instrument), replays every kept crasher, then fuzzes each target for a fixed time.
#
#   build-and-run.sh SOURCE_ROOT BUILD_ROOT [TARGET...]
#
# Environment:
#   FUZZ_SECONDS   seconds of fuzzing per target (default 10; 0 = only replay crashers)
#   FUZZ_WORKDIR   where binaries, the growing corpora and new crash artifacts go
#                  (default: BUILD_ROOT/tests/fuzz/work); kept between runs
#   FUZZ_JOBS      parallel fuzzing processes per target (default 1)
#   CC_FUZZ        the clang to use (default: clang)
#   CACHE_CRC      stub (default: every CRC is 0, so mutations reach the record parsers)
#                  or real (the shipped CRC32C)
# Exit status: 0 when every crasher replays cleanly and no target found anything new.
set -eu

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
shift 2
targets=${*:-filter patch resource cache config}
seconds=${FUZZ_SECONDS:-10}
jobs=${FUZZ_JOBS:-1}
cc=${CC_FUZZ:-clang}
work=${FUZZ_WORKDIR:-$build/tests/fuzz/work}
fuzzdir=$src/tests/fuzz
mkdir -p "$work/bin"

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "1..0 # SKIP $cc not found"
    exit 0
fi

cflags="-g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Wall -Wextra -Werror -Wno-unused-parameter -I$fuzzdir"
proto_src=$(ls "$src"/scimd/proto/*.c)
cache_src=""
for f in "$src"/common/*.c; do
    case $f in */scim_crc32c.c) ;; *) cache_src="$cache_src $f" ;; esac
done
jansson=$(pkg-config --cflags --libs jansson 2>/dev/null || echo -ljansson)
libpq=$(pkg-config --cflags --libs libpq 2>/dev/null || echo -lpq)

# The config parser includes meson's generated config.h: -I"$build" reaches it.
compile() {
    name=$1
    shift
    echo "# building fuzz-$name"
    # shellcheck disable=SC2086
    "$cc" $cflags "$@" -o "$work/bin/fuzz-$name" || return 1
}

crc_src=$fuzzdir/crc_stub.c
[ "${CACHE_CRC:-stub}" = real ] && crc_src=$src/common/scim_crc32c.c

build_target() {
    case $1 in
    filter | patch)
        # shellcheck disable=SC2086
        compile "$1" -include stddef.h -I"$src/scimd/proto" -I"$build" \
            "$fuzzdir/fuzz_$1.c" $proto_src $jansson || return 1 ;;
    resource)
        # shellcheck disable=SC2086
        compile "$1" -include stddef.h -I"$src/scimd/proto" -I"$src/common" \
            -I"$build" "$fuzzdir/fuzz_$1.c" $proto_src "$src/common/scim_names.c" $jansson || return 1 ;;
    cache)
        # shellcheck disable=SC2086
        compile cache -I"$src/common" "$fuzzdir/fuzz_cache.c" $cache_src "$crc_src" || return 1
        # seeds come from the real writer, built with the same CRC as the target
        # shellcheck disable=SC2086
        "$cc" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=address,undefined -I"$src/common" \
            "$fuzzdir/gen_cache_seed.c" $cache_src "$crc_src" -o "$work/bin/gen-cache-seed" \
            || return 1
        mkdir -p "$work/seeds/cache" || return 1
        "$work/bin/gen-cache-seed" "$work/seeds/cache" || return 1 ;;
    config)
        # The parser checks [store] url with libpq (store_config.c). $libpq is words.
        # shellcheck disable=SC2086
        compile config -I"$src/scimd" -I"$build" "$fuzzdir/fuzz_config.c" \
            "$src/scimd/scimd_config.c" "$src/scimd/config_keys.c" "$src/scimd/config_dropins.c" \
            "$src/scimd/follow_config.c" "$src/scimd/store_config.c" "$src/scimd/secret_file.c" \
            "$src/scimd/store/db.c" "$src/scimd/store/db_pg.c" "$src/scimd/store/db_pg_sql.c" \
            -lnettle $libpq || return 1
        mkdir -p "$work/seeds/config" || return 1
        cp "$src/packaging/scimd.conf" "$work/seeds/config/packaging-scimd.conf" || return 1 ;;
    *)
        echo "unknown fuzz target '$1'" >&2
        return 1 ;;
    esac
}

# Read-only seed directories of a target: its own corpus/ and any others it shares.
seed_dirs() {
    [ -d "$fuzzdir/$1/corpus" ] && echo "$fuzzdir/$1/corpus"
    case $1 in
    cache) echo "$work/seeds/cache" ;;
    config) echo "$work/seeds/config" ;;
    esac
}

failed=""
n=0
for t in $targets; do
    n=$((n + 1))
done
echo "1..$n"
i=0
for t in $targets; do
    i=$((i + 1))
    if ! build_target "$t"; then
        echo "not ok $i - fuzz-$t: build failed"
        failed="$failed $t"
        continue
    fi
    bin=$work/bin/fuzz-$t
    status=ok
    note=""

    # 1. every kept crasher must now run cleanly (regression inputs)
    crashers=$(find "$fuzzdir/$t/crashers" -type f ! -name '*.md' 2>/dev/null | sort)
    if [ -n "$crashers" ]; then
        # shellcheck disable=SC2086
        if ! "$bin" -runs=1 $crashers >"$work/$t-replay.log" 2>&1; then
            status="not ok"
            note="a kept crasher still fails (see $work/$t-replay.log)"
            grep -E 'ERROR|runtime error|Running:' "$work/$t-replay.log" | tail -5 | sed 's/^/# /'
        fi
    fi

    # 2. fuzz for a fixed time; new units go to the work corpus, never the source tree
    if [ "$status" = ok ] && [ "$seconds" -gt 0 ]; then
        mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
        dict=""
        par=""
        # -jobs forks workers that log to ./fuzz-N.log: only when asked for
        [ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs -close_fd_mask=1"
        [ -f "$fuzzdir/$t.dict" ] && dict="-dict=$fuzzdir/$t.dict"
        # shellcheck disable=SC2046,SC2086
        if ! "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
            -print_final_stats=1 $par $dict \
            -artifact_prefix="$work/artifacts/$t/" \
            "$work/corpus/$t" $(seed_dirs "$t") \
            >"$work/$t-fuzz.log" 2>&1; then
            status="not ok"
            if [ -n "$(ls "$work/artifacts/$t/" 2>/dev/null)" ]; then
                note="new finding in $work/artifacts/$t/ (log: $work/$t-fuzz.log); keep it under tests/fuzz/$t/crashers/ once fixed"
            else
                note="the fuzzer failed to run (log: $work/$t-fuzz.log)"
                tail -3 "$work/$t-fuzz.log" | sed 's/^/# /'
            fi
            grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$work/$t-fuzz.log" | head -8 | sed 's/^/# /'
        else
            grep -E '^stat::(number_of_executed_units|new_units_added)' "$work/$t-fuzz.log" \
                | sed 's/^/# /'
        fi
    fi
    echo "$status $i - fuzz-$t${note:+: $note}"
    [ "$status" = ok ] || failed="$failed $t"
done

if [ -n "$failed" ]; then
    echo "# failed:$failed"
    nfailed=$(echo "$failed" | wc -w)
    echo "# $((n - nfailed)) passed, $nfailed failed"
    exit 1
fi
echo "# $n passed, 0 failed"
