/* The input reader of `cryptoerd validate`: rows as one JSON array, or as one JSON value
   per line (JSON Lines), parsed with the library's exact-number parser
   (cerd_json_parse_ex with CERD_JSON_RAW_BYTES: strings that are not UTF-8 are kept, for
   validation to report as an encoding violation of their column). */
#ifndef CRYPTOERD_TOOL_JSON_ROWS_H
#define CRYPTOERD_TOOL_JSON_ROWS_H

#include <stddef.h>
#include <stdio.h>

#include <cJSON.h>

/* Called for each row, in input order (row counts from 0); returns 0 to go on, anything
   else to stop jrows_each() with that value. */
typedef int (*jrows_fn)(void *arg, size_t row, const cJSON *value);

/* Reads the rows of in and calls fn (when not NULL) for each.
 *
 * Which form: when the first byte that is not whitespace (after an optional UTF-8 byte
 * order mark) is '[', the whole input is one JSON array whose elements are the rows: it
 * is read and parsed whole, and fn is called only once all of it parsed. Otherwise every
 * line that is not blank holds one JSON value, a row ('\n' or "\r\n" line ends): each
 * line is read, parsed, passed to fn and freed before the next, so memory stays bounded
 * by the longest line. Empty input has no rows.
 *
 * When copy is not NULL every byte read is also written to it (to read the input again).
 * *is_array (when not NULL) receives whether the input was an array.
 * Returns 0; -1 with a message in err naming the line and column ("line 3, column 14:
 * invalid JSON: expected ',' or '}'") or the failure; or what fn returned. */
int jrows_each(FILE *in, FILE *copy, jrows_fn fn, void *arg, int *is_array, char *err,
               size_t errsize);

#endif
