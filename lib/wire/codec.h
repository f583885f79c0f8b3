/* PostgreSQL binary wire format of every cerd_type: encoding a row's field into a
   parameter, decoding a result value into a row's field, releasing what a field owns.
   Driven by the column descriptor; no per-table code. */
#ifndef CERD_CODEC_H
#define CERD_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "cryptoerd/descriptor.h"
#include "types/numeric_internal.h"
#include "util/buf.h"

/* The type OID a parameter of this column is sent as (int8, int4, bool, numeric,
   timestamptz, text, jsonb, inet, int4[], text[]). */
uint32_t cerd__type_oid(cerd_type type);

/* Appends the binary form of the field of column c in row to b. The field must not be
   NULL (check with cerd__field_is_null first, wire/field.h). Text is checked (UTF-8, no NUL byte)
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

#endif
