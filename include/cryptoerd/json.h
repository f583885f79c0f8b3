/**
 * @file json.h
 * @brief Rows as JSON, and the exact JSON parser.
 *
 * Rows convert to and from JSON objects in the form of PostgreSQL's to_jsonb(row), with
 * numerics exact: the parser keeps every number that a double cannot reproduce as its text.
 */
#ifndef CRYPTOERD_JSON_H
#define CRYPTOERD_JSON_H

#include <stddef.h>

#include <cryptoerd/common.h>
#include <cryptoerd/descriptor.h>

CERD_BEGIN_DECLS

/** @cond INTERNAL */
struct cJSON;
/** @endcond */

/**
 * Sets the fields of @p out from the JSON object @p obj, whose keys are column names and
 * whose values have the form PostgreSQL's to_jsonb() gives (numerics may also be JSON
 * strings; timestamps ISO 8601 strings; inet strings; arrays JSON arrays). A missing key
 * leaves the field absent (NULL, or the default on insert); JSON null is SQL NULL.
 * Numbers are taken exactly when @p obj comes from cerd_json_parse(); cJSON's own parser
 * turns numbers into doubles.
 * @param t         the table.
 * @param obj       the JSON object (borrowed).
 * @param[out] out  zero-initialised or holding a row (released first); the caller owns
 *                  the result (cerd_row_clear()).
 * @return 0; ::CERD_EINVALID naming the column for an unknown key, a value of the wrong
 *         JSON type or unparsable text; ::CERD_ERANGE for an integer out of range.
 */
CERD_EXTERN int cerd_row_from_json(const cerd_table *t, const struct cJSON *obj, void *out);

/**
 * The row as a JSON object in the form of PostgreSQL's to_jsonb(row) (numerics exact,
 * timestamps as "2025-01-02T03:04:05.123456+00:00"). Absent/NULL fields are JSON null.
 * @param t         the table.
 * @param row       the row (borrowed).
 * @param[out] out  a new cJSON object owned by the caller (cJSON_Delete()).
 */
CERD_EXTERN int cerd_row_to_json(const cerd_table *t, const void *row, struct cJSON **out);

/**
 * Parses JSON text like cJSON_Parse, but keeps every number exact: a number that a
 * double cannot reproduce digit for digit becomes a cJSON_Raw node holding its text.
 * Strict RFC 8259; the whole text must be one value.
 * @param text      the JSON text (need not be NUL-terminated).
 * @param len       its length in bytes.
 * @param[out] out  a new cJSON tree owned by the caller (cJSON_Delete()).
 * @return 0; ::CERD_EINVALID with the byte offset of the error in the message;
 *         ::CERD_ERANGE when arrays and objects nest deeper than 1000 levels.
 */
CERD_EXTERN int cerd_json_parse(struct cJSON **out, const char *text, size_t len);

CERD_END_DECLS

#endif
