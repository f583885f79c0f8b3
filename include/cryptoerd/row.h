/**
 * @file row.h
 * @brief The generic row operations the typed API is built on.
 *
 * The functions of cryptoerd/tables/TABLE.h are thin wrappers over these, with the table's
 * descriptor; programs normally use the typed API.
 *
 * Ownership: rows passed as input (`const void *in`) are borrowed and never modified
 * or freed. Rows returned through `void *out` belong to the caller and are released
 * with cerd_row_clear() (typed: `cerd_<table>_clear()`); an @c out row must be
 * zero-initialised or hold a row, whose data is released before it is overwritten.
 * Lists are released with cerd_rows_free() (typed: `cerd_<table>_list_free()`).
 * A ::cerd_conn is used by one thread at a time.
 */
#ifndef CRYPTOERD_ROW_H
#define CRYPTOERD_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/common.h>
#include <cryptoerd/conn.h>
#include <cryptoerd/descriptor.h>
#include <cryptoerd/types.h>

CERD_BEGIN_DECLS

/** Opaque keyset position: the primary key of the last row of a page. */
typedef struct cerd_cursor {
    uint8_t data[48];  /**< Encoded key (internal). */
    uint16_t len;      /**< Bytes used in @c data. */
    bool valid;        /**< false: start from the beginning (or: no further page). */
} cerd_cursor;

/** Which page of a list to fetch. Zero-initialised: the first page of the default size,
 *  ascending by primary key. */
typedef struct cerd_page {
    uint32_t limit;       /**< Rows per page; 0 means 100. */
    cerd_cursor after;    /**< Continue after this position (from the previous page's next). */
    bool descending;      /**< Newest (highest primary key) first. */
} cerd_page;

/** Rows of one table, as the generic functions return them. */
typedef struct cerd_rows {
    void *rows;         /**< @c count row structs. */
    size_t count;       /**< Number of rows. */
    cerd_cursor next;   /**< Pass as cerd_page::after for the next page; invalid when this
                             page was the last. */
} cerd_rows;

/** Row operation flags. */
enum cerd_delete_flag {
    CERD_DELETE_HARD = 1 /**< Remove the row even when the table supports soft delete. */
};

/**
 * Inserts @p in (borrowed) and decodes the stored row, with identity and defaults
 * filled in and numerics as stored, into @p out (may be NULL). One round trip.
 * @return 0; ::CERD_EUNIQUE, ::CERD_EFOREIGNKEY, ::CERD_ECHECK, ::CERD_ENOTNULL,
 *         ::CERD_EINVALID (client-side validation), ::CERD_EENCODING, ...
 */
CERD_EXTERN int cerd_row_insert(cerd_conn *conn, const cerd_table *t, const void *in, void *out);

/**
 * Reads the row whose key @p key (-1 for the primary key, else an index into
 * unique_keys) equals the key fields of @p key_row into @p out.
 * @return 0; ::CERD_ENOTFOUND.
 */
CERD_EXTERN int cerd_row_get(cerd_conn *conn, const cerd_table *t, int key,
                             const void *key_row, void *out);

/**
 * Updates the row with the primary key of @p in: every non-key column, or only those in
 * @p columns when it is not NULL. The stored row goes to @p out (may be NULL).
 * @return 0; ::CERD_ENOTFOUND; constraint errors as for insert.
 */
CERD_EXTERN int cerd_row_update(cerd_conn *conn, const cerd_table *t, const void *in,
                                const cerd_colset *columns, void *out);

/**
 * Inserts @p in, or on a conflict on unique key @p key (-1: primary key) updates the
 * existing row with @p in's columns (ON CONFLICT ... DO UPDATE). Stored row to @p out.
 */
CERD_EXTERN int cerd_row_upsert(cerd_conn *conn, const cerd_table *t, int key, const void *in,
                                void *out);

/**
 * Deletes the row with the primary key of @p key_row. On a table with deleted_at the row
 * is soft-deleted (deleted_at = now()) unless @p flags has ::CERD_DELETE_HARD.
 * @return 0; ::CERD_ENOTFOUND (also for an already soft-deleted row).
 */
CERD_EXTERN int cerd_row_delete(cerd_conn *conn, const cerd_table *t, const void *key_row,
                                int flags);

/**
 * Lists rows whose column @p column equals that field of @p value_row, in primary-key
 * order, one page at a time (keyset pagination). @p out receives the rows.
 */
CERD_EXTERN int cerd_row_list(cerd_conn *conn, const cerd_table *t, int column,
                              const void *value_row, const cerd_page *page, cerd_rows *out);

/** Counts the table's rows (soft-deleted rows included). */
CERD_EXTERN int cerd_row_count(cerd_conn *conn, const cerd_table *t, int64_t *out);

/** Sets @p *out to whether a row with the primary key of @p key_row exists. */
CERD_EXTERN int cerd_row_exists(cerd_conn *conn, const cerd_table *t, const void *key_row,
                                bool *out);

/** Releases what a row owns (strings, JSON, arrays) and zeroes it. Accepts NULL. */
CERD_EXTERN void cerd_row_clear(const cerd_table *t, void *row);

/** Releases a list of rows and zeroes it. Accepts NULL. */
CERD_EXTERN void cerd_rows_free(const cerd_table *t, cerd_rows *rows);

CERD_END_DECLS

#endif
