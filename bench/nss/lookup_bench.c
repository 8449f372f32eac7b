/* SPDX-License-Identifier: MIT */
/* NSS lookup timing through glibc: whatever nsswitch.conf names (the caller sets that up in
 * a private mount namespace) is what gets measured.
 *
 *   lookup_bench N ROUNDS ROUND_MS
 *
 * For the N users gen_nss_data wrote (user%06d, uid 1879048192+i, roles role00..role49),
 * each operation runs ROUNDS rounds of about ROUND_MS ms over random keys, and prints one
 * tab-separated line: op, median ns per call, min ns per call, calls, hits (calls that
 * found what they asked for; 0 for the do-nothing module, calls for a correct one). */
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UID_BASE 1879048192u
#define GID_BASE 1880096768u
#define ROLES 50
#define KEYS 65536
#define BUF_SIZE (4u << 20)
#define MAX_ROUNDS 64

enum op { PWNAM, PWUID, GRNAM, GRGID, GRNAM_ROLE, GROUPLIST, MISS, N_OPS };
static const char *op_names[N_OPS] = {
    "getpwnam_r", "getpwuid_r", "getgrnam_r", "getgrgid_r", "getgrnam_r(role)",
    "getgrouplist", "miss(getpwnam_r)",
};

static char names[KEYS][24];
static uint32_t ids[KEYS];
static char *buf;
static size_t n_users;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state = 88172645463325252ull;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static void fill_keys(enum op op)
{
    for (size_t k = 0; k < KEYS; k++) {
        uint32_t i = rng() % (uint32_t)n_users;
        if (op == GRNAM_ROLE) {
            snprintf(names[k], sizeof(names[k]), "role%02u", i % ROLES);
            ids[k] = GID_BASE + i % ROLES;
        } else if (op == MISS) {
            snprintf(names[k], sizeof(names[k]), "nouser%06u", i);
        } else {
            snprintf(names[k], sizeof(names[k]), "user%06u", i);
            ids[k] = UID_BASE + i;
        }
    }
}

/* One call; returns 1 if it found the entry. */
static int call(enum op op, size_t k)
{
    struct passwd pw, *pwr = NULL;
    struct group gr, *grr = NULL;
    k &= KEYS - 1;
    switch (op) {
    case PWNAM:
    case MISS:
        return getpwnam_r(names[k], &pw, buf, BUF_SIZE, &pwr) == 0 && pwr;
    case PWUID:
        return getpwuid_r(ids[k], &pw, buf, BUF_SIZE, &pwr) == 0 && pwr;
    case GRNAM:
    case GRNAM_ROLE:
        return getgrnam_r(names[k], &gr, buf, BUF_SIZE, &grr) == 0 && grr;
    case GRGID:
        return getgrgid_r(ids[k], &gr, buf, BUF_SIZE, &grr) == 0 && grr;
    case GROUPLIST: {
        gid_t groups[256];
        int ng = 256;
        /* Found = the user's supplementary role groups came back, not just the given gid. */
        return getgrouplist(names[k], ids[k], groups, &ng) >= 0 && ng >= 2;
    }
    default:
        return 0;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run_op(enum op op, int rounds, double round_ms)
{
    double per_call[MAX_ROUNDS];
    uint64_t calls = 0, hits = 0;
    size_t k = 0;
    fill_keys(op);
    /* Warm up (module load, first mmap/open) outside the timed rounds. */
    uint64_t t0 = now_ns();
    call(op, k++);
    uint64_t one = now_ns() - t0 + 1;
    uint64_t batch = (uint64_t)(round_ms * 1e6 / 20.0) / one;
    if (batch < 1)
        batch = 1;
    if (batch > 4096)
        batch = 4096;
    for (int r = 0; r < rounds; r++) {
        uint64_t n = 0, start = now_ns(), el;
        do {
            for (uint64_t b = 0; b < batch; b++)
                hits += (uint64_t)call(op, k++);
            n += batch;
            el = now_ns() - start;
        } while (el < (uint64_t)(round_ms * 1e6));
        per_call[r] = (double)el / (double)n;
        calls += n;
    }
    qsort(per_call, (size_t)rounds, sizeof(double), cmp_double);
    printf("%s\t%.1f\t%.1f\t%llu\t%llu\n", op_names[op], per_call[rounds / 2], per_call[0],
           (unsigned long long)calls, (unsigned long long)hits);
    fflush(stdout);
}

/* Whole-database enumeration: setpwent, getpwent_r until the end, endpwent. */
static void run_enum(int rounds)
{
    double ms[MAX_ROUNDS];
    unsigned long long count = 0;
    for (int r = 0; r < rounds; r++) {
        struct passwd pw, *pwr;
        uint64_t start = now_ns();
        count = 0;
        setpwent();
        while (getpwent_r(&pw, buf, BUF_SIZE, &pwr) == 0 && pwr)
            count++;
        endpwent();
        ms[r] = (double)(now_ns() - start) / 1e6;
    }
    qsort(ms, (size_t)rounds, sizeof(double), cmp_double);
    printf("enumerate(getpwent)\t%.3f\t%.3f\t%d\t%llu\n", ms[rounds / 2], ms[0], rounds, count);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: lookup_bench N ROUNDS ROUND_MS\n");
        return 2;
    }
    n_users = strtoul(argv[1], NULL, 10);
    int rounds = atoi(argv[2]);
    double round_ms = atof(argv[3]);
    if (n_users == 0 || rounds < 1 || rounds > MAX_ROUNDS || round_ms <= 0) {
        fprintf(stderr, "lookup_bench: bad arguments\n");
        return 2;
    }
    buf = malloc(BUF_SIZE);
    if (!buf)
        return 1;
    for (int op = 0; op < N_OPS; op++)
        run_op((enum op)op, rounds, round_ms);
    run_enum(rounds);
    return 0;
}
