#include <stdlib.h>
#include <string.h>

#include "stmt_cache.h"

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static cerd__stmt_entry *slot_for(const cerd__stmt_cache *c, const char *sql, uint64_t h)
{
    size_t mask = c->capacity - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        cerd__stmt_entry *e = &c->slots[i];
        if (!e->sql || (e->hash == h && !strcmp(e->sql, sql)))
            return e;
    }
}

unsigned cerd__stmt_cache_find(const cerd__stmt_cache *c, const char *sql)
{
    const cerd__stmt_entry *e;
    if (!c->capacity)
        return 0;
    e = slot_for(c, sql, hash_sql(sql));
    return e->sql ? e->id : 0;
}

static int grow(cerd__stmt_cache *c)
{
    size_t capacity = c->capacity ? c->capacity * 2 : 64;
    cerd__stmt_cache bigger = {calloc(capacity, sizeof *bigger.slots), capacity, c->count,
                               c->next_id};
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < c->capacity; i++)
        if (c->slots[i].sql)
            *slot_for(&bigger, c->slots[i].sql, c->slots[i].hash) = c->slots[i];
    free(c->slots);
    *c = bigger;
    return 0;
}

unsigned cerd__stmt_cache_add(cerd__stmt_cache *c, const char *sql)
{
    uint64_t h = hash_sql(sql);
    cerd__stmt_entry *e;

    if ((c->count + 1) * 2 > c->capacity && grow(c))
        return 0;
    e = slot_for(c, sql, h);
    if (e->sql)
        return e->id;
    e->sql = strdup(sql);
    if (!e->sql)
        return 0;
    e->hash = h;
    e->id = ++c->next_id;
    c->count++;
    return e->id;
}

void cerd__stmt_cache_clear(cerd__stmt_cache *c)
{
    for (size_t i = 0; i < c->capacity; i++) {
        free(c->slots[i].sql);
        c->slots[i].sql = NULL;
    }
    c->count = 0;
}

void cerd__stmt_cache_free(cerd__stmt_cache *c)
{
    cerd__stmt_cache_clear(c);
    free(c->slots);
    memset(c, 0, sizeof *c);
}
