#include "password.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

char *password_hash_new(const char *clear, struct scim_error *err)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *data = NULL;
    char *out = NULL;

    size_t n = strlen(clear);
    if (n == 0 || n > PASSWORD_MAX_LEN) {
        scim_error_set(err, 400, "invalidValue", "password must be 1 to %d bytes",
                       PASSWORD_MAX_LEN);
        goto out;
    }
    if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting))) {
        scim_error_set(err, 500, NULL, "cannot generate a password salt");
        goto out;
    }
    data = calloc(1, sizeof(*data));
    if (!data) {
        scim_error_set(err, 500, NULL, "out of memory");
        goto out;
    }
    const char *hash = crypt_r(clear, setting, data);
    if (!hash || hash[0] == '*') {
        scim_error_set(err, 500, NULL, "cannot hash the password");
        goto out;
    }
    out = strdup(hash);
    if (!out)
        scim_error_set(err, 500, NULL, "out of memory");
out:
    if (data) {
        explicit_bzero(data, sizeof(*data));
        free(data);
    }
    return out;
}
