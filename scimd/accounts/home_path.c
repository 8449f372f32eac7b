/* SPDX-License-Identifier: MIT */
#include "accounts/home_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scimd_config.h"
#include "store/store.h"
#include "store/users_homes.h"

size_t home_path_size(const char *tmpl, const char *login)
{
    size_t n = strlen(tmpl) + 1;
    for (const char *p = tmpl; *p; p++)
        if (p[0] == '%' && p[1] == 'u')
            n += strlen(login);
    return n;
}

void home_path_write(char *out, const char *tmpl, const char *login)
{
    char *o = out;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 'u') {
            o = stpcpy(o, login);
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            *o++ = '%';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

char *home_path_new(const char *tmpl, const char *login)
{
    char *out = malloc(home_path_size(tmpl, login));
    if (out)
        home_path_write(out, tmpl, login);
    return out;
}

static char *home_for(const char *login, void *arg)
{
    return home_path_new(arg, login);
}

struct pin_ctx {
    const char *tmpl;
    int pinned;
};

static int pin_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct pin_ctx *p = arg;
    p->pinned = users_homes_pin(db, home_for, (void *)p->tmpl, err);
    return p->pinned < 0 ? -1 : 0;
}

int home_path_pin_existing(const struct scimd_config *cfg, struct store *st, char *err,
                           size_t errlen)
{
    struct pin_ctx p = { .tmpl = cfg->home };
    struct scim_error e = { 0 };
    if (store_write(st, pin_fn, &p, &e) < 0) {
        snprintf(err, errlen, "recording the home directories of existing users: %s", e.detail);
        return -1;
    }
    if (p.pinned > 0)
        log_info("home directories of %d existing users recorded (fixed from now on, renames "
                 "keep them)", p.pinned);
    return 0;
}
