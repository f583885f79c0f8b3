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

/** @cond INTERNAL */
struct cerd_violations;
/** @endcond */

/**
 * Sets the fields of @p out from the JSON object @p obj, whose keys are column names and
 * whose values have the form PostgreSQL's to_jsonb() gives. A missing key leaves the field
 * NULL (written by the rule of cerd_row_insert(): a NOT NULL column with a default is then
 * absent); JSON null is SQL NULL; `defaults` is left empty; a repeated key: the last one
 * wins, as in jsonb.
 *
 * The JSON type each column takes (one rule, the same for every table):
 *  - integer columns (smallint, integer, bigint, integer[] elements): JSON numbers only,
 *    written without fraction or exponent ("1", never "1.0" or the string "1");
 *  - numeric columns: a JSON number, or a JSON string holding exact decimal text as
 *    PostgreSQL's numeric input reads it ("12.50", " 1e-3 ", "NaN", "Infinity"); nothing
 *    goes through double. A value with more than ::CERD_NUMERIC_MAX_DIGITS significant
 *    digits is read as a numeric(p,s) column stores it, rounded to s decimals half away
 *    from zero (refused with ::CERD_ERANGE when it does not fit); in an unconstrained
 *    numeric column it is refused with ::CERD_ERANGE;
 *  - boolean: true or false; timestamptz: an ISO 8601 string; inet: a string;
 *    text and varchar: a string; arrays: JSON arrays; jsonb: any JSON.
 * Numbers are taken exactly when @p obj comes from cerd_json_parse(); cJSON's own parser
 * turns numbers into doubles.
 * @param t         the table.
 * @param obj       the JSON object (borrowed).
 * @param[out] out  zero-initialised or holding a row (released first); the caller owns
 *                  the result (cerd_row_clear()).
 * @return 0; ::CERD_EINVALID naming the column for an unknown key, a value of the wrong
 *         JSON type or unparsable text; ::CERD_ERANGE for a number out of range. Stops at
 *         the first bad member (see cerd_row_from_json_collect() for all of them).
 */
CERD_EXTERN int cerd_row_from_json(void *out, const cerd_table *t, const struct cJSON *obj);

/**
 * cerd_row_from_json() that reports every problem instead of stopping at the first: each
 * member is converted on its own by the same rules, and each that cannot be is reported
 * as one ::cerd_violation (validate.h) naming its column and why:
 *  - "type" (::CERD_VIOLATION_TYPE): the row is not a JSON object (no columns); a key
 *    that names no column (no columns, reported once per key); a value of the wrong JSON
 *    type or unreadable for its column; an integer out of range; a numeric beyond what a
 *    ::cerd_numeric holds in an unconstrained column;
 *  - "numeric_precision" (::CERD_VIOLATION_NUMERIC_PRECISION): a numeric that, rounded to
 *    the scale of its numeric(p,s) column, does not fit it (or an infinity there);
 *  - "encoding" (::CERD_VIOLATION_ENCODING): a key, or a value that could not be read,
 *    holding bytes that are not UTF-8 (see ::CERD_JSON_RAW_BYTES). Text values that are
 *    not UTF-8 are read as they are, for cerd_row_validate() to report.
 * Unlike cerd_row_from_json(), a value of a numeric(p,s) column is read as the column
 * stores it: rounded to s decimals, half away from zero (cerd_numeric_round_to_typmod()).
 * Problems of the row come first, then those of columns in column order. The fields of
 * the members that could be read are set in @p out; the others are left NULL.
 * @param[out] out       zero-initialised or holding a row (released first); the caller
 *                       owns it (cerd_row_clear()), also when problems were found.
 * @param[out] problems  receives the problems (release with cerd_violations_free(), also
 *                       when there is none).
 * @param t              the table.
 * @param obj            any JSON value (borrowed).
 * @return 0 when every member was read; ::CERD_EINVALID when @p problems lists some
 *         (the error record describes the first); ::CERD_EMISUSE; ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_row_from_json_collect(void *out, struct cerd_violations *problems,
                                           const cerd_table *t, const struct cJSON *obj);

/**
 * The row as a JSON object in the form of PostgreSQL's to_jsonb(row) (numerics exact,
 * timestamps as "2025-01-02T03:04:05.123456+00:00"). Absent/NULL fields are JSON null.
 * @param t         the table.
 * @param row       the row (borrowed).
 * @param[out] out  a new cJSON object owned by the caller (cJSON_Delete()).
 */
CERD_EXTERN int cerd_row_to_json(struct cJSON **out, const cerd_table *t, const void *row);

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

/** Flags of cerd_json_parse_ex() and cerd_json_print(). */
enum cerd_json_flag {
    /** Parsing: strings and object keys may hold bytes that are not valid UTF-8; they are
     *  kept as they are (for validation to report) instead of making the text invalid.
     *  Such bytes outside strings are still a syntax error. */
    CERD_JSON_RAW_BYTES = 1 << 0,
    /** Printing: a byte of a string or key that starts no valid UTF-8 sequence is
     *  written as U+FFFD instead of failing with ::CERD_EENCODING. */
    CERD_JSON_REPLACE_INVALID = 1 << 1
};

/**
 * cerd_json_parse() with flags (::CERD_JSON_RAW_BYTES), which on failure also gives the
 * byte offset of the error.
 * @param[out] out           a new cJSON tree owned by the caller (cJSON_Delete()).
 * @param text               the JSON text (need not be NUL-terminated).
 * @param len                its length in bytes.
 * @param flags              ::cerd_json_flag bits.
 * @param[out] error_offset  when not NULL, receives on failure the byte offset (from
 *                           @p text) the error concerns.
 * @return as cerd_json_parse().
 */
CERD_EXTERN int cerd_json_parse_ex(struct cJSON **out, const char *text, size_t len,
                                   unsigned flags, size_t *error_offset);

/**
 * Prints @p v as compact JSON: numbers exact (cJSON_Raw nodes verbatim), strings escaped
 * as PostgreSQL escapes them, independent of the locale.
 * @param[out] out  a new NUL-terminated string owned by the caller (free()).
 * @param v         the value (borrowed).
 * @param flags     ::cerd_json_flag bits (::CERD_JSON_REPLACE_INVALID).
 * @return 0; ::CERD_EENCODING for a string that is not valid UTF-8 (without
 *         ::CERD_JSON_REPLACE_INVALID); ::CERD_EINVALID for nesting deeper than 1000
 *         levels; ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_json_print(char **out, const struct cJSON *v, unsigned flags);

CERD_END_DECLS

#endif
