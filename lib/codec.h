/* PostgreSQL binary wire format of every cerd_type: encoding a row's field into a
   parameter, decoding a result value into a row's field, releasing what a field owns.
   Driven by the column descriptor; no per-table code. */
#ifndef CERD_CODEC_H
#define CERD_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "cryptoerd/table.h"

/* A growable byte buffer. Zero-initialise; release with cerd__buf_free. */
typedef struct cerd__buf {
    char *data;
    size_t len, cap;
} cerd__buf;

int cerd__buf_reserve(cerd__buf *b, size_t extra); /* 0 or CERD_ENOMEM */
int cerd__buf_append(cerd__buf *b, const void *p, size_t n);
void cerd__buf_free(cerd__buf *b);

/* The type OID a parameter of this column is sent as (int8, int4, bool, numeric,
   timestamptz, text, jsonb, inet, int4[], text[]). */
uint32_t cerd__type_oid(cerd_type type);

/* Whether the field of column c in row is SQL NULL (or, for an insert, absent:
   identity 0, invalid optional, NULL pointer). */
int cerd__field_is_null(const cerd_column *c, const void *row);

/* How an insert, update or upsert writes column i of row (the write rule of table.h):
   DEFAULT when the column is in the row's `defaults`; VALUE when the field holds one;
   ABSENT when the field is NULL and the column is NOT NULL with a server default (or
   identity): insert leaves it to its default, update and upsert leave it unchanged;
   NULL otherwise. */
enum cerd__write_state { CERD__W_VALUE, CERD__W_NULL, CERD__W_DEFAULT, CERD__W_ABSENT };
int cerd__write_state(const cerd_table *t, int i, const void *row);

/* The row's `defaults` set (the last member of every generated row struct). */
const cerd_colset *cerd__row_defaults(const cerd_table *t, const void *row);

/* Appends the binary form of the field of column c in row to b. The field must not be
   NULL (check with cerd__field_is_null first). Text is checked (UTF-8, no NUL byte)
   and arrays element by element.
   Returns 0; CERD_EENCODING, CERD_ERANGE or CERD_ENOMEM with the error record naming
   table t and the column. */
int cerd__encode_field(const cerd_table *t, const cerd_column *c, const void *row,
                       cerd__buf *b);

/* Decodes a binary result value (len bytes; len < 0 is SQL NULL) into the field of
   column c in row, which must hold nothing that needs releasing. Allocates what the
   field owns (strings, cJSON, arrays). Returns 0; CERD_ERANGE for a numeric beyond
   CERD_NUMERIC_MAX_DIGITS or a malformed value (CERD_ERROR), CERD_ENOMEM. */
int cerd__decode_field(const cerd_table *t, const cerd_column *c, const char *data, int len,
                       void *row);

/* Decodes row r of a binary result whose columns are t's columns in table order into
   row (zeroed). On failure the row is cleared. */
int cerd__decode_row(const cerd_table *t, const PGresult *res, int r, void *row);

/* Releases what the field of column c in row owns and zeroes the field. */
void cerd__free_field(const cerd_column *c, void *row);

/* Memory for the n rows of a list, zeroed, released with cerd__rows_release (only). */
void *cerd__rows_alloc(size_t n, size_t row_size);
void cerd__rows_release(void *rows);

/* Per-type binary send/recv, shared with the codec and its tests. */
int cerd__numeric_send(const cerd_numeric *n, cerd__buf *b);
int cerd__numeric_recv(cerd_numeric *out, const char *data, int len);

#endif
