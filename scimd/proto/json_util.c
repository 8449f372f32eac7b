/* SPDX-License-Identifier: MIT */
#include "json_util.h"

#include "scim_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool scim_streq_ci_n(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

json_t *scim_json_get_ci_n(const json_t *obj, const char *key, size_t len, const char **key_out)
{
    const char *k;
    json_t *v;

    if (!json_is_object(obj))
        return NULL;
    json_object_foreach((json_t *)obj, k, v) {
        if (scim_streq_ci_n(key, len, k)) {
            if (key_out)
                *key_out = k;
            return v;
        }
    }
    return NULL;
}

json_t *scim_json_get_ci(const json_t *obj, const char *key, const char **key_out)
{
    json_t *v = json_object_get(obj, key);

    if (v) {
        if (key_out)
            *key_out = key;
        return v;
    }
    return scim_json_get_ci_n(obj, key, strlen(key), key_out);
}

void scim_json_del_ci(json_t *obj, const char *key)
{
    const char *k;
    json_t *v;
    void *tmp;

    if (!json_is_object(obj))
        return;
    json_object_foreach_safe(obj, tmp, k, v) {
        if (strcasecmp(k, key) == 0)
            json_object_del(obj, k);
    }
}

int scim_json_set_ci_new(json_t *obj, const char *key, json_t *value)
{
    const char *k;
    json_t *v;
    void *tmp;

    if (!json_is_object(obj)) {
        json_decref(value);
        return -1;
    }
    /* Replacing the exact key in place keeps the member where it was. */
    json_object_foreach_safe(obj, tmp, k, v) {
        if (strcasecmp(k, key) == 0 && strcmp(k, key) != 0)
            json_object_del(obj, k);
    }
    return json_object_set_new(obj, key, value);
}

int scim_bool_from_string(const char *s)
{
    if (strcasecmp(s, "true") == 0)
        return 1;
    if (strcasecmp(s, "false") == 0)
        return 0;
    return -1;
}

int scim_json_bool(const json_t *v)
{
    if (json_is_boolean(v))
        return json_is_true(v) ? 1 : 0;
    if (json_is_string(v))
        return scim_bool_from_string(json_string_value(v));
    return -1;
}

void scim_error_prefix(struct scim_error *err, const char *fmt, ...)
{
    char prefix[256];
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t plen = strlen(prefix), cap = sizeof(err->detail) - 1;
    size_t dlen = strnlen(err->detail, cap);
    if (dlen + plen > cap)
        dlen = cap - plen;
    memmove(err->detail + plen, err->detail, dlen);
    memcpy(err->detail, prefix, plen);
    err->detail[plen + dlen] = '\0';
}
