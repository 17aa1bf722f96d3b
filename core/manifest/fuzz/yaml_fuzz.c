/* libFuzzer target for core/manifest: every decoder on the same bytes, and
 * for whatever decodes, the round trip encode -> decode must give an equal
 * tree (in both typing modes). A failed property aborts, which libFuzzer
 * reports as a crash with the input saved.
 * Build: make fuzz-yaml (clang, -fsanitize=fuzzer,address,undefined). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "manifest/manifest.h"

static void fail(const char *what, const skiff_error_t *err, const char *yaml)
{
    fprintf(stderr, "yaml_fuzz: %s: %s\n--- encoded:\n%s\n---\n", what, err ? err->msg : "", yaml ? yaml : "");
    abort();
}

/* docs is a stream (array of documents) decoded in mode `flags`; the
 * encoding must decode to the same in both modes. */
static void check_roundtrip(const cJSON *docs)
{
    char *y = NULL;
    size_t yl = 0;
    skiff_error_t err = {0};
    if (skiff_manifest_encode_yaml_stream(docs, &y, &yl, &err)) fail("encode of a decoded tree failed", &err, NULL);
    for (int m = 0; m < 2; m++) {
        skiff_manifest_opts_t o = {.flags = m ? SKIFF_MANIFEST_YAML11 : 0, .max_alias_nodes = 20000};
        cJSON *back = NULL;
        if (skiff_manifest_decode_yaml(y, yl, &o, &back, &err)) fail("re-decode of our own YAML failed", &err, y);
        if (!cJSON_Compare(docs, back, 1)) fail("round trip changed the tree", NULL, y);
        cJSON_Delete(back);
    }
    free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    skiff_error_t err = {0};
    char warn[128];
    for (int m = 0; m < 2; m++) {
        /* the second pass also lets duplicates through (last wins) */
        skiff_manifest_opts_t o = {.flags = m ? SKIFF_MANIFEST_YAML11 | SKIFF_MANIFEST_DUPLICATES_LAST_WINS : 0,
                                   .max_alias_nodes = 20000, .warn_buf = warn, .warn_len = sizeof warn};
        cJSON *docs = NULL;
        if (skiff_manifest_decode_yaml(buf, size, &o, &docs, &err) == 0) {
            check_roundtrip(docs);
            cJSON_Delete(docs);
        } else if (docs || err.msg[0] == '\0') {
            fail("failed decode without a message or with a result", &err, NULL);
        }
    }
    cJSON *doc = NULL;
    skiff_manifest_opts_t lenient = {.flags = SKIFF_MANIFEST_DUPLICATES_LAST_WINS};
    if (skiff_manifest_decode_body_opts(buf, size, &lenient, &doc, &err) == 0) {
        cJSON *docs = cJSON_CreateArray();
        if (!docs) abort();
        cJSON_AddItemToArray(docs, doc);
        check_roundtrip(docs);
        cJSON_Delete(docs);
    }
    doc = NULL;
    if (skiff_manifest_decode_body(buf, size, 0, 0, &doc, &err) == 0) {
        cJSON *docs = cJSON_CreateArray();
        if (!docs) abort();
        cJSON_AddItemToArray(docs, doc);
        check_roundtrip(docs);
        cJSON_Delete(docs);
    } else if (doc) {
        fail("failed body decode with a result", &err, NULL);
    }
    return 0;
}
