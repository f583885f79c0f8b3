/**
 * @file partitions.h
 * @brief Monthly partitions of the time-partitioned tables (price_data,
 *        price_data_archive) and the archive flow of migration 011.
 *
 * These wrap the schema's functions create_monthly_partitions() (migration 003) and
 * archive_price_data_months() (migration 011), so that C programs and the `cryptoerd
 * partitions` command share one implementation. Months are UTC calendar months.
 *
 * Thread safety: the functions use the connection they are given, which is used by one
 * thread at a time.
 */
#ifndef CRYPTOERD_PARTITIONS_H
#define CRYPTOERD_PARTITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/common.h>
#include <cryptoerd/conn.h>

CERD_BEGIN_DECLS

/** A calendar month (UTC). */
typedef struct cerd_month {
    int year;  /**< 1..9999. */
    int month; /**< 1..12. */
} cerd_month;

/**
 * Parses "YYYY-MM" (exactly four digits, a dash, two digits, month 01..12).
 * @return 0; ::CERD_EINVALID quoting the text.
 */
CERD_EXTERN int cerd_month_parse(cerd_month *out, const char *text);

/**
 * Creates the missing monthly partitions `<table>_yYYYYmMM` of @p table for every month
 * from @p from up to and including @p to (create_monthly_partitions()).
 * @param[out] created  when not NULL, the number of partitions created (0 when every one
 *                      existed).
 * @param conn          the connection (its transaction is used when one is open).
 * @param table         a range-partitioned table ("price_data", "price_data_archive").
 * @param from          the first month.
 * @param to            the last month (not before @p from).
 * @return 0; ::CERD_EMISUSE (NULL arguments, @p to before @p from, a bad month);
 *         server errors (a table that is not range-partitioned, rows of a new month
 *         already in the default partition).
 */
CERD_EXTERN int cerd_partitions_create(int *created, cerd_conn *conn, const char *table,
                                       cerd_month from, cerd_month to);

/** One partition of a partitioned table. */
typedef struct cerd_partition {
    char name[64];   /**< The partition's table name ("price_data_y2025m01"). */
    bool is_default; /**< The DEFAULT partition (then @c month is zero). */
    cerd_month month; /**< The month it holds. */
    int64_t rows;    /**< Its row count (exact, count(*)). */
} cerd_partition;

/** Partitions, as cerd_partitions_list() gives them. Release with cerd_partitions_free(). */
typedef struct cerd_partition_list {
    cerd_partition *items; /**< @c count partitions: months in order, the default last. */
    size_t count;          /**< Number of partitions. */
} cerd_partition_list;

/**
 * Lists the partitions of @p table with their exact row counts, in one statement (one
 * snapshot).
 * @param[out] out  zero-initialised; release with cerd_partitions_free().
 * @param conn      the connection.
 * @param table     a partitioned table.
 * @return 0; ::CERD_EMISUSE; server errors (::CERD_ESERVER for a table that does not exist).
 */
CERD_EXTERN int cerd_partitions_list(cerd_partition_list *out, cerd_conn *conn,
                                     const char *table);

/** Releases a list and zeroes it. Accepts NULL. */
CERD_EXTERN void cerd_partitions_free(cerd_partition_list *list);

/**
 * Moves every whole month of price_data before @p before (months ending on or before the
 * first day of @p before) into price_data_archive, atomically, with
 * archive_price_data_months() of migration 011: for each month it detaches the
 * partition, copies its rows, checks in the same transaction that the rows copied and the
 * archive month's count and sums of open/high/low/close/volume grew by exactly the
 * partition's, and drops it. Writers of price_data wait during the call (the table is
 * locked in SHARE ROW EXCLUSIVE mode first, so the reported counts are those moved);
 * readers see the months either in price_data or in price_data_archive, never both or
 * neither. Rows in price_data_default are not moved.
 * @param[out] moved  zero-initialised; the months moved with their row counts (as
 *                    price_data's partitions were before the move); release with
 *                    cerd_partitions_free(). May be NULL.
 * @param[out] rows   when not NULL, the total of rows moved.
 * @param conn        the connection, with no transaction open (the move is its own
 *                    transaction).
 * @param before      the first month that stays.
 * @return 0 (also when nothing was old enough); ::CERD_EMISUSE; server errors (a check
 *         that failed: nothing is moved).
 */
CERD_EXTERN int cerd_partitions_archive(cerd_partition_list *moved, int64_t *rows,
                                        cerd_conn *conn, cerd_month before);

CERD_END_DECLS

#endif
