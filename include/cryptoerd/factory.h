/**
 * @file factory.h
 * @brief Deterministic rows for tests and fixtures: valid by construction, or breaking
 *        exactly one chosen constraint.
 *
 * The same table, seed and options always give the same row. Values are realistic for
 * the domain (OHLC candles with low <= open, close <= high; plausible symbols,
 * timeframes, names, e-mail addresses) and satisfy every NOT NULL, varchar length,
 * numeric precision and CHECK constraint of the table.
 *
 * One runtime serves every table: it reads the table's descriptor (column types,
 * varchar lengths, numeric(p,s), foreign and unique keys, and the compiled CHECK
 * expressions), so a table added to the schema needs no new code. Value
 * domains come from the CHECKs (IN lists, comparisons and BETWEEN against constants,
 * IS NOT NULL, lengths and cardinalities); realism comes from hints by column name.
 * CHECKs relating columns (OHLC ordering, retry_count <= max_retries, owner rules) are
 * met by validating the row with cerd_row_validate() and repairing it, a bounded number
 * of times and always along the same path for the same seed.
 *
 * Every column is filled, nullable ones too (about one in ten is left NULL; a
 * soft-delete column mostly is). Columns of unique keys take values that differ from
 * seed to seed, so rows of different seeds that share their parents can all be
 * inserted.
 *
 * Thread safety: cerd_factory_make() keeps no state between calls and may run in
 * several threads at once, each with its own connection (if any).
 */
#ifndef CRYPTOERD_FACTORY_H
#define CRYPTOERD_FACTORY_H

#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/common.h>
#include <cryptoerd/conn.h>
#include <cryptoerd/conn.h>
#include <cryptoerd/descriptor.h>

CERD_BEGIN_DECLS

/** A parent row to point a foreign key at: a row of table @c table. */
typedef struct cerd_factory_parent {
    const char *table; /**< Referenced table. */
    int64_t id;        /**< Its row's id (its first primary-key column). */
    const void *row;   /**< The row itself (a row struct of @c table, borrowed), or NULL.
                            Every column of a foreign key is copied from the parent row (a
                            portfolio asset's (user_id, portfolio_id) from its portfolio's
                            (user_id, id)); without the row only @c id is known, which
                            serves the foreign keys of one column to it. */
} cerd_factory_parent;

/** Options of cerd_factory_make(); initialise with ::CERD_FACTORY_OPTIONS_INIT. */
typedef struct cerd_factory_options {
    unsigned version;                   /**< Layout version: 1. */
    uint64_t seed;                      /**< Same seed, same row. */
    const char *violate;                /**< NULL for a valid row; else the constraint the
                                             row must break (a CHECK name, or "not_null",
                                             "length", "numeric_precision"), all others
                                             holding. */
    const cerd_factory_parent *parents; /**< Rows to use for foreign keys (borrowed): every
                                             foreign key to a table listed here, NOT NULL
                                             or nullable, points at that row; parents
                                             created on the way use them too. */
    size_t nparents;                    /**< Number of @c parents. */
    cerd_conn *create_parents;          /**< When not NULL, a NOT NULL foreign key with no
                                             given parent gets a new parent row, made by the
                                             factory (recursively: its own parents too) and
                                             inserted through this connection; one per
                                             referenced table and call, shared by the
                                             foreign keys to that table. A parent that an
                                             earlier call already inserted (same table and
                                             seed give the same parent) is found by its
                                             unique keys and reused.
                                             Nullable foreign keys stay NULL unless a parent
                                             was given or made in the call, except that a
                                             violating row gets one when breaking the
                                             chosen constraint alone needs it. */
} cerd_factory_options;

/** Defaults: seed 0, a valid row, no parents. */
#define CERD_FACTORY_OPTIONS_INIT {1, 0, NULL, NULL, 0, NULL}

/**
 * Makes a row of table @p t.
 *
 * A valid row passes cerd_row_validate() (both modes) and PostgreSQL's constraints.
 * A violating row (@c opts->violate) is the valid row of the same seed with the columns
 * the chosen constraint reads changed until cerd_row_validate() reports exactly that
 * one violation: for a CHECK, a value outside its list or range, or an ordering
 * reversed (the other CHECKs repaired around it where they read the same columns);
 * "not_null", NULL in a NOT NULL column without a default; "length", a multi-byte text
 * one to three characters longer than its varchar(n); "numeric_precision", a value
 * with one integer digit more than numeric(p,s) allows. The server refuses such a row
 * with SQLSTATE 23514 and the CHECK's name, 23502, 22001 or 22003 respectively (the
 * library's own validation and encoder refuse it before that).
 *
 * @param t     the table.
 * @param opts  NULL for ::CERD_FACTORY_OPTIONS_INIT.
 * @param[out] out  zero-initialised or holding a row (released first); the caller owns
 *                  the row (cerd_row_clear()). The identity column is left 0. On
 *                  failure @p out is left as it was or cleared.
 * @return 0; ::CERD_EMISUSE when a NOT NULL foreign key has no parent and none may be
 *         created, or @c violate names no constraint of the table (also "length" for a
 *         table without varchar(n), and so on), or the options are malformed;
 *         ::CERD_EINVALID when no row breaking @c violate alone exists (e.g. a CHECK
 *         implied by another, a NOT NULL column whose C type cannot be NULL, a varchar(n)
 *         whose every longer value also breaks an IN list); ::CERD_ERROR when no valid
 *         row was found within the bounded repairs (the message lists what still
 *         failed); ::CERD_ENOMEM; errors of looking up and inserting parents.
 */
CERD_EXTERN int cerd_factory_make(void *out, const cerd_table *t,
                                  const cerd_factory_options *opts);

CERD_END_DECLS

#endif
