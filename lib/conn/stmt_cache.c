#include <stdlib.h>
#include <string.h>

#include "conn/stmt_cache.h"

static uint64_t hash_key(const void *key)
{
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < CERD__STMT_KEY_MAX; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static cerd__stmt_entry *slot_for(const cerd__stmt_cache *c, const void *key, uint64_t h)
{
    size_t mask = c->capacity - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        cerd__stmt_entry *e = &c->slots[i];
        if (!e->id || (e->hash == h && !memcmp(e->key, key, CERD__STMT_KEY_MAX)))
            return e;
    }
}

unsigned cerd__stmt_cache_find(const cerd__stmt_cache *c, const void *key)
{
    if (!c->count)
        return 0;
    return slot_for(c, key, hash_key(key))->id;
}

static int grow(cerd__stmt_cache *c)
{
    size_t capacity = c->capacity ? c->capacity * 2 : 64;
    cerd__stmt_cache bigger = {calloc(capacity, sizeof *bigger.slots), capacity, c->count,
                               c->next_id};
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < c->capacity; i++)
        if (c->slots[i].id)
            *slot_for(&bigger, c->slots[i].key, c->slots[i].hash) = c->slots[i];
    free(c->slots);
    *c = bigger;
    return 0;
}

unsigned cerd__stmt_cache_add(cerd__stmt_cache *c, const void *key)
{
    uint64_t h = hash_key(key);
    cerd__stmt_entry *e;

    if ((c->count + 1) * 2 > c->capacity && grow(c))
        return 0;
    e = slot_for(c, key, h);
    if (e->id)
        return e->id;
    memcpy(e->key, key, CERD__STMT_KEY_MAX);
    e->hash = h;
    e->id = ++c->next_id; /* ids are never reused: a name may linger on the server */
    c->count++;
    return e->id;
}

/* Linear probing: the entries after the removed one, up to the next empty slot, move back
   when their home slot does not lie strictly between the hole and them. */
void cerd__stmt_cache_remove(cerd__stmt_cache *c, const void *key)
{
    size_t mask, hole, i;
    cerd__stmt_entry *e;

    if (!c->count)
        return;
    e = slot_for(c, key, hash_key(key));
    if (!e->id)
        return;
    mask = c->capacity - 1;
    hole = (size_t)(e - c->slots);
    memset(e, 0, sizeof *e);
    c->count--;
    for (i = (hole + 1) & mask; c->slots[i].id; i = (i + 1) & mask) {
        size_t home = c->slots[i].hash & mask;
        /* Stays when home is cyclically in (hole, i]. */
        if (hole <= i ? (home > hole && home <= i) : (home > hole || home <= i))
            continue;
        c->slots[hole] = c->slots[i];
        memset(&c->slots[i], 0, sizeof c->slots[i]);
        hole = i;
    }
}

void cerd__stmt_cache_clear(cerd__stmt_cache *c)
{
    if (c->slots)
        memset(c->slots, 0, c->capacity * sizeof *c->slots);
    c->count = 0;
}

void cerd__stmt_cache_free(cerd__stmt_cache *c)
{
    free(c->slots);
    memset(c, 0, sizeof *c);
}
