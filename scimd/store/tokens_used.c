/* SPDX-License-Identifier: MIT */
#include "store/tokens_used.h"

#include "store/store.h"

int tokens_used_write(struct db *db, void *id, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    return store_exec_bind(db, "recording the token's last use", err,
                           "UPDATE tokens SET last_used = ? WHERE id = ?", "tt", now,
                           (const char *)id);
}
