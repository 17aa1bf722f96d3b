/* y2j_driver — skiff's side of tests/manifest/yaml11_oracle.t.sh: reads file
 * paths from stdin and prints, per file, its first YAML document decoded with
 * SKIFF_MANIFEST_YAML11 as one line of JSON, or "ERR <message>". Numbers
 * are printed with 17 digits (cJSON_Print may round the last one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"

static void print_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

static void print_json(const cJSON *n)
{
    if (cJSON_IsObject(n)) {
        putchar('{');
        for (const cJSON *c = n->child; c; c = c->next) {
            print_string(c->string);
            putchar(':');
            print_json(c);
            if (c->next) putchar(',');
        }
        putchar('}');
    } else if (cJSON_IsArray(n)) {
        putchar('[');
        for (const cJSON *c = n->child; c; c = c->next) {
            print_json(c);
            if (c->next) putchar(',');
        }
        putchar(']');
    } else if (cJSON_IsString(n)) {
        print_string(n->valuestring);
    } else if (cJSON_IsNumber(n)) {
        printf("%.17g", n->valuedouble);
    } else {
        fputs(cJSON_IsTrue(n) ? "true" : cJSON_IsFalse(n) ? "false" : "null", stdout);
    }
}

int main(void)
{
    char path[4096];
    static char buf[1 << 20];
    while (fgets(path, sizeof path, stdin)) {
        path[strcspn(path, "\n")] = '\0';
        FILE *f = fopen(path, "rb");
        if (!f) {
            printf("ERR cannot open %s\n", path);
            continue;
        }
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        skiff_manifest_opts_t o = {.flags = SKIFF_MANIFEST_YAML11};
        cJSON *docs = NULL;
        skiff_error_t err = {0};
        if (skiff_manifest_decode_yaml(buf, n, &o, &docs, &err)) {
            printf("ERR %s\n", err.msg);
            continue;
        }
        const cJSON *d = cJSON_GetArrayItem(docs, 0);
        if (d) print_json(d);
        else fputs("null", stdout);
        putchar('\n');
        cJSON_Delete(docs);
    }
    return 0;
}
