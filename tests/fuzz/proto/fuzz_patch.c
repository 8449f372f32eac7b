/* libFuzzer target: PATCH bodies (and the same JSON as POST bodies). Checks the contracts
 * too: a failed PATCH leaves the resource unchanged; validation output is a fixed point. */
#include <stdint.h>

#include "fuzz_common.h"
#include "patch.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void patch_one(const json_t *orig, const json_t *req, const struct scim_resource_type *rt)
{
    struct scim_error err;
    json_t *res = json_deep_copy(orig);

    if (scim_patch_apply(res, req, rt, &err) != 0) {
        if (!json_equal(res, orig))
            abort(); /* not atomic */
    } else if (scim_resource_validate(res, rt, SCIM_WRITE_REPLACE, &err) == 0) {
        json_t *again = json_deep_copy(res);
        if (scim_resource_validate(again, rt, SCIM_WRITE_REPLACE, &err) != 0 ||
            !json_equal(again, res))
            abort(); /* canonical form is not a fixed point */
        json_decref(again);
    }
    json_decref(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *user, *group, *minimal;
    struct scim_error err;

    if (!user) {
        user = fuzz_load("user_full.json");
        group = fuzz_load("group_sample.json");
        minimal = json_pack("{s:s}", "userName", "a");
    }
    json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                             NULL);
    if (!req)
        return 0;
    patch_one(user, req, &scim_rt_user);
    patch_one(minimal, req, &scim_rt_user);
    patch_one(group, req, &scim_rt_group);
    json_t *body = json_deep_copy(req);
    scim_resource_validate(body, &scim_rt_user, SCIM_WRITE_CREATE, &err);
    json_decref(body);
    body = json_deep_copy(req);
    scim_resource_validate(body, &scim_rt_group, SCIM_WRITE_CREATE, &err);
    json_decref(body);
    json_decref(req);
    return 0;
}
