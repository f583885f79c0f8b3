/**
 * @file bulk.h
 * @brief Bulk and streaming data paths over any table descriptor: binary COPY in and out,
 *        bulk upsert through a staging table, pipelined batches, range reads and streams.
 *
 * These are the generic runtime functions; the typed per-table wrappers are thin layers
 * over them with the table's descriptor. Rows passed in are borrowed (never kept after the
 * call that takes them); rows given back belong to the caller (cerd_row_clear()).
 *
 * Thread safety: a writer, reader, batch or stream is used by one thread at a time, like
 * the connection it works on. While a writer, a COPY-out reader or a stream is open, its
 * connection must not be used for anything else (a COPY occupies the session).
 */
#ifndef CRYPTOERD_BULK_H
#define CRYPTOERD_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/common.h>
#include <cryptoerd/conn.h>
#include <cryptoerd/descriptor.h>
#include <cryptoerd/row.h>
#include <cryptoerd/validate.h>

CERD_BEGIN_DECLS

/* ------------------------------------------------------------------ COPY in */

/** A binary COPY writer (opaque): cerd_copy_begin(), cerd_copy_put(), cerd_copy_end(). */
typedef struct cerd_copy cerd_copy;

/** Options of cerd_copy_begin(); initialise with ::CERD_COPY_OPTIONS_INIT. */
typedef struct cerd_copy_options {
    unsigned version;        /**< Layout version: 1. */
    bool collect_invalid;    /**< false (default): the first invalid row aborts the COPY
                                  (nothing is written) and the call that put it fails with
                                  ::CERD_EINVALID. true ("collect" mode): invalid rows are
                                  skipped and kept with their violations
                                  (cerd_copy_take_rejects()); the valid rows land. */
    size_t flush_bytes;      /**< Rows are sent whenever this many bytes are buffered;
                                  0 means 256 KiB. Memory stays bounded by it. */
    bool create_partitions;  /**< For a table range-partitioned on a timestamptz column
                                  (price_data, price_data_archive): before the first row of
                                  a month not yet seen by this writer is sent, that month's
                                  partition is created (create_monthly_partitions()). Without
                                  it, rows of a month with no partition land in the default
                                  partition. See cerd_copy_begin(). */
} cerd_copy_options;

/** Defaults: abort on the first invalid row, flush every 256 KiB, no partition creation. */
#define CERD_COPY_OPTIONS_INIT {1, false, 0, false}

/** A row refused in collect mode. */
typedef struct cerd_copy_reject {
    size_t ordinal;              /**< 0-based position of the row among every row put into
                                      the writer (refused ones included). */
    cerd_violations violations;  /**< Why it was refused (owned by the reject). */
} cerd_copy_reject;

/** The rows refused in collect mode. Release with cerd_copy_rejects_free(). */
typedef struct cerd_copy_rejects {
    cerd_copy_reject *items;  /**< @c count rejects in the order the rows were put. */
    size_t count;             /**< Number of rejects. */
} cerd_copy_rejects;

/**
 * Starts a binary COPY (`COPY t (columns) FROM STDIN (FORMAT binary)`) into table @p t.
 *
 * The statement itself starts with the first row sent, so a writer that receives no row
 * sends nothing. Every row is validated client-side before it is buffered (as an insert:
 * cerd_row_validate() with ::CERD_VALIDATE_INSERT, restricted to @p columns when they are
 * given), unless the connection's validation is off (cerd_conn_set_validation()). Besides
 * validation, a row must fit the column set: a NOT NULL column of the set must hold a
 * value, and with the set taken from the first row (below) a row may not hold a value in
 * a column outside it. A COPY is one statement: a failure (invalid row in the default
 * mode, server error, lost connection) writes nothing.
 *
 * Partitioned tables: a row whose month has no partition lands in the table's default
 * partition. With @c create_partitions, the writer runs in a transaction (its own when
 * none is open, committed by cerd_copy_end(), rolled back on failure; else the caller's)
 * and, before sending the first row of a month it has not seen, ends the COPY statement
 * under way, calls `create_monthly_partitions(t, month, month + 1)` and starts a new COPY
 * statement; cerd_copy_put_rows() creates every new month of its array first, so one
 * array costs at most one such break. Creating a month fails when rows of that month
 * already sit in the default partition (PostgreSQL's rule).
 *
 * When no transaction is open, the writer runs in one of its own (committed by
 * cerd_copy_end(), rolled back on failure) that defers the foreign-key checks of the rows
 * to its COMMIT (`SET CONSTRAINTS ALL DEFERRED`; the schema's foreign keys are DEFERRABLE
 * INITIALLY IMMEDIATE): PostgreSQL 15 is much slower at checking them while the COPY
 * statement still holds its buffers (docs/benchmarks.md). A violation is still
 * ::CERD_EFOREIGNKEY naming the constraint, and nothing is written.
 * When a transaction of the caller is open, the COPY runs in it with the caller's
 * constraint modes; a failure then leaves that transaction aborted, as any failed
 * statement does.
 *
 * Row-level security: PostgreSQL refuses `COPY FROM` into a table with row-level security
 * enabled for a role subject to it (SQLSTATE 0A000, ::CERD_ESERVER). Write such tables
 * with cerd_bulk_upsert() (its staging table has no policies; the final INSERT ... SELECT
 * applies them) or with a batch.
 *
 * @param[out] out   the writer, owned by the caller until cerd_copy_end() or
 *                   cerd_copy_abort().
 * @param conn       the connection; not to be used for anything else until the writer ends.
 * @param t          the table.
 * @param columns    the columns to send (borrowed, copied); NULL: the columns not absent
 *                   per the write rule in the first row put (a NOT NULL column with a
 *                   default or an identity left NULL/0 there is absent: the server gives
 *                   it its default). Columns outside the set get their default (or NULL).
 * @param opts       NULL for ::CERD_COPY_OPTIONS_INIT.
 * @return 0; ::CERD_EMISUSE (NULL arguments, a malformed option, @c create_partitions on a
 *         table that is not range-partitioned on a timestamptz column); ::CERD_ENOMEM;
 *         server errors (beginning the transaction, reading the partitioning).
 */
CERD_EXTERN int cerd_copy_begin(cerd_copy **out, cerd_conn *conn, const cerd_table *t,
                                const cerd_colset *columns, const cerd_copy_options *opts);

/**
 * Validates @p row (borrowed) and buffers it, sending the buffer when it is full.
 *
 * @return 0 (in collect mode also when the row was refused and kept as a reject);
 *         ::CERD_EINVALID in the default mode when the row is invalid: the COPY has been
 *         aborted, nothing is written, and the error record's message starts with
 *         "copy row N" (N 0-based, as ::cerd_copy_reject::ordinal) and names the table,
 *         column and constraint of the first violation; ::CERD_ECONNLOST and other server
 *         errors; ::CERD_EMISUSE after an earlier failure. After a failure only
 *         cerd_copy_end() (which returns the failure again) or cerd_copy_abort() remain.
 */
CERD_EXTERN int cerd_copy_put(cerd_copy *w, const void *row);

/**
 * cerd_copy_put() for each of the @p n rows of the array @p rows (row structs of @p w's
 * table, consecutive). With @c create_partitions the partitions of every new month of the
 * array are created before any of its rows is sent.
 * @return as cerd_copy_put(); the message names the ordinal of the failing row.
 */
CERD_EXTERN int cerd_copy_put_rows(cerd_copy *w, const void *rows, size_t n);

/**
 * Moves the rows refused so far in collect mode to @p out (zero-initialised or empty;
 * the caller releases it with cerd_copy_rejects_free()). The writer keeps collecting.
 * @return 0; ::CERD_EMISUSE for NULL arguments.
 */
CERD_EXTERN int cerd_copy_take_rejects(cerd_copy_rejects *out, cerd_copy *w);

/** Releases what @p r holds and zeroes it. Accepts NULL. */
CERD_EXTERN void cerd_copy_rejects_free(cerd_copy_rejects *r);

/**
 * Ends the COPY: sends what is buffered, completes the statement (and commits the
 * writer's own transaction, if any) and releases the writer, whatever the outcome.
 *
 * @param[out] rows_out  when not NULL, the number of rows written (refused ones excluded).
 * @param w              the writer (released; NULL is ::CERD_EMISUSE).
 * @return 0; the code of an earlier failure of this writer; server errors
 *         (::CERD_EUNIQUE, ::CERD_EFOREIGNKEY, ::CERD_ECHECK, ...), ::CERD_ECONNLOST —
 *         in every failure case nothing of this writer is written.
 */
CERD_EXTERN int cerd_copy_end(int64_t *rows_out, cerd_copy *w);

/** Aborts the COPY (nothing is written; the writer's own transaction is rolled back) and
 *  releases the writer. Accepts NULL. */
CERD_EXTERN void cerd_copy_abort(cerd_copy *w);

/* ------------------------------------------------------------------ bulk upsert */

/** Options of cerd_bulk_upsert(); initialise with ::CERD_BULK_OPTIONS_INIT. */
typedef struct cerd_bulk_options {
    unsigned version;   /**< Layout version: 1. */
    bool last_wins;     /**< Rows of one call sharing a key: false (default) refuses the
                             call with ::CERD_EINVALID naming both ordinals; true keeps the
                             last of them (the others are not sent). */
    size_t flush_bytes; /**< As ::cerd_copy_options::flush_bytes. */
} cerd_bulk_options;

/** Defaults: duplicates are an error, flush every 256 KiB. */
#define CERD_BULK_OPTIONS_INIT {1, false, 0}

/** What cerd_bulk_upsert() did. */
typedef struct cerd_bulk_result {
    int64_t inserted; /**< Rows inserted. */
    int64_t updated;  /**< Existing rows updated. */
    int64_t skipped;  /**< Rows not sent because a later row had the same key (last wins). */
} cerd_bulk_result;

/**
 * Inserts or updates @p n rows on key @p key in one transaction.
 *
 * The rows are validated (as inserts) and checked for duplicate keys client-side, then
 * sent by binary COPY into a temporary staging table (`CREATE TEMP TABLE ... ON COMMIT
 * DROP AS SELECT columns FROM t WITH NO DATA`: the column types without constraints, so
 * absent columns need no default there), then moved with one `INSERT INTO t (columns)
 * SELECT ... ON CONFLICT (key) DO UPDATE SET` every sent non-key column `= EXCLUDED`.
 * The updated count is the number of staged keys that exist just before that INSERT
 * (RETURNING `xmax = 0` is not available on partitioned tables); the counts are exact
 * unless another session writes the same keys during the call. The staging table is dropped. All of
 * it runs in the library's own transaction when none is open, else under a savepoint of
 * the caller's transaction (released on success, rolled back to on failure, so the
 * caller's transaction stays usable).
 *
 * Columns are those not absent per the write rule in the first row; every row must hold
 * the same columns, and the key columns must hold values.
 *
 * @param[out] out  the counts (may be NULL).
 * @param conn      the connection.
 * @param t         the table.
 * @param key       -1 for the primary key, else an index into @c t->unique_keys.
 * @param rows      @p n row structs of @p t, consecutive (borrowed).
 * @param n         number of rows (0: nothing is done).
 * @param opts      NULL for ::CERD_BULK_OPTIONS_INIT.
 * @return 0; ::CERD_EINVALID (a row fails validation: the message starts with
 *         "upsert row N", N 0-based; two rows share a key: it names both ordinals);
 *         ::CERD_EMISUSE; server errors; nothing is written on failure.
 */
CERD_EXTERN int cerd_bulk_upsert(cerd_bulk_result *out, cerd_conn *conn, const cerd_table *t,
                                 int key, const void *rows, size_t n,
                                 const cerd_bulk_options *opts);

/* ------------------------------------------------------------------ pipelined batches */

/** A batch of operations sent in libpq pipeline mode (opaque). */
typedef struct cerd_batch cerd_batch;

/** Options of cerd_batch_new(); initialise with ::CERD_BATCH_OPTIONS_INIT. */
typedef struct cerd_batch_options {
    unsigned version; /**< Layout version: 1. */
    bool atomic;      /**< false (default): each operation stands alone (its own implicit
                           transaction when none is open; in a transaction of the caller, a
                           failure aborts that transaction and the later operations fail).
                           true: all or nothing: the operations run in one transaction (the
                           batch's own, or a savepoint of the caller's); after a failure
                           the later operations are not run and the earlier ones are rolled
                           back. */
} cerd_batch_options;

/** Defaults: not atomic. */
#define CERD_BATCH_OPTIONS_INIT {1, false}

/** The outcome of one queued operation. Owned by the batch. */
typedef struct cerd_batch_result {
    int code;                 /**< 0 or a ::cerd_error_code, as the operation alone would
                                   return (::CERD_ENOTFOUND for a get, update or delete that
                                   found no row). */
    bool rolled_back;         /**< Atomic mode: the operation succeeded but the batch
                                   failed, so its effect was rolled back. */
    const cerd_table *table;  /**< The operation's table. */
    void *row;                /**< Insert, update, upsert (the stored row) and get (the
                                   row read): a row of @c table owned by the batch;
                                   otherwise, or on failure, NULL. */
    int64_t affected;         /**< Rows the statement affected (delete: 0 or 1). */
    char sqlstate[6];         /**< The error's SQLSTATE, or "". */
    const char *message;      /**< The error message, or "" (owned by the batch). */
    const char *column;       /**< The column the error names, or "". */
    const char *constraint;   /**< The constraint the error names, or "". */
    const char *detail;       /**< The server's DETAIL, or "". */
} cerd_batch_result;

/**
 * Creates an empty batch.
 * @param[out] out  the batch, released with cerd_batch_free().
 * @param opts      NULL for ::CERD_BATCH_OPTIONS_INIT.
 * @return 0; ::CERD_ENOMEM; ::CERD_EMISUSE.
 */
CERD_EXTERN int cerd_batch_new(cerd_batch **out, const cerd_batch_options *opts);

/**
 * Queues an insert of @p row (as cerd_row_insert(): present columns, RETURNING the
 * stored row). The row is validated and encoded now (borrowed only during the call); a
 * row refused by validation still takes its place in the results, with ::CERD_EINVALID,
 * and is not sent (in atomic mode the batch then sends nothing).
 * @return 0 (queued); ::CERD_EMISUSE, ::CERD_ENOMEM (nothing queued).
 */
CERD_EXTERN int cerd_batch_insert(cerd_batch *b, const cerd_table *t, const void *row);

/** Queues an update by primary key, as cerd_row_update() (@p columns may be NULL).
 *  @return as cerd_batch_insert(). */
CERD_EXTERN int cerd_batch_update(cerd_batch *b, const cerd_table *t, const void *row,
                                  const cerd_colset *columns);

/** Queues an upsert on key @p key (-1: primary key), as cerd_row_upsert().
 *  @return as cerd_batch_insert(). */
CERD_EXTERN int cerd_batch_upsert(cerd_batch *b, const cerd_table *t, int key,
                                  const void *row);

/** Queues a delete by primary key, as cerd_row_delete() (@p flags: ::CERD_DELETE_HARD).
 *  @return as cerd_batch_insert(). */
CERD_EXTERN int cerd_batch_delete(cerd_batch *b, const cerd_table *t, const void *key_row,
                                  int flags);

/** Queues a read by key @p key (-1: primary key), as cerd_row_get().
 *  @return as cerd_batch_insert(). */
CERD_EXTERN int cerd_batch_get(cerd_batch *b, const cerd_table *t, int key,
                               const void *key_row);

/** Number of queued operations. */
CERD_EXTERN size_t cerd_batch_count(const cerd_batch *b);

/**
 * Sends every queued operation in pipeline mode without waiting, then reads one result
 * per operation, in order. A batch runs once.
 * @return 0 when every operation succeeded; else the code of the first failing one (its
 *         result and the error record tell which); ::CERD_ECONNLOST (results of the
 *         operations not answered carry it too); ::CERD_EMISUSE.
 */
CERD_EXTERN int cerd_batch_run(cerd_batch *b, cerd_conn *conn);

/** The result of operation @p index (0-based, in queue order) after cerd_batch_run(), or
 *  NULL. Borrowed: valid until cerd_batch_free(). */
CERD_EXTERN const cerd_batch_result *cerd_batch_result_at(const cerd_batch *b, size_t index);

/** Releases a batch, its queued parameters and its results. Accepts NULL. */
CERD_EXTERN void cerd_batch_free(cerd_batch *b);

/* ------------------------------------------------------------------ ranges and streams */

/**
 * A range over an index or key given as its columns: equality on the leading
 * @c nequal columns, an optional half-open range [from, to) on the next one, rows in the
 * order of the remaining columns then the primary key (all ascending or all descending).
 * Zero-initialise, then fill.
 */
typedef struct cerd_range {
    uint8_t ncolumns;      /**< Columns of the index, 1..4. */
    uint16_t columns[4];   /**< Their indexes in the table, in index order. */
    uint8_t nequal;        /**< Leading columns compared for equality (< @c ncolumns unless
                                neither bound is given). */
    const void *equal;     /**< Row holding the values of the @c nequal leading columns
                                (borrowed; NULL when @c nequal is 0). */
    const void *from;      /**< Row whose field of column @c columns[nequal] is the
                                inclusive lower bound, or NULL for none. */
    const void *to;        /**< Row whose field of that column is the exclusive upper
                                bound, or NULL for none. */
    bool descending;       /**< Newest (highest) first. */
    uint32_t limit;        /**< Most rows to return; 0: no limit. */
    const void *after;     /**< Keyset page: continue after this row (the last row of the
                                previous page, borrowed), or NULL for the first page. The
                                ordering columns must not be NULL. */
} cerd_range;

/**
 * Reads the rows of @p range into @p out (one block, cerd_rows_free()).
 * `out->next.valid` is true when the page was full (@c limit rows): pass the last row as
 * ::cerd_range::after to continue.
 * @return 0 (also for an empty range); ::CERD_EMISUSE for a malformed range; server errors.
 */
CERD_EXTERN int cerd_row_range(cerd_rows *out, cerd_conn *conn, const cerd_table *t,
                               const cerd_range *range);

/** A stream of rows (opaque): cerd_stream_open(), cerd_stream_next(), cerd_stream_close(). */
typedef struct cerd_stream cerd_stream;

/**
 * Opens a stream over @p range (NULL: the whole table, in primary-key order) through a
 * server-side cursor (`DECLARE ... NO SCROLL CURSOR`) read with `FETCH FORWARD n` in
 * binary: memory holds at most @p fetch_rows decoded results at a time. The cursor lives
 * in the caller's transaction when one is open, else in the stream's own (read) one,
 * ended by cerd_stream_close().
 * @param[out] out   the stream, released with cerd_stream_close().
 * @param conn       the connection; used only through the stream until it is closed.
 * @param t          the table.
 * @param range      the range (borrowed, only during this call), or NULL.
 * @param fetch_rows rows per FETCH; 0 means 1000.
 * @return 0; ::CERD_EMISUSE; server errors.
 */
CERD_EXTERN int cerd_stream_open(cerd_stream **out, cerd_conn *conn, const cerd_table *t,
                                 const cerd_range *range, size_t fetch_rows);

/**
 * Decodes the next row into @p row_out (zero-initialised or holding a row, released
 * first).
 * @return 1 (a row), 0 (the end), or a negative ::cerd_error_code.
 */
CERD_EXTERN int cerd_stream_next(cerd_stream *s, void *row_out);

/** Closes the cursor (ending the stream's own transaction) and releases the stream.
 *  Accepts NULL. @return 0 or the error of closing. */
CERD_EXTERN int cerd_stream_close(cerd_stream *s);

/** A binary COPY-out reader (opaque), with the iterator shape of ::cerd_stream. */
typedef struct cerd_copy_out cerd_copy_out;

/**
 * Starts `COPY (SELECT every column FROM t) TO STDOUT (FORMAT binary)`. A whole table:
 * COPY takes no parameters, and values are never written into SQL text, so ranges are
 * read with cerd_stream_open(). Memory holds one row at a time.
 * @param[out] out  the reader, released with cerd_copy_out_close().
 * @param conn      the connection; not to be used otherwise until the reader is closed.
 * @param t         the table.
 * @return 0; ::CERD_EMISUSE; server errors.
 */
CERD_EXTERN int cerd_copy_out_open(cerd_copy_out **out, cerd_conn *conn, const cerd_table *t);

/** The next row into @p row_out (as cerd_stream_next()). @return 1, 0 at the end, or a
 *  negative code. */
CERD_EXTERN int cerd_copy_out_next(cerd_copy_out *r, void *row_out);

/** Ends the COPY (cancelling it if rows remain unread) and releases the reader. Accepts
 *  NULL. @return 0 or the error of ending it. */
CERD_EXTERN int cerd_copy_out_close(cerd_copy_out *r);

CERD_END_DECLS

#endif
