/* Per-connection cache of prepared statements, keyed by their SQL text. */
#ifndef CERD_STMT_CACHE_H
#define CERD_STMT_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cerd__stmt_entry {
    char *sql;      /* owned; NULL marks an empty slot */
    uint64_t hash;
    unsigned id;    /* prepared as "cerd_<id>" */
} cerd__stmt_entry;

typedef struct cerd__stmt_cache {
    cerd__stmt_entry *slots; /* open addressing, capacity a power of two */
    size_t capacity, count;
    unsigned next_id;
} cerd__stmt_cache;

/* The id of sql's prepared statement, or 0 when it is not cached. */
unsigned cerd__stmt_cache_find(const cerd__stmt_cache *c, const char *sql);

/* Records sql under a new id; returns the id, or 0 when out of memory. */
unsigned cerd__stmt_cache_add(cerd__stmt_cache *c, const char *sql);

/* Forgets every statement (after the server lost them, e.g. DISCARD ALL). */
void cerd__stmt_cache_clear(cerd__stmt_cache *c);

void cerd__stmt_cache_free(cerd__stmt_cache *c);

#endif
