/**
 * @file transfer.h
 * @brief Rows from and to files: CSV (RFC 4180, with a header row), JSON Lines, and
 *        PostgreSQL's binary COPY format. Imports go through binary COPY in one
 *        transaction; exports stream.
 *
 * The readers here parse outside text, so they are fuzzed (fuzz/fuzz_import_parse.c).
 * The `cryptoerd import` and `cryptoerd export` commands are these functions.
 *
 * Thread safety: the functions use the connection they are given (one thread at a time);
 * cerd_import_parse() needs no connection and may run in any thread.
 */
#ifndef CRYPTOERD_TRANSFER_H
#define CRYPTOERD_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/bulk.h>
#include <cryptoerd/common.h>
#include <cryptoerd/conn.h>
#include <cryptoerd/descriptor.h>
#include <cryptoerd/fixtures.h>

CERD_BEGIN_DECLS

/** A file format of rows. */
typedef enum cerd_format {
    CERD_FORMAT_CSV = 1, /**< RFC 4180 CSV whose first record names the columns. */
    CERD_FORMAT_JSONL,   /**< One JSON object per line, as cerd_row_from_json() reads it. */
    CERD_FORMAT_BINARY   /**< PostgreSQL's binary COPY format (export only). */
} cerd_format;

/**
 * Reads up to @p size bytes into @p buf.
 * @return the number of bytes read, 0 at the end of the input, -1 on an error.
 */
typedef long (*cerd_read_fn)(void *arg, char *buf, size_t size);

/** Writes @p len bytes. @return 0, or -1 on an error (the export stops). */
typedef int (*cerd_write_fn)(void *arg, const char *data, size_t len);

/**
 * Called by cerd_import_parse() with each row read.
 * @param arg   the @c fn_arg given to cerd_import_parse().
 * @param line  the 1-based line of the input where the row's record starts.
 * @param row   the row (borrowed: valid during the call).
 * @return 0 to go on, or a negative code to stop (returned by cerd_import_parse()).
 */
typedef int (*cerd_import_row_fn)(void *arg, int64_t line, const void *row);

/** Options of cerd_import() and cerd_import_parse(); initialise with
 *  ::CERD_IMPORT_OPTIONS_INIT. */
typedef struct cerd_import_options {
    unsigned version;          /**< Layout version: 1. */
    cerd_format format;        /**< ::CERD_FORMAT_CSV or ::CERD_FORMAT_JSONL. */
    const char *name;          /**< The input's name in messages ("-": standard input);
                                    NULL: "input". */
    bool create_partitions;    /**< As ::cerd_copy_options::create_partitions. */
    cerd_progress_fn progress; /**< Called every 10000 rows and at the end (total 0:
                                    unknown), or NULL. */
    void *progress_arg;        /**< Passed to @c progress. */
} cerd_import_options;

/** Defaults: CSV, no partitions created, no progress. */
#define CERD_IMPORT_OPTIONS_INIT {1, CERD_FORMAT_CSV, NULL, false, NULL, NULL}

/**
 * Reads rows of @p t from text, without a database, and hands each to @p fn.
 *
 * CSV (RFC 4180): fields separated by commas, records by LF or CRLF; a field in double
 * quotes may hold commas, line breaks and doubled quotes. The first record names the
 * columns (each once, every one a column of @p t); the columns it leaves out are absent
 * (their default, as cerd_row_insert() writes them). An unquoted empty field is NULL; a
 * quoted empty field ("") is the empty string. A field is read by its column's type:
 * integers as decimal integers; numerics as exact decimal text (cerd_numeric_parse(),
 * never through a double); booleans as t/true/y/yes/on/1 or f/false/n/no/off/0 (any
 * case); timestamps as ISO 8601 (cerd_timestamp_parse()); inet as an address; jsonb as
 * JSON text (numbers exact); arrays in PostgreSQL's syntax (`{1,2,NULL}`,
 * `{"a b",c}`) or as a JSON array (`[1,2,null]`); text as it is. This is the rule of
 * cerd_row_from_json(), from text.
 *
 * JSON Lines: one JSON object per line (blank lines skipped), read with
 * cerd_row_from_json() (numbers exact).
 *
 * Rows are not validated here (cerd_import() validates them on their way into COPY).
 *
 * @param[out] rows  when not NULL, the number of rows handed to @p fn.
 * @param t          the table.
 * @param read       the input.
 * @param read_arg   passed to @p read.
 * @param opts       NULL for ::CERD_IMPORT_OPTIONS_INIT.
 * @param fn         called with each row.
 * @param fn_arg     passed to @p fn.
 * @return 0; ::CERD_EINVALID for text that cannot be read: the message starts with
 *         `name:line:` and names the column and the constraint ("type", "encoding",
 *         "numeric_precision", or "csv" for malformed CSV), also in cerd_error_last()'s
 *         column and constraint; ::CERD_ERANGE for a number out of range (same message);
 *         ::CERD_ERROR when @p read fails; what @p fn returned; ::CERD_EMISUSE; ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_import_parse(int64_t *rows, const cerd_table *t, cerd_read_fn read,
                                  void *read_arg, const cerd_import_options *opts,
                                  cerd_import_row_fn fn, void *fn_arg);

/**
 * Imports rows into @p t: cerd_import_parse(), each row validated and sent through one
 * binary COPY (cerd_copy_begin(); CSV: the header's columns) in one transaction (its own,
 * or the caller's when one is open). All or nothing: on any failure nothing is written,
 * and a refused row's message starts with `name:line:` and names its column and
 * constraint (also in cerd_error_last()).
 * @param[out] rows  when not NULL, the number of rows written.
 * @param conn       the connection.
 * @param t          the table.
 * @param read       the input.
 * @param read_arg   passed to @p read.
 * @param opts       NULL for ::CERD_IMPORT_OPTIONS_INIT.
 * @return 0; ::CERD_EINVALID (a row cannot be read or fails validation); server errors
 *         (::CERD_EUNIQUE, ::CERD_EFOREIGNKEY, ...: the server names no line, the message
 *         says so); the codes of cerd_import_parse().
 */
CERD_EXTERN int cerd_import(int64_t *rows, cerd_conn *conn, const cerd_table *t,
                            cerd_read_fn read, void *read_arg, const cerd_import_options *opts);

/** Options of cerd_export(); initialise with ::CERD_EXPORT_OPTIONS_INIT. */
typedef struct cerd_export_options {
    unsigned version;          /**< Layout version: 1. */
    cerd_format format;        /**< ::CERD_FORMAT_JSONL, ::CERD_FORMAT_CSV or
                                    ::CERD_FORMAT_BINARY. */
    const cerd_range *range;   /**< Rows to export (borrowed), or NULL for the whole table
                                    in primary-key order. */
    cerd_progress_fn progress; /**< Called every 10000 rows and at the end, or NULL. */
    void *progress_arg;        /**< Passed to @c progress. */
} cerd_export_options;

/** Defaults: JSON Lines, the whole table, no progress. */
#define CERD_EXPORT_OPTIONS_INIT {1, CERD_FORMAT_JSONL, NULL, NULL, NULL}

/**
 * Writes rows of @p t, streamed (memory holds one fetch of rows): the whole table through
 * binary COPY out (cerd_copy_out_open()), a range through a cursor (cerd_stream_open()).
 * JSON Lines: one object per row as cerd_row_to_json() gives it. CSV: a header row with
 * every column, then one record per row, NULL as an empty field, the empty string as "",
 * JSON and arrays as JSON text, quoted when needed: what cerd_import() reads back.
 * Binary: PostgreSQL's binary COPY format of every column (what `COPY t FROM STDIN
 * (FORMAT binary)` reads).
 * @param[out] rows  when not NULL, the number of rows written.
 * @param conn       the connection.
 * @param t          the table.
 * @param opts       NULL for ::CERD_EXPORT_OPTIONS_INIT.
 * @param write      the output.
 * @param write_arg  passed to @p write.
 * @return 0; ::CERD_ERROR when @p write fails; ::CERD_EMISUSE; server errors.
 */
CERD_EXTERN int cerd_export(int64_t *rows, cerd_conn *conn, const cerd_table *t,
                            const cerd_export_options *opts, cerd_write_fn write,
                            void *write_arg);

/**
 * Sets column @p column of @p row from its text, read as cerd_import_parse() reads a CSV
 * field (the text is never NULL; for NULL leave the field NULL). The row's other fields
 * are kept.
 * @param row     a row of @p t (zero-initialised or holding a row); the field's previous
 *                value is released.
 * @param t       the table.
 * @param column  the column's index.
 * @param text    the text (NUL-terminated).
 * @return 0; ::CERD_EINVALID naming the column for text its type cannot read;
 *         ::CERD_ERANGE; ::CERD_EMISUSE; ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_row_set_text(void *row, const cerd_table *t, int column, const char *text);

CERD_END_DECLS

#endif
