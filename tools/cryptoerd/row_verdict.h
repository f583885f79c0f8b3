/* The verdict of `cryptoerd validate` on one row: a JSON value judged against a table as
   PostgreSQL would judge inserting it, and that verdict as one line of JSON. */
#ifndef CRYPTOERD_TOOL_ROW_VERDICT_H
#define CRYPTOERD_TOOL_ROW_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>

/* One broken rule. */
typedef struct verdict_item {
    const char *constraint;  /* a CHECK's name, or "not_null", "length",
                                "numeric_precision", "type", "encoding" (static) */
    uint16_t ncolumns;
    const uint16_t *columns; /* column indexes (static), or NULL: the one in column */
    uint16_t column;         /* the column of a single-column item the tool found */
    char *message;           /* owned */
    int group;               /* ordering: 0 the row, 1 one column, 2 a CHECK */
    int key;                 /* ordering within the group: column or CHECK index */
    size_t seq;              /* ordering: as found */
} verdict_item;

/* Every broken rule of one row (none: the row is valid). */
typedef struct verdict {
    verdict_item *items;
    size_t count, cap;
} verdict;

/* Judges row (any JSON value; a row is an object whose keys are column names) against
 * table t as an insert: a key that is absent leaves its column to its default; JSON null
 * is SQL NULL. The rules, and the constraint name each is reported under:
 *  - the row is not a JSON object: "type";
 *  - a key that names no column: "type"; a key that is not valid UTF-8: "encoding";
 *  - a value of the wrong JSON type for its column, unreadable (a malformed timestamp,
 *    address or number; an integer written with a fraction or exponent), an integer out
 *    of its column's range, a numeric with more than 38 significant digits in an
 *    unconstrained numeric column (more than the library holds): "type", or "encoding"
 *    when the value holds bytes that are not UTF-8;
 *  - then everything cerd_row_validate() checks (CERD_VALIDATE_INSERT): "not_null"
 *    (also JSON null in a NOT NULL column that has a default), "length",
 *    "numeric_precision" (a numeric is rounded to its scale first, half away from zero,
 *    however many digits it is written with), "type", "encoding", and every CHECK.
 * A column reported as unreadable, or NULL where it must not be, is not judged further:
 * the rules that read it (its CHECKs) are left out, as PostgreSQL would stop at it.
 * Returns 0 (valid), 1 (invalid: out lists why), or -1 when memory ran out. out must be
 * zeroed; release it with verdict_free(). */
int verdict_row(verdict *out, const cerd_table *t, const cJSON *row);

/* Releases what a verdict holds and zeroes it. Accepts NULL. */
void verdict_free(verdict *v);

/* The verdict as one line of JSON, with its '\n':
 *   {"row": 0, "valid": true}
 *   {"row": 1, "valid": false, "violations": [{"constraint": "chk_x", "columns":
 *   ["a","b"], "message": "..."}]}
 * (on one line). Bytes of messages that are not UTF-8 are written as U+FFFD.
 * Returns a malloc'd string, or NULL when memory ran out. */
char *verdict_format(const cerd_table *t, size_t row, const verdict *v);

#endif
