/* SPDX-License-Identifier: MIT */
#include "accounts/field_strings.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 8

int strings_replace_all(char **const fields[], const char *const values[], size_t n)
{
    char *copies[MAX_FIELDS] = { 0 };
    if (n > MAX_FIELDS)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (values[i] && !(copies[i] = strdup(values[i]))) {
            for (size_t k = 0; k < i; k++)
                free(copies[k]);
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(*fields[i]);
        *fields[i] = copies[i];
    }
    return 0;
}
