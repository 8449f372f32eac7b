/* SPDX-License-Identifier: MIT */
/* The SUBIDS section: each user's subordinate id slice, read by libsubid_scim.so and the
 * tools. No allocation, no system calls, like the other lookups. */
#include "cache_internal.h"

#include <errno.h>
#include <string.h>

static uint32_t raw_user(const struct scim_cache *c, uint32_t i)
{
    uint32_t user;
    memcpy(&user, c->subids.data + (size_t)i * sizeof(struct scim_cache_subid_rec), sizeof(user));
    return user;
}

int scim_cache_subid_at(const struct scim_cache *c, uint32_t i, struct scim_cache_subid_view *s)
{
    struct scim_cache_subid_rec rec;
    struct scim_cache_user_view u;
    if (i >= c->subids.count)
        return -ENOENT;
    memcpy(&rec, c->subids.data + (size_t)i * sizeof(rec), sizeof(rec));
    /* The checksum covers the owner's name, so a record moved to another user (or a user
     * index pointing elsewhere) fails instead of granting someone else's ids. */
    if (scim_cache_user_at(c, rec.user, &u) < 0)
        return -EBADMSG;
    uint32_t crc = scim_crc32c(&rec, offsetof(struct scim_cache_subid_rec, crc));
    crc = scim_crc32c_update(crc, u.name, u.name_len);
    if (crc != rec.crc)
        return -EBADMSG;
    if (!scim_cache_subid_slice_ok(rec.start, rec.count))
        return -EBADMSG;
    s->user_index = rec.user;
    s->start = rec.start;
    s->count = rec.count;
    return 0;
}

int scim_cache_subids_of(const struct scim_cache *c, uint32_t user_index,
                         struct scim_cache_subid_view *s)
{
    /* Records are sorted by user: a binary search over the raw user fields, then the full
     * check of the one record found. A damaged order can only hide a slice (fail closed). */
    uint32_t lo = 0, hi = c->subids.count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t user = raw_user(c, mid);
        if (user == user_index) {
            int rc = scim_cache_subid_at(c, mid, s);
            if (rc == 0 && s->user_index != user_index)
                rc = -EBADMSG;
            return rc;
        }
        if (user < user_index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -ENOENT;
}

uint32_t scim_cache_subid_count(const struct scim_cache *c)
{
    return c->subids.count;
}
