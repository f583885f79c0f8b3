/* The input reader of `cryptoerd validate`: rows as one JSON array, or as one JSON value
   per line (JSON Lines), parsed with the library's exact-number parser. */
#ifndef CRYPTOERD_TOOL_JSON_ROWS_H
#define CRYPTOERD_TOOL_JSON_ROWS_H

#include <stddef.h>

#include <cJSON.h>

/* The rows of one input, in input order. */
typedef struct jrows {
    cJSON **rows;  /* count JSON values (borrowed from the trees below) */
    size_t count;
    cJSON **trees; /* what jrows_free() releases: the array, or one tree per line */
    size_t ntrees;
} jrows;

/* Splits len bytes at data into rows.
 *
 * Which form: when the first byte that is not whitespace (after an optional UTF-8 byte
 * order mark) is '[', the whole input is one JSON array whose elements are the rows;
 * otherwise every line that is not blank holds one JSON value, a row ('\n' or "\r\n"
 * line ends). Empty input has no rows.
 *
 * Numbers are kept exact (cerd_json_parse(): a number a double cannot reproduce is a
 * cJSON_Raw node holding its text). Bytes that are not valid UTF-8 inside JSON strings
 * do not make the input unparsable: the strings keep them as they are, for validation
 * to report as an encoding violation of the column (elsewhere they are a syntax error).
 *
 * Returns 0, or -1 with a message in err naming the line and column ("line 3, column 14:
 * invalid JSON: expected ',' or '}'"); out is then empty. jrows_free() releases out in
 * both cases. */
int jrows_read(jrows *out, const char *data, size_t len, char *err, size_t errsize);

/* Releases what jrows_read() made and zeroes r. Accepts NULL. */
void jrows_free(jrows *r);

#endif
