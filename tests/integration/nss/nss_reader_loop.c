/* SPDX-License-Identifier: MIT */
/* Reader side of the cache-replacement test: threads call getpwnam_r/getpwuid_r/getgrnam_r
 * through real glibc NSS (service "scim" only) until STOPFILE appears, and check that
 * every answer is complete and internally consistent. Gecos is "gen-N" and home
 * "/home/gen-N" in the cache generation N, so a torn read shows as two different N.
 *
 *   nss_reader_loop USER UID GROUP STOPFILE THREADS
 * Creates STOPFILE.ready once its threads run, so the driver starts replacing the cache
 * only then. Prints one summary line; exits 1 on any error or torn result, or if it never
 * saw a replacement (fewer than 2 generations). */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern int __nss_configure_lookup(const char *dbname, const char *string);

static const char *user, *group, *stopfile;
static uid_t uid;

struct stats {
    unsigned long lookups, errors, torn;
    unsigned long min_gen, max_gen, gen_changes;
    char first_error[256];
};

static void note_error(struct stats *s, const char *what, int rc)
{
    if (s->errors++ == 0)
        snprintf(s->first_error, sizeof(s->first_error), "%s: %s", what,
                 rc ? strerror(rc) : "not found");
}

static void check_passwd(struct stats *s, const struct passwd *pw, unsigned long *last_gen)
{
    unsigned long g1, g2;
    if (sscanf(pw->pw_gecos, "gen-%lu", &g1) != 1 || sscanf(pw->pw_dir, "/home/gen-%lu", &g2) != 1 ||
        g1 != g2 || strcmp(pw->pw_name, user) != 0 || pw->pw_uid != uid) {
        s->torn++;
        return;
    }
    if (g1 != *last_gen)
        s->gen_changes++;
    *last_gen = g1;
    if (g1 < s->min_gen)
        s->min_gen = g1;
    if (g1 > s->max_gen)
        s->max_gen = g1;
}

static void *reader(void *arg)
{
    struct stats *s = arg;
    char buf[4096];
    unsigned long last_gen = 0;
    s->min_gen = ~0ul;
    for (unsigned long i = 0;; i++) {
        if ((i & 63) == 0 && access(stopfile, F_OK) == 0)
            break;
        struct passwd pw, *pres = NULL;
        struct group gr, *gres = NULL;
        int rc = getpwnam_r(user, &pw, buf, sizeof(buf), &pres);
        s->lookups++;
        if (rc || !pres)
            note_error(s, "getpwnam_r", rc);
        else
            check_passwd(s, pres, &last_gen);
        rc = getpwuid_r(uid, &pw, buf, sizeof(buf), &pres);
        s->lookups++;
        if (rc || !pres)
            note_error(s, "getpwuid_r", rc);
        else
            check_passwd(s, pres, &last_gen);
        rc = getgrnam_r(group, &gr, buf, sizeof(buf), &gres);
        s->lookups++;
        if (rc || !gres)
            note_error(s, "getgrnam_r", rc);
        else if (!gres->gr_mem[0] || strcmp(gres->gr_mem[0], user) != 0)
            s->torn++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: nss_reader_loop USER UID GROUP STOPFILE THREADS\n");
        return 2;
    }
    user = argv[1];
    uid = (uid_t)strtoul(argv[2], NULL, 10);
    group = argv[3];
    stopfile = argv[4];
    int n = atoi(argv[5]);
    if (n < 1 || n > 64)
        return 2;
    __nss_configure_lookup("passwd", "scim");
    __nss_configure_lookup("group", "scim");
    /* Warm-up lookup: glibc loads the module once before threads race on it. */
    if (!getpwnam(user)) {
        fprintf(stderr, "warm-up lookup of %s failed\n", user);
        return 1;
    }
    pthread_t th[64];
    struct stats st[64];
    memset(st, 0, sizeof(st));
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, reader, &st[i]) != 0)
            return 1;
    char ready[4096];
    snprintf(ready, sizeof(ready), "%s.ready", stopfile);
    FILE *rf = fopen(ready, "w");
    if (!rf)
        return 1;
    fclose(rf);
    struct stats total = {.min_gen = ~0ul};
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        total.lookups += st[i].lookups;
        total.errors += st[i].errors;
        total.torn += st[i].torn;
        total.gen_changes += st[i].gen_changes;
        if (st[i].min_gen < total.min_gen)
            total.min_gen = st[i].min_gen;
        if (st[i].max_gen > total.max_gen)
            total.max_gen = st[i].max_gen;
        if (!total.first_error[0] && st[i].first_error[0])
            memcpy(total.first_error, st[i].first_error, sizeof(total.first_error));
    }
    printf("lookups=%lu errors=%lu torn=%lu min_gen=%lu max_gen=%lu gen_changes=%lu %s\n",
           total.lookups, total.errors, total.torn, total.min_gen, total.max_gen,
           total.gen_changes, total.first_error);
    return total.errors || total.torn || total.max_gen <= total.min_gen ? 1 : 0;
}
