/* Per-connection cache of prepared statements. A statement is identified by a small
   binary key that determines its SQL text (table, operation, column set...), so a hit
   costs neither building nor hashing the SQL. */
#ifndef CERD_STMT_CACHE_H
#define CERD_STMT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CERD__STMT_KEY_MAX 64

typedef struct cerd__stmt_entry {
    unsigned char key[CERD__STMT_KEY_MAX];
    uint64_t hash;
    unsigned id;    /* prepared as "cerd_<id>"; 0 marks an empty slot */
} cerd__stmt_entry;

typedef struct cerd__stmt_cache {
    cerd__stmt_entry *slots; /* open addressing, capacity a power of two */
    size_t capacity, count;
    unsigned next_id;
} cerd__stmt_cache;

/* The id of the statement with this key (CERD__STMT_KEY_MAX bytes), or 0. */
unsigned cerd__stmt_cache_find(const cerd__stmt_cache *c, const void *key);

/* Records a new statement under key; returns its id, or 0 when out of memory. */
unsigned cerd__stmt_cache_add(cerd__stmt_cache *c, const void *key);

/* Forgets the statement under key, if any (its id is not reused). */
void cerd__stmt_cache_remove(cerd__stmt_cache *c, const void *key);

/* Forgets every statement (after the server lost them, e.g. DISCARD ALL). */
void cerd__stmt_cache_clear(cerd__stmt_cache *c);

void cerd__stmt_cache_free(cerd__stmt_cache *c);

#endif
