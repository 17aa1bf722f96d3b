/* cJSON edits that keep member names; see json_util.h. */
#include "api/json_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int set_name(cJSON *item, const char *name)
{
    char *n = NULL;
    if (name && !(n = strdup(name))) return -ENOMEM;
    if (item->string && !(item->type & cJSON_StringIsConst)) free(item->string);
    item->type &= ~cJSON_StringIsConst;
    item->string = n;
    return 0;
}

cJSON *skiff_api_json_string(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    cJSON *it = malloc(sizeof *it + n + 1);
    if (!it) return NULL;
    memset(it, 0, sizeof *it);
    it->type = cJSON_String | cJSON_IsReference;
    it->valuestring = (char *)(it + 1);
    memcpy(it->valuestring, s, n + 1);
    return it;
}

int skiff_api_json_add_lit(cJSON *obj, const char *lit, cJSON *item)
{
    if (!item) return -ENOMEM;
    if (!cJSON_AddItemToObjectCS(obj, lit, item)) { cJSON_Delete(item); return -ENOMEM; }
    return 0;
}

int skiff_api_json_replace(cJSON *parent, cJSON *old, cJSON *item)
{
    if (set_name(item, cJSON_IsObject(parent) ? old->string : NULL)) return -ENOMEM;
    if (!cJSON_ReplaceItemViaPointer(parent, old, item)) return -ENOMEM;
    return 0;
}

int skiff_api_json_insert(cJSON *arr, int index, cJSON *item)
{
    if (set_name(item, NULL)) return -ENOMEM;
    cJSON *at = cJSON_GetArrayItem(arr, index);
    if (!at) return cJSON_AddItemToArray(arr, item) ? 0 : -ENOMEM;
    /* cJSON keeps child->prev pointing at the last element. */
    item->next = at;
    item->prev = at->prev;
    if (at == arr->child) {
        arr->child = item;
    } else {
        at->prev->next = item;
    }
    at->prev = item;
    return 0;
}

int skiff_api_json_set(cJSON *obj, const char *key, cJSON *item)
{
    cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (old) return skiff_api_json_replace(obj, old, item);
    return cJSON_AddItemToObject(obj, key, item) ? 0 : -ENOMEM;
}

#define INDEX_MIN 32

static int by_member(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

int skiff_api_json_index_build(const cJSON *obj, skiff_api_json_index_t *ix)
{
    ix->obj = obj;
    ix->v = NULL;
    ix->n = 0;
    int n = 0;
    for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next) {
        if (!c->string) return 0; /* not an object: linear (and nothing found) */
        n++;
    }
    if (n <= INDEX_MIN) return 0;
    if (!(ix->v = malloc((size_t)n * sizeof *ix->v))) return -ENOMEM;
    int i = 0;
    for (cJSON *c = obj->child; c; c = c->next) ix->v[i++] = c;
    qsort(ix->v, (size_t)n, sizeof *ix->v, by_member);
    ix->n = n;
    return 0;
}

cJSON *skiff_api_json_index_get(const skiff_api_json_index_t *ix, const char *name)
{
    if (!ix->obj || !name) return NULL;
    if (!ix->v) return cJSON_GetObjectItemCaseSensitive(ix->obj, name);
    int lo = 0, hi = ix->n - 1, hit = -1;
    while (lo <= hi) { /* the first of equal names, as cJSON's lookup finds the first */
        int mid = (lo + hi) / 2, d = strcmp(ix->v[mid]->string, name);
        if (d >= 0) { if (!d) hit = mid; hi = mid - 1; } else lo = mid + 1;
    }
    return hit < 0 ? NULL : ix->v[hit];
}

void skiff_api_json_index_free(skiff_api_json_index_t *ix)
{
    free(ix->v);
    ix->v = NULL;
}

int skiff_api_json_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b) return a == b;
    if (!cJSON_IsObject(a) && !cJSON_IsArray(a)) return cJSON_Compare(a, b, 1);
    if ((a->type & 0xFF) != (b->type & 0xFF)) return 0;
    if (cJSON_IsArray(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!skiff_api_json_equal(x, y)) return 0;
        return !x && !y;
    }
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
    skiff_api_json_index_t ix;
    if (skiff_api_json_index_build(b, &ix)) return cJSON_Compare(a, b, 1); /* no memory: the slow way */
    int eq = 1;
    for (const cJSON *x = a->child; x && eq; x = x->next) eq = skiff_api_json_equal(x, skiff_api_json_index_get(&ix, x->string));
    skiff_api_json_index_free(&ix);
    return eq;
}
