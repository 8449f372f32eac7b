/* SPDX-License-Identifier: MIT */
#include "fleet/local_ids.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/id_ledger_held.h"

int local_ids_check(struct local_names *v, struct db *db, bool user, const char *owner,
                    const char *name, uint32_t number, char *reason, size_t reasonlen)
{
    /* A user's uid, then its private group's gid; a group's gid. */
    static const bool lines[2][2] = { { true, true }, { false, true } };
    const bool *ask = lines[user ? 0 : 1];
    bool shared = false;
    int held = -2; /* asked of the ledger only when a holder is found: seldom */
    for (int i = 0; i < 2; i++) {
        if (!ask[i])
            continue;
        bool group = i == 1;
        char who[256];
        int r = local_names_id_holder(v, group, number, who, sizeof(who));
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        /* glibc, when the view asks it, also hears our own cache: an entry of the entity's
         * own name, or any entry for an id it holds (its name before a rename), may be ours.
         * The view's own sources never include scim: whatever they find is local. */
        bool direct = local_names_direct(v);
        if (!direct && strcmp(who, name) == 0)
            continue;
        if (held == -2 && (held = id_ledger_held_by(db, number, owner)) < 0)
            return -1;
        const char *what = group ? "gid" : "uid";
        const char *by = group ? "group " : "";
        if (held == 0) {
            snprintf(reason, reasonlen, "%s %u is taken locally by %s'%s'", what,
                     (unsigned)number, by, who);
            return LOCAL_ID_TAKEN;
        }
        if (!direct)
            continue;
        snprintf(reason, reasonlen, "%s %u is also held locally by %s'%s', added after this "
                 "host took the %s: it stays", what, (unsigned)number, by, who,
                 user ? "user" : "group");
        shared = true;
    }
    return shared ? LOCAL_ID_SHARED : LOCAL_ID_FREE;
}
