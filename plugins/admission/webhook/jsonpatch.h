/* admission/webhook — RFC 6902 JSON Patch over a cJSON tree (a webhook's
 * `patch`), and base64 (patches and caBundles come base64-encoded). */
#ifndef WEBHOOK_JSONPATCH_H
#define WEBHOOK_JSONPATCH_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Apply `patch` (a JSON array of operations) to *doc in place. Returns 0,
 * or -1 with a one-line reason in why (the document may be half-patched:
 * callers patch a copy). */
int webhook_jsonpatch_apply(cJSON *doc, const cJSON *patch, char *why, size_t whylen);

/* Decode standard base64 (padding optional, whitespace skipped); malloc'd,
 * NUL-terminated, length in *len. NULL when not base64. */
char *webhook_b64_decode(const char *in, size_t *len);

#endif
