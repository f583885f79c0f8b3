/* JSON text <-> cJSON trees for jsonb values, keeping numbers exact.

   cJSON holds numbers as doubles, which cannot carry what a jsonb (numeric) number may
   be: 12345678901234567890.123456789, 1e400, 1.50. So the parser makes a number a
   cJSON_Number only when cJSON's own printing of the double gives back the number's text
   exactly; any other number becomes a cJSON_Raw node whose valuestring is the number's
   text, which cJSON (and cerd__json_print) prints verbatim. A tree parsed and printed
   again therefore reproduces every number digit for digit. */
#ifndef CERD_JSON_H
#define CERD_JSON_H

#include <stddef.h>

#include <cJSON.h>

#include "cryptoerd/json.h" /* CERD_JSON_RAW_BYTES, CERD_JSON_REPLACE_INVALID */
#include "util/buf.h"

/* Deepest nesting of arrays and objects accepted (parsing and printing); deeper input is
   refused with CERD_ERANGE. The same limit as cJSON's own parser. */
#define CERD_JSON_MAX_DEPTH 1000

/* Parses len bytes at text (need not be NUL-terminated) as one JSON value, strictly as
   RFC 8259 and PostgreSQL's jsonb input: UTF-8 only, \uXXXX escapes with surrogate pairs,
   no \u0000, no unescaped control characters, no trailing garbage (whitespace aside).
   Duplicate object keys are kept as they come (jsonb would keep the last one).
   On success *out is a new tree the caller releases with cJSON_Delete(); strings are
   allocated with cJSON_malloc(). Never reads outside [text, text + len).
   Returns 0; CERD_EINVALID (message gives the byte offset and what is wrong), CERD_ERANGE
   (nested deeper than CERD_JSON_MAX_DEPTH), CERD_ENOMEM. *out is NULL on failure. */
int cerd__json_parse(const char *text, size_t len, cJSON **out);

/* cerd__json_parse with flags (CERD_JSON_RAW_BYTES: strings and keys may hold bytes that
   are not UTF-8, kept as they are); on failure *error_offset (when not NULL) receives the
   byte offset the message names. */
int cerd__json_parse_ex(const char *text, size_t len, unsigned flags, cJSON **out,
                        size_t *error_offset);

/* Prints v as compact JSON (no whitespace), numbers as cJSON prints them, Raw nodes
   verbatim, strings escaped as PostgreSQL escapes them. Never depends on the locale.
   Returns a NUL-terminated string allocated with malloc(): release it with free().
   NULL on failure (error record set): CERD_EENCODING for a string that is not valid
   UTF-8, CERD_EINVALID for a node of unknown type or nesting deeper than
   CERD_JSON_MAX_DEPTH (which also catches cycles), CERD_ENOMEM. */
char *cerd__json_print(const cJSON *v);

/* Same as cerd__json_print, appending to b (no NUL). Returns 0 or the error code; on
   failure b->len is back where it was. */
int cerd__json_print_buf(const cJSON *v, cerd__buf *b);

/* cerd__json_print_buf with flags (CERD_JSON_REPLACE_INVALID: a string byte that starts
   no valid UTF-8 sequence is written as U+FFFD instead of failing). */
int cerd__json_print_buf_ex(const cJSON *v, unsigned flags, cerd__buf *b);

#endif
