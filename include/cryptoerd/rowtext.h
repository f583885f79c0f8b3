/**
 * @file rowtext.h
 * @brief Rows of any table as one compact text buffer: the row-batch conversion that
 *        bindings (the Python package) use instead of reading and writing row structs
 *        field by field through a foreign-function interface.
 *
 * One call converts many rows, driven by the table's descriptor only, so a binding needs
 * no per-table C declarations and pays one foreign call per batch instead of one per
 * field. Values are exact both ways (numerics as decimal text, never through double).
 *
 * The format, the same in both directions:
 * - a row is a flag byte, then its fields in column order separated by
 *   ::CERD_TEXT_FS (0x1F), then ::CERD_TEXT_RS (0x1E);
 * - the flag is `p` (plain) or `e` (escaped): in an escaped row, bytes 0x1B, 0x1E, 0x1F
 *   and 0x00 of a value are written as 0x1B followed by the byte XOR 0x40 (`[`, `^`, `_`,
 *   `@`); in a plain row no value holds any of them. Writers escape only rows that need
 *   it, so readers take the slow path only for those;
 * - SQL NULL is a field holding the single byte 0x00; on input, the two bytes 0x00 `D`
 *   mean DEFAULT (the column is added to the row's `defaults`, see row.h);
 * - bigint and integer: decimal; boolean: `t` or `f`; numeric: PostgreSQL's text
 *   ("-12.3400", "NaN", "Infinity"; input also takes exponents, "1e-5"); timestamptz:
 *   output "2024-01-02T03:04:05.000006Z" (cerd_timestamp_format(), "infinity",
 *   "-infinity"), input either that ISO 8601 form (cerd_timestamp_parse()) or an integer
 *   count of microseconds since 1970-01-01 UTC; text and varchar: the UTF-8 text; jsonb:
 *   compact exact JSON (cerd_json_print(); input read by cerd_json_parse()); inet:
 *   PostgreSQL's text ("10.0.0.0/8"); integer[] and text arrays: a JSON array whose
 *   elements are numbers or strings, or null.
 *
 * Thread safety: the functions keep no state; a stream, COPY writer or reader is used by
 * one thread at a time, as bulk.h says.
 */
#ifndef CRYPTOERD_ROWTEXT_H
#define CRYPTOERD_ROWTEXT_H

#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/bulk.h>
#include <cryptoerd/common.h>
#include <cryptoerd/descriptor.h>
#include <cryptoerd/row.h>

CERD_BEGIN_DECLS

/** Separates the fields of a row. */
#define CERD_TEXT_FS 0x1F
/** Ends a row. */
#define CERD_TEXT_RS 0x1E
/** Starts an escape in a row flagged `e`. */
#define CERD_TEXT_ESC 0x1B

/**
 * Appends @p n consecutive rows of @p t (row structs, @c t->row_size apart) as text.
 * @param[out] out  a new buffer owned by the caller (cerd_text_free()); NUL-terminated
 *                  (the terminator is not counted in @p len). NULL when @p n is 0.
 * @param[out] len  its length in bytes.
 * @param t         the table.
 * @param rows      the rows (borrowed).
 * @param n         number of rows.
 * @return 0; ::CERD_EMISUSE; ::CERD_ENOMEM; ::CERD_ERANGE (a timestamp outside years
 *         1-9999, message naming the column).
 */
CERD_EXTERN int cerd_rows_format_text(char **out, size_t *len, const cerd_table *t,
                                      const void *rows, size_t n);

/** Releases a buffer of cerd_rows_format_text() or the read functions. Accepts NULL. */
CERD_EXTERN void cerd_text_free(char *text);

/**
 * Sets @p out from one row of text (a flag, fields, optionally the ::CERD_TEXT_RS).
 * @param[out] out  zero-initialised or holding a row (released first); the caller owns
 *                  the result (cerd_row_clear()), also on failure.
 * @param t         the table.
 * @param text      the row's text (need not be NUL-terminated).
 * @param len       its length.
 * @return 0; ::CERD_EINVALID naming the table and column for a value its column cannot
 *         read, or a row with the wrong number of fields; ::CERD_ERANGE for an integer
 *         or numeric out of range; ::CERD_EENCODING for a NUL byte in a text value.
 */
CERD_EXTERN int cerd_row_parse_text(void *out, const cerd_table *t, const char *text,
                                    size_t len);

/**
 * Parses every row of @p text into a new block of rows (as a list holds them).
 * @param[out] out  the rows (cerd_rows_free()); on failure empty.
 * @param t         the table.
 * @param text      rows as cerd_rows_format_text() writes them.
 * @param len       its length.
 * @return as cerd_row_parse_text(), the message starting with "row N" (0-based).
 */
CERD_EXTERN int cerd_rows_parse_text(cerd_rows *out, const cerd_table *t, const char *text,
                                     size_t len);

/**
 * Parses every row of @p text and puts it into the COPY writer @p w (cerd_copy_put()),
 * one row at a time: no array of rows is built.
 * @param w     the writer.
 * @param t     the table @p w was begun on.
 * @param text  rows as cerd_rows_format_text() writes them.
 * @param len   its length.
 * @return 0; the codes of cerd_row_parse_text() (the rows before the bad one have been
 *         put: end the COPY with cerd_copy_abort() to write nothing) and of
 *         cerd_copy_put().
 */
CERD_EXTERN int cerd_copy_put_text(cerd_copy *w, const cerd_table *t, const char *text,
                                   size_t len);

/**
 * Reads up to @p max_rows rows of a stream (cerd_stream_next()) as text.
 * @param[out] out    a new buffer (cerd_text_free()), NULL when no row was read.
 * @param[out] len    its length.
 * @param[out] nrows  rows read; 0 at the end of the stream.
 * @param s           the stream.
 * @param t           the table @p s was opened on.
 * @param max_rows    most rows to read; 0 means 1000.
 * @return 0; the codes of cerd_stream_next().
 */
CERD_EXTERN int cerd_stream_read_text(char **out, size_t *len, size_t *nrows, cerd_stream *s,
                                      const cerd_table *t, size_t max_rows);

/**
 * Reads up to @p max_rows rows of a COPY-out reader (cerd_copy_out_next()) as text.
 * @param[out] out    a new buffer (cerd_text_free()), NULL when no row was read.
 * @param[out] len    its length.
 * @param[out] nrows  rows read; 0 at the end.
 * @param r           the reader.
 * @param t           the table @p r was opened on.
 * @param max_rows    most rows to read; 0 means 1000.
 * @return 0; the codes of cerd_copy_out_next().
 */
CERD_EXTERN int cerd_copy_out_read_text(char **out, size_t *len, size_t *nrows,
                                        cerd_copy_out *r, const cerd_table *t,
                                        size_t max_rows);

CERD_END_DECLS

#endif
