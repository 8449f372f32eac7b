/* SPDX-License-Identifier: MIT */
/* Password check against the yescrypt hash the IdP's password became in scimd. */
#include "pam_scim.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

/* Compares every byte of the stored hash whatever the input, so the time taken does not
 * tell how long a prefix matched. */
static bool equal_const_time(const char *a, const char *b, size_t b_len)
{
    size_t a_len = strlen(a);
    unsigned char diff = (unsigned char)(a_len != b_len);
    for (size_t i = 0; i < b_len; i++) {
        unsigned char ca = i < a_len ? (unsigned char)a[i] : 0;
        diff |= (unsigned char)(ca ^ (unsigned char)b[i]);
    }
    return diff == 0;
}

int pam_scim_password_matches(const char *password, const char *hash)
{
    struct crypt_data *data = NULL;
    int rc = -1;

    /* scimd stores yescrypt only; anything else is not a password we synced. */
    if (strncmp(hash, "$y$", 3) != 0)
        goto out;
    data = calloc(1, sizeof(*data));
    if (!data)
        goto out;
    const char *out = crypt_r(password, hash, data);
    /* libxcrypt returns a string starting with '*' (never a valid hash) on failure. */
    if (!out || out[0] != '$')
        goto out;
    rc = equal_const_time(out, hash, strlen(hash)) ? 1 : 0;
out:
    if (data) {
        explicit_bzero(data, sizeof(*data));
        free(data);
    }
    return rc;
}
