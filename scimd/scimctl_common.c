/* SPDX-License-Identifier: MIT */
#include "scimctl_common.h"

#include <stdio.h>
#include <string.h>

#include "accounts/startup_checks.h"
#include "store/seq_reserve.h"
#include "store/store.h"
#include "store_config.h"

int scimctl_open_store(const struct scimd_config *cfg, bool existing, struct store **st)
{
    char err[1024];
    int r = existing ? store_config_open_existing(cfg, st, err, sizeof(err))
                     : store_config_open(cfg, st, false, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "scimctl: %s\n", err);
        return -1;
    }
    /* What scimctl writes to the change log is covered by the guard's reservation too
     * (store/seq_reserve.h); a damaged guard already stops scimd, reads go on. */
    char path[4096];
    if (hwm_file_path(cfg, path, sizeof(path)) < 0 ||
        seq_reserve_attach(path, err, sizeof(err)) < 0)
        fprintf(stderr, "scimctl: warning: %s: changes made now are not covered by the "
                        "change log reservation\n", err);
    return 0;
}

bool scimctl_take_flag(int *argc, char **argv, const char *flag)
{
    bool found = false;
    int kept = 0;
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], flag) == 0)
            found = true;
        else
            argv[kept++] = argv[i];
    }
    *argc = kept;
    return found;
}

int scimctl_print_json(json_t *doc)
{
    int ret = 1;
    if (doc && json_dumpf(doc, stdout, JSON_INDENT(2)) == 0 && putchar('\n') != EOF &&
        fflush(stdout) == 0)
        ret = 0;
    else
        fprintf(stderr, "scimctl: cannot write the JSON document\n");
    json_decref(doc);
    return ret;
}

/* Optimal string alignment distance (a transposition counts once: "usres" -> "users"). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32)
        return 99;
    size_t d[33][33];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *scimctl_closest(const char *word, const char *const *choices)
{
    const char *best = NULL;
    size_t best_d = 3, wl = strlen(word);
    for (size_t i = 0; choices[i]; i++) {
        size_t d = distance(word, choices[i]);
        /* "hi" is two edits from many words: a suggestion needs more left than changed. */
        if (d < best_d && d < wl) {
            best = choices[i];
            best_d = d;
        }
    }
    if (!best && wl >= 2)
        for (size_t i = 0; choices[i]; i++)
            if (strncmp(choices[i], word, wl) == 0)
                return choices[i];
    return best;
}

bool scimctl_is_one_of(const char *word, const char *const *choices)
{
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(word, choices[i]) == 0)
            return true;
    return false;
}

int scimctl_unknown(const char *what, const char *word, const char *const *choices)
{
    const char *near = scimctl_closest(word, choices);
    if (near)
        fprintf(stderr, "scimctl: unknown %s '%s'; did you mean '%s'?\n", what, word, near);
    else
        fprintf(stderr, "scimctl: unknown %s '%s' (see scimctl --help)\n", what, word);
    return 2;
}
