/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the PATCH engine. The input is a PATCH request body; it is applied to
 * a copy of a fixed user and of a fixed group, as scimd does for PATCH /Users/{id} and
 * /Groups/{id}. A patch that applies is then validated and projected like scimd does before
 * storing and answering, and the same body is validated as a POST body. Contracts checked:
 * scim_patch_apply is atomic (on error the resource is unchanged, and the error says why),
 * and validation's output is a fixed point (validating it again changes nothing). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "patch.h"
#include "validate.h"

static json_t *sample_user, *sample_group, *minimal_user;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sample_user = fuzz_json(FUZZ_SAMPLE_USER);
    sample_group = fuzz_json(FUZZ_SAMPLE_GROUP);
    minimal_user = fuzz_json("{\"userName\":\"a\"}");
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
        json_t *again = json_deep_copy(res);
        scim_error_clear(&err);
        if (!again || scim_resource_validate(again, rt, SCIM_WRITE_REPLACE, &err) != 0 ||
            !json_equal(again, res))
            abort(); /* the canonical form is not a fixed point */
        json_decref(again);
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
    json_t *request = json_loadb((const char *)data, size,
                                 JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (!request)
        return 0;
    apply_to(request, sample_user, &scim_rt_user);
    apply_to(request, minimal_user, &scim_rt_user);
    apply_to(request, sample_group, &scim_rt_group);
    /* the same JSON as a POST body */
    const struct scim_resource_type *types[] = {&scim_rt_user, &scim_rt_group};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        json_t *body = json_deep_copy(request);
        struct scim_error err;
        scim_error_clear(&err);
        if (body)
            (void)scim_resource_validate(body, types[i], SCIM_WRITE_CREATE, &err);
        json_decref(body);
    }
    json_decref(request);
    return 0;
}
