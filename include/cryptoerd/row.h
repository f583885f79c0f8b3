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
    bool include_deleted; /**< On a table with deleted_at: also list soft-deleted rows
                               (by default they are left out). */
} cerd_page;

/** Rows of one table, as the generic functions return them. */
typedef struct cerd_rows {
    void *rows;         /**< @c count row structs. */
    size_t count;       /**< Number of rows. */
    cerd_cursor next;   /**< Pass as cerd_page::after for the next page; invalid when this
                             page was the last. */
} cerd_rows;

/** Row operation flags. */
enum cerd_row_flag {
    CERD_DELETE_HARD = 1,        /**< cerd_row_delete(): remove the row even when the table
                                      supports soft delete. */
    CERD_ROW_INCLUDE_DELETED = 2 /**< cerd_row_get(), cerd_row_count(), cerd_row_exists():
                                      also see soft-deleted rows (deleted_at set), which are
                                      otherwise hidden. */
};

/**
 * Inserts @p in (borrowed) and decodes the stored row, with identity and defaults
 * filled in and numerics as stored, into @p out (may be NULL). One round trip.
 *
 * The write rule, the same for insert, update, update_columns and upsert: each column is
 * - in the row's `defaults` set: written as DEFAULT (its server default, or NULL when it
 *   has none);
 * - else, when its field holds a value: that value;
 * - else (field NULL: an invalid optional, a NULL pointer, an invalid array, identity 0):
 *   when the column is NOT NULL and has a server default (or is an identity), it is
 *   absent: an insert gives it its default, an update or upsert leaves it unchanged;
 *   otherwise it is written as NULL (so a nullable column with a default gets NULL when
 *   left NULL on insert: to get its default, add it to `defaults`).
 * Rows read back never have `defaults` set: writing one again writes what it holds.
 * @return 0; ::CERD_EUNIQUE, ::CERD_EFOREIGNKEY, ::CERD_ECHECK, ::CERD_ENOTNULL,
 *         ::CERD_EINVALID (client-side validation), ::CERD_EENCODING, ...
 */
CERD_EXTERN int cerd_row_insert(void *out, cerd_conn *conn, const cerd_table *t, const void *in);

/**
 * Reads the row whose key @p key (-1 for the primary key, else an index into
 * unique_keys) equals the key fields of @p key_row into @p out. On a table with
 * deleted_at, a soft-deleted row is not found unless @p flags has
 * ::CERD_ROW_INCLUDE_DELETED.
 * @return 0; ::CERD_ENOTFOUND.
 */
CERD_EXTERN int cerd_row_get(void *out, cerd_conn *conn, const cerd_table *t,
                             int key, const void *key_row, int flags);

/**
 * Updates the row with the primary key of @p in: every non-key column, or only those in
 * @p columns when it is not NULL, each as the write rule of cerd_row_insert() says
 * (absent columns are left unchanged). The stored row goes to @p out (may be NULL).
 * @return 0; ::CERD_ENOTFOUND; constraint errors as for insert.
 */
CERD_EXTERN int cerd_row_update(void *out, cerd_conn *conn, const cerd_table *t,
                                const void *in, const cerd_colset *columns);

/**
 * Inserts @p in, or on a conflict on unique key @p key (-1: primary key) updates the
 * existing row with @p in's columns (ON CONFLICT ... DO UPDATE), both paths following the
 * write rule of cerd_row_insert() (the update path leaves absent columns unchanged and
 * the conflict key's columns as they are). Stored row to @p out (may be NULL).
 */
CERD_EXTERN int cerd_row_upsert(void *out, cerd_conn *conn, const cerd_table *t, int key,
                                const void *in);

/**
 * Deletes the row with the primary key of @p key_row. On a table with deleted_at the row
 * is soft-deleted (deleted_at = now()) unless @p flags has ::CERD_DELETE_HARD.
 * @return 0; ::CERD_ENOTFOUND (also for an already soft-deleted row).
 */
CERD_EXTERN int cerd_row_delete(cerd_conn *conn, const cerd_table *t, const void *key_row,
                                int flags);

/**
 * Lists rows whose foreign key @p foreign_key (an index into cerd_table::foreign_keys)
 * equals those fields of @p value_row, every column of the key (@p foreign_key -1: every
 * row of the table; @p value_row may then be NULL), in primary-key order, one page at a
 * time (keyset pagination). @p out receives the rows. On a table with deleted_at,
 * soft-deleted rows are left out unless cerd_page::include_deleted is set.
 */
CERD_EXTERN int cerd_row_list(cerd_rows *out, cerd_conn *conn, const cerd_table *t,
                              int foreign_key, const void *value_row, const cerd_page *page);

/** Counts the table's rows; soft-deleted rows only with ::CERD_ROW_INCLUDE_DELETED in
 *  @p flags. */
CERD_EXTERN int cerd_row_count(int64_t *out, cerd_conn *conn, const cerd_table *t, int flags);

/** Sets @p *out to whether a row with the primary key of @p key_row exists; a
 *  soft-deleted row counts only with ::CERD_ROW_INCLUDE_DELETED in @p flags. */
CERD_EXTERN int cerd_row_exists(bool *out, cerd_conn *conn, const cerd_table *t,
                                const void *key_row, int flags);

/** Releases what a row owns (strings, JSON, arrays) and zeroes it. Accepts NULL. */
CERD_EXTERN void cerd_row_clear(const cerd_table *t, void *row);

/** Releases a list of rows and zeroes it. Accepts NULL. */
CERD_EXTERN void cerd_rows_free(const cerd_table *t, cerd_rows *rows);

CERD_END_DECLS

#endif
