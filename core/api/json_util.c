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
