/* SPDX-License-Identifier: MIT */
#include "accounts/audit.h"

#include <string.h>

#include "log.h"

static void append(char *buf, size_t buflen, const char *name)
{
    size_t used = strlen(buf);
    if (used + strlen(name) + 2 >= buflen)
        return;
    if (used)
        buf[used++] = ',';
    strcpy(buf + used, name);
}

void audit_changed_attributes(const json_t *old_doc, const json_t *new_doc, bool password,
                              char *buf, size_t buflen)
{
    const char *key;
    json_t *val;
    buf[0] = '\0';
    json_object_foreach((json_t *)new_doc, key, val)
        if (!json_equal(val, json_object_get(old_doc, key)))
            append(buf, buflen, key);
    json_object_foreach((json_t *)old_doc, key, val)
        if (!json_object_get(new_doc, key))
            append(buf, buflen, key);
    if (password)
        append(buf, buflen, "password");
}

void audit_log(const char *token_id, const char *action, const char *resource_type,
               const char *id, const char *name, const char *changed)
{
    log_info("audit: token=%s action=%s resource=%s id=%s name=%s changed=[%s]",
             token_id && *token_id ? token_id : "-", action, resource_type, id, name ? name : "-",
             changed ? changed : "");
}
