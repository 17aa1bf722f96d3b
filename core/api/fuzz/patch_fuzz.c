/* libFuzzer target for the core/api JSON libraries (make fuzz-api).
 *
 * Input: one mode byte, then "<doc JSON>\0<patch JSON>". Mode (byte % 6):
 * 0 merge patch, 1 JSON patch, 2 strategic merge patch (Deployment),
 * 3 server-side apply (doc = live, patch = applied, force on odd bytes),
 * 4 label selector string (the rest as text) + LabelSelector object (doc),
 * 5 field selector + object meta validation.
 * Every call must return 0 or an error without crashing or leaking.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/apply.h"
#include "api/patch_json.h"
#include "api/patch_merge.h"
#include "api/patch_strategic.h"
#include "api/selector.h"
#include "api/validate.h"

static const char *const KINDS[] = { "Deployment", "Pod", "Service", "CronJob", "ConfigMap", "Node" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t mode = data[0];
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;
    const char *nul = memchr(rest, 0, n);
    size_t dlen = nul ? (size_t)(nul - rest) : n;
    cJSON *doc = cJSON_ParseWithLength(rest, dlen);
    cJSON *patch = nul ? cJSON_ParseWithLength(nul + 1, n - dlen - 1) : NULL;
    const char *kind = KINDS[(mode / 6) % (sizeof KINDS / sizeof KINDS[0])];
    cJSON *out = NULL, *causes = NULL;
    skiff_error_t err = {0};

    switch (mode % 6) {
    case 0:
        if (patch) skiff_api_merge_patch(doc, patch, &out, &err);
        break;
    case 1:
        if (patch) skiff_api_json_patch(doc, patch, &out, &err);
        break;
    case 2:
        if (patch) skiff_api_strategic_patch(doc, patch, kind, &out, &err);
        break;
    case 3:
        if (patch) {
            skiff_api_apply_opts_t o = { .manager = "fuzz", .api_version = "apps/v1", .kind = kind, .force = mode & 1 };
            if (skiff_api_apply(doc, patch, &o, &out, &causes, &err) == 0 && out) {
                /* Re-apply and record an update on the result too. */
                cJSON *again = NULL;
                o.force = 0;
                if (skiff_api_apply(out, patch, &o, &again, NULL, &err) == 0) cJSON_Delete(again);
                skiff_api_apply_opts_t u = { .manager = "other", .api_version = "v1", .kind = kind };
                cJSON *copy = cJSON_Duplicate(out, 1);
                if (copy) {
                    skiff_api_apply_record_update(copy, doc, &u, &err);
                    cJSON_Delete(copy);
                }
            }
        }
        break;
    case 4: {
        char *text = strndup(rest, dlen);
        skiff_api_selector_t *s = NULL;
        size_t pos;
        if (text && skiff_api_label_selector_parse(text, &s, &pos, &err) == 0) {
            char *f = skiff_api_selector_format(s);
            free(f);
            skiff_api_selector_matches(s, patch);
            skiff_api_selector_free(s);
        }
        free(text);
        if (skiff_api_label_selector_from_object(patch, &s, &err) == 0) {
            skiff_api_selector_matches(s, doc);
            skiff_api_selector_free(s);
        }
        break;
    }
    case 5: {
        char *text = strndup(rest, dlen);
        skiff_api_field_selector_t *s = NULL;
        if (text && skiff_api_field_selector_parse(text, &s, &err) == 0) {
            skiff_api_field_selector_matches(s, patch, NULL, NULL);
            skiff_api_field_selector_free(s);
        }
        free(text);
        cJSON *c = cJSON_CreateArray();
        if (c && patch) skiff_api_validate_object_meta(patch, (skiff_api_name_rule_t)(mode % 3), mode & 1, c);
        cJSON *st = skiff_api_status_invalid("Kind", "g", "n", c);
        cJSON_Delete(st);
        break;
    }
    }
    cJSON_Delete(out);
    cJSON_Delete(causes);
    cJSON_Delete(doc);
    cJSON_Delete(patch);
    return 0;
}
