/* The one way to reach a row's field: whether it is NULL, where its value is, how big
   it is, and releasing what it owns. Every module that reads or writes a row's fields
   (codec, validation, JSON, factories) goes through these, so that what "NULL" means
   for each C representation is written once. */
#ifndef CERD_WIRE_FIELD_H
#define CERD_WIRE_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cryptoerd/descriptor.h"
#include "cryptoerd/types.h"

/* The field of column c in row. */
static inline const void *cerd__field(const cerd_column *c, const void *row)
{
    return (const char *)row + c->offset;
}

/* Whether the field at `field` (of column c) is SQL NULL: an invalid optional, a NULL
   pointer, an invalid array, or for an identity column 0 (then the server assigns it).
   The value of an optional is its first member, so cerd__field() points at the value too.
   The one NULL test of the library. */
static inline bool cerd__field_null_at(const cerd_column *c, const void *field)
{
    const char *f = (const char *)field;

    if (c->flags & CERD_COL_IDENTITY)
        return c->type == CERD_TYPE_INT32 ? *(const int32_t *)f == 0
                                          : *(const int64_t *)f == 0;
    switch (c->type) {
    case CERD_TYPE_TEXT:
    case CERD_TYPE_JSONB:
        return *(void *const *)f == NULL;
    case CERD_TYPE_INT32_ARRAY:
        return !((const cerd_int32_array *)f)->valid;
    case CERD_TYPE_TEXT_ARRAY:
        return !((const cerd_text_array *)f)->valid;
    default:
        break;
    }
    if (!(c->flags & CERD_COL_OPTIONAL))
        return false;
    switch (c->type) {
    case CERD_TYPE_INT64: return !((const cerd_opt_int64 *)f)->valid;
    case CERD_TYPE_INT32: return !((const cerd_opt_int32 *)f)->valid;
    case CERD_TYPE_BOOL: return !((const cerd_opt_bool *)f)->valid;
    case CERD_TYPE_NUMERIC: return !((const cerd_opt_numeric *)f)->valid;
    case CERD_TYPE_TIMESTAMPTZ: return !((const cerd_opt_timestamp *)f)->valid;
    case CERD_TYPE_INET: return !((const cerd_opt_inet *)f)->valid;
    default: return false;
    }
}

/* Whether the field of column c in row is SQL NULL (see cerd__field_null_at). */
static inline bool cerd__field_is_null(const cerd_column *c, const void *row)
{
    return cerd__field_null_at(c, cerd__field(c, row));
}

/* The row's `defaults` set: the columns to write as DEFAULT (the last member of every
   generated row struct, at t->defaults_offset). */
static inline const cerd_colset *cerd__row_defaults(const cerd_table *t, const void *row)
{
    return (const cerd_colset *)(const void *)((const char *)row + t->defaults_offset);
}

/* How an insert, update or upsert writes column i of row (the write rule, row.h):
   DEFAULT when the column is in the row's `defaults`; VALUE when the field holds one;
   ABSENT when the field is NULL and the column is NOT NULL with a server default (or an
   identity): insert leaves it to its default, update and upsert leave it unchanged;
   NULL otherwise. */
enum cerd__write_state { CERD__W_VALUE, CERD__W_NULL, CERD__W_DEFAULT, CERD__W_ABSENT };

static inline enum cerd__write_state cerd__write_state(const cerd_table *t, int i,
                                                       const void *row)
{
    const cerd_column *c = &t->columns[i];

    if (cerd_colset_has(cerd__row_defaults(t, row), (unsigned)i))
        return CERD__W_DEFAULT;
    if (!cerd__field_is_null(c, row))
        return CERD__W_VALUE;
    if ((c->flags & CERD_COL_NOT_NULL) && (c->flags & (CERD_COL_HAS_DEFAULT | CERD_COL_IDENTITY)))
        return CERD__W_ABSENT;
    return CERD__W_NULL;
}

/* Whether fields of this type own memory (strings, JSON, arrays). */
static inline bool cerd__type_owns_memory(cerd_type type)
{
    return type == CERD_TYPE_TEXT || type == CERD_TYPE_JSONB || type == CERD_TYPE_INT32_ARRAY
           || type == CERD_TYPE_TEXT_ARRAY;
}

/* Size in bytes of the field of column c (the optional wrapper included). */
size_t cerd__field_size(const cerd_column *c);

/* Marks a present optional value (valid = true); a no-op for other representations. */
void cerd__field_set_present(const cerd_column *c, void *row);

/* Makes the field SQL NULL (zeroes it) without releasing anything. */
void cerd__field_set_null(const cerd_column *c, void *row);

/* Releases what the field owns (strings, cJSON, arrays) and makes it NULL. */
void cerd__field_free(const cerd_column *c, void *row);

#endif
