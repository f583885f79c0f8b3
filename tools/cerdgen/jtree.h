/* Reading cJSON trees: libpg_query's JSON parse trees (which leave out fields that are
   zero, false or empty) and cerdgen's own input files. One set of accessors for every
   part of the generator. */
#ifndef CG_JTREE_H
#define CG_JTREE_H

#include <stdbool.h>
#include <string.h>

#include <cJSON.h>

/* Member key of o, or NULL (also when o is NULL). */
static inline const cJSON *jget(const cJSON *o, const char *key)
{
    return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* String member, or NULL when absent or not a string. */
static inline const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = jget(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Integer member, 0 when absent. */
static inline int jint(const cJSON *o, const char *key)
{
    const cJSON *v = jget(o, key);
    return cJSON_IsNumber(v) ? v->valueint : 0;
}

/* Whether a boolean member is true (absent: false). */
static inline bool jtrue(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(jget(o, key));
}

/* Number of elements of an array member (absent: 0). */
static inline int jcount(const cJSON *o, const char *key)
{
    const cJSON *v = jget(o, key);
    return cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
}

/* A parse-tree node is {"Tag": {fields}}: its tag. */
static inline const char *node_tag(const cJSON *n)
{
    return (cJSON_IsObject(n) && n->child) ? n->child->string : NULL;
}

/* The node's fields when its tag is `tag`, else NULL. */
static inline const cJSON *node_as(const cJSON *n, const char *tag)
{
    const char *t = node_tag(n);
    return (t && strcmp(t, tag) == 0) ? n->child : NULL;
}

#endif
