/* libFuzzer target: the PATCH engine. The input is a PATCH request body; it is applied to
 * a copy of a fixed user and of a fixed group, as scimd does for PATCH /Users/{id} and
 * /Groups/{id}. A patch that applies is then validated and projected like scimd does before
 * storing and answering. scim_patch_apply promises atomicity: on error the resource must be
 * unchanged, which this target checks. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "patch.h"
#include "validate.h"

static json_t *sample_user, *sample_group;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sample_user = fuzz_json(FUZZ_SAMPLE_USER);
    sample_group = fuzz_json(FUZZ_SAMPLE_GROUP);
    return 0;
}

static void apply_to(const json_t *request, const json_t *sample,
                     const struct scim_resource_type *rt)
{
    json_t *res = json_deep_copy(sample);
    if (!res)
        return;
    struct scim_error err;
    scim_error_clear(&err);
    if (scim_patch_apply(res, request, rt, &err) != 0) {
        if (!json_equal(res, sample))
            abort(); /* a failed PATCH changed the resource */
        if (err.status < 400 || err.status > 499 || err.detail[0] == '\0')
            abort();
        goto out;
    }
    scim_error_clear(&err);
    if (scim_resource_validate(res, rt, SCIM_WRITE_REPLACE, &err) == 0) {
        json_t *all = scim_resource_project(res, rt, NULL, NULL);
        json_t *some = scim_resource_project(res, rt, "userName,emails.value,members",
                                             "name.givenName,meta");
        json_decref(all);
        json_decref(some);
    }
out:
    json_decref(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *request = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!request)
        return 0;
    apply_to(request, sample_user, &scim_rt_user);
    apply_to(request, sample_group, &scim_rt_group);
    json_decref(request);
    return 0;
}
