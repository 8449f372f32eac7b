/* SPDX-License-Identifier: MIT */
#include "accounts/password.h"

#include <crypt.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* yescrypt is memory-hard by design (tens of MB per hash): at most one hash per CPU runs at a
 * time, so a burst of password pushes cannot balloon scimd's memory, and throughput is the
 * same (the CPUs are the limit either way). Requests without a password never wait here. */
static sem_t hash_slots;
static pthread_once_t hash_slots_once = PTHREAD_ONCE_INIT;

static void init_hash_slots(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    sem_init(&hash_slots, 0, n > 0 ? (unsigned)n : 1);
}

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
    pthread_once(&hash_slots_once, init_hash_slots);
    while (sem_wait(&hash_slots) != 0)
        ;
    const char *hash = crypt_r(clear, setting, data);
    sem_post(&hash_slots);
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
