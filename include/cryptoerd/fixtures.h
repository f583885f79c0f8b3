/**
 * @file fixtures.h
 * @brief Fixture files with symbolic references, dumps back to them, seeded scenarios,
 *        and isolated databases for test suites.
 *
 * The file format is described in docs/fixtures.md. In short: a fixture file is one JSON
 * object whose keys are table names and whose values are arrays of rows; a row gives only
 * the columns that matter, every other NOT NULL column is filled by the table's factory
 * (cerd_factory_make(), deterministic per seed), a row may carry a name (`"$id": "alice"`)
 * and an integer column may refer to a named row (`"user_id": "@users.alice"`, also
 * across files). A fixture set is one file or a folder of files.
 *
 * Reading is split from loading: cerd_fixture_set_add_text(), cerd_fixture_set_add_path()
 * and cerd_fixture_set_resolve() need no database (they check the JSON, the tables and
 * columns, and the references); cerd_fixture_load() writes the set in one transaction.
 *
 * Thread safety: a ::cerd_fixture_set, ::cerd_template, ::cerd_testdb or
 * ::cerd_txn_scope is used by one thread at a time; different objects may be used by
 * different threads at once.
 */
#ifndef CRYPTOERD_FIXTURES_H
#define CRYPTOERD_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/common.h>
#include <cryptoerd/conn.h>

CERD_BEGIN_DECLS

/**
 * Progress of a long operation: @p done of @p total rows (@p total may grow while rows
 * are planned). Called from the thread that runs the operation.
 */
typedef void (*cerd_progress_fn)(void *arg, int64_t done, int64_t total);

/* ------------------------------------------------------------------ fixture sets */

/** A set of fixture files, parsed (opaque). Created by cerd_fixture_set_new(). */
typedef struct cerd_fixture_set cerd_fixture_set;

/**
 * Creates an empty fixture set.
 * @param[out] out  the set, released with cerd_fixture_set_free().
 * @return 0; ::CERD_EMISUSE; ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_fixture_set_new(cerd_fixture_set **out);

/** Releases a fixture set. Accepts NULL. */
CERD_EXTERN void cerd_fixture_set_free(cerd_fixture_set *set);

/**
 * Parses one fixture file's text and adds its rows to the set. Numbers are kept exact
 * (cerd_json_parse_ex()). Checked here, without a database: the JSON (an error names
 * `file:line:column`), the shape (an object of arrays of objects), the table names, the
 * column names of every row, the form of `$id` and of references.
 * @param set   the set.
 * @param name  the name used in messages (a path, "-" for standard input); copied.
 * @param text  the text (need not be NUL-terminated); borrowed.
 * @param len   its length in bytes.
 * @return 0; ::CERD_EINVALID (message `name:line:column: what`, nothing added);
 *         ::CERD_ERANGE (nesting deeper than 1000 levels); ::CERD_EMISUSE (after
 *         cerd_fixture_set_resolve(), or NULL arguments); ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_fixture_set_add_text(cerd_fixture_set *set, const char *name,
                                          const char *text, size_t len);

/**
 * Adds a fixture file, or every `*.json` file of a folder and its subfolders (in byte
 * order of their paths, so the result does not depend on the file system), as
 * cerd_fixture_set_add_text().
 * @return as cerd_fixture_set_add_text(); ::CERD_ERROR when a path cannot be read (the
 *         message names it); ::CERD_EINVALID for a folder without any `*.json` file.
 */
CERD_EXTERN int cerd_fixture_set_add_path(cerd_fixture_set *set, const char *path);

/**
 * Resolves every reference of the set to its row, without a database: `@table.name`
 * (or `@name` in a foreign-key column, the table being the one it references) must name
 * exactly one row. Afterwards no file can be added. cerd_fixture_load() calls it when it
 * has not been called.
 * @return 0; ::CERD_EINVALID naming the referring row's place for an unresolved
 *         reference, a reference to another table than the foreign key's, or a name given
 *         to two rows of a table (ambiguous; both places are named); ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_fixture_set_resolve(cerd_fixture_set *set);

/** Number of rows in the set (every table, every file). */
CERD_EXTERN size_t cerd_fixture_set_row_count(const cerd_fixture_set *set);

/** Number of rows the set holds for table @p table (0 when none or unknown). */
CERD_EXTERN size_t cerd_fixture_set_table_rows(const cerd_fixture_set *set, const char *table);

/* ------------------------------------------------------------------ loading */

/** Options of cerd_fixture_load(); initialise with ::CERD_FIXTURE_LOAD_OPTIONS_INIT. */
typedef struct cerd_fixture_load_options {
    unsigned version;         /**< Layout version: 1. */
    uint64_t seed;            /**< Seed of the factories that fill the columns rows do not
                                   give: the same seed and set give the same rows. */
    bool create_parents;      /**< A NOT NULL foreign key that a row leaves out gets a
                                   parent made by the factory (one per referenced table and
                                   load, shared by every such row, with its own parents
                                   made the same way; one with unique keys that an
                                   earlier load of the same seed inserted is found by
                                   them and reused). false: such a row is an error. */
    size_t copy_threshold;    /**< Tables with more rows than this are written by binary
                                   COPY, the others by INSERTs; 0 means 1000. */
    cerd_progress_fn progress; /**< Called after each table (and every 10000 COPY rows),
                                    or NULL. */
    void *progress_arg;       /**< Passed to @c progress. */
} cerd_fixture_load_options;

/** Defaults: seed 0, no parents made, COPY above 1000 rows, no progress. */
#define CERD_FIXTURE_LOAD_OPTIONS_INIT {1, 0, false, 0, NULL, NULL}

/** What cerd_fixture_load() wrote. */
typedef struct cerd_fixture_result {
    int64_t rows;            /**< Rows of the set written. */
    int64_t parents_created; /**< Parent rows made by the factory (create_parents). */
    int64_t copied;          /**< Of @c rows, those written by COPY. */
    int64_t deferred;        /**< Rows whose foreign keys in a cycle were set by an update
                                  after every insert. */
} cerd_fixture_result;

/**
 * Writes the set's rows, all or nothing.
 *
 * Every row is made by the table's factory (seeded by the load's seed, the table and the
 * row's position among that table's rows), then given its columns: a column the row
 * gives takes that value (read as cerd_row_from_json() reads it, a reference becoming the
 * referenced row's key); a nullable column the row leaves out is NULL (unless a CHECK
 * then fails, in which case the factory's value is kept); a NOT NULL column the row
 * leaves out keeps the factory's value. Each row is validated (cerd_row_validate()).
 *
 * Keys are drawn from the tables' identity sequences before anything is inserted, so
 * references resolve without reading back. Tables are written in foreign-key order
 * (parents first); rows of a table in the order of the set, except that a row referring
 * to a later row of its own table comes after it. References that close a cycle (between
 * tables, or between rows of a table) are written as NULL and set by an update after every
 * insert; such a column must be nullable.
 *
 * It runs in one transaction: its own when none is open on @p conn, else under a
 * savepoint of the caller's (the caller's transaction stays usable after a failure). On
 * any failure nothing of the set is left, and the error record's message starts with the
 * place: `file:line:column: table[index]` (the row's index in its file's array of that
 * table) followed by the column and constraint when the failure concerns one (also in
 * cerd_error_last()'s table, column and constraint).
 *
 * @param[out] out  what was written (may be NULL).
 * @param conn      the connection.
 * @param set       the set (resolved first when needed).
 * @param opts      NULL for ::CERD_FIXTURE_LOAD_OPTIONS_INIT.
 * @return 0; ::CERD_EINVALID (a reference, a missing parent, a value or a row refused by
 *         validation); server errors (::CERD_EUNIQUE, ::CERD_EFOREIGNKEY, ...);
 *         ::CERD_EMISUSE; ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_fixture_load(cerd_fixture_result *out, cerd_conn *conn,
                                  cerd_fixture_set *set, const cerd_fixture_load_options *opts);

/* ------------------------------------------------------------------ dumping */

/** A row to dump from: the row of @c table whose primary key's first column is @c id. */
typedef struct cerd_fixture_root {
    const char *table; /**< Table name. */
    int64_t id;        /**< Its key. */
} cerd_fixture_root;

/** Options of cerd_fixture_dump(); initialise with ::CERD_FIXTURE_DUMP_OPTIONS_INIT. */
typedef struct cerd_fixture_dump_options {
    unsigned version;                /**< Layout version: 1. */
    const char *const *tables;       /**< Tables to dump whole (borrowed), or NULL for every
                                          table except those written by triggers
                                          (audit_log). */
    size_t ntables;                  /**< Number of @c tables. */
    const cerd_fixture_root *roots;  /**< When not NULL, dump instead the rows reached from
                                          these: the roots, every row referring to an
                                          included row (transitively), then every row an
                                          included row refers to (transitively). */
    size_t nroots;                   /**< Number of @c roots. */
    cerd_progress_fn progress;       /**< Called after each table read, or NULL. */
    void *progress_arg;              /**< Passed to @c progress. */
} cerd_fixture_dump_options;

/** Defaults: every table, no roots, no progress. */
#define CERD_FIXTURE_DUMP_OPTIONS_INIT {1, NULL, 0, NULL, 0, NULL, NULL}

/**
 * Writes the database's rows (or those @p opts chooses) in the fixture format: tables in
 * foreign-key order, rows in primary-key order one per line, columns in table order,
 * identity columns left out, every other column written (NULL as null). A row another
 * dumped row refers to gets the name `<table>_<n>` (n: its 1-based position among the
 * dumped rows of its table) and foreign keys to dumped rows are written as
 * `"@table.<table>_<n>"`; a foreign key to a row outside the dump keeps its number.
 * The output depends only on the rows, not on their keys: dump, load into a fresh
 * database, dump again gives the same bytes (rows whose cycle needed an update on load
 * excepted: the update trigger sets their updated_at).
 * Rows are read into memory whole (mind very large tables).
 * @param[out] out  a new NUL-terminated text owned by the caller (free()).
 * @param conn      the connection (a transaction of the caller, if open, is used; use
 *                  REPEATABLE READ for a consistent snapshot of a live database).
 * @param opts      NULL for ::CERD_FIXTURE_DUMP_OPTIONS_INIT.
 * @return 0; ::CERD_EMISUSE (an unknown table, a root whose row does not exist); server
 *         errors; ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_fixture_dump(char **out, cerd_conn *conn,
                                  const cerd_fixture_dump_options *opts);

/* ------------------------------------------------------------------ scenarios */

/** Options of cerd_seed(); initialise with ::CERD_SEED_OPTIONS_INIT. */
typedef struct cerd_seed_options {
    unsigned version;          /**< Layout version: 1. */
    const char *preset;        /**< Scenario name (cerd_seed_preset_name()); NULL: "demo". */
    unsigned scale;            /**< Size, >= 1; 0 means 1. */
    uint64_t seed;             /**< Same seed and scale, same database. */
    cerd_progress_fn progress; /**< Rows done of the total, or NULL. */
    void *progress_arg;        /**< Passed to @c progress. */
} cerd_seed_options;

/** Defaults: preset "demo", scale 1, seed 0, no progress. */
#define CERD_SEED_OPTIONS_INIT {1, NULL, 1, 0, NULL, NULL}

/**
 * Fills the database with a scenario generated by the factories, in one transaction (as
 * cerd_fixture_load(): its own, or a savepoint of the caller's). The preset "demo":
 * assets with real symbols, sectors and sector mappings, hourly candles of every asset
 * (through binary COPY, monthly partitions created), daily metrics snapshots, AI models,
 * regime analyses and trading signals linked to them, users with portfolios, positions,
 * watchlists, trade actions and notifications. At scale s: 10*s assets (at most 200) and
 * min(90*s, 365) days of candles ending 2025-01-01, 5*s users.
 * @param[out] rows  when not NULL, the number of rows written.
 * @param conn       the connection (its database migrated, the tables empty or at least
 *                   free of the scenario's unique values).
 * @param opts       NULL for ::CERD_SEED_OPTIONS_INIT.
 * @return 0; ::CERD_EMISUSE (unknown preset); errors of cerd_fixture_load() and COPY.
 */
CERD_EXTERN int cerd_seed(int64_t *rows, cerd_conn *conn, const cerd_seed_options *opts);

/** Number of seed presets. */
CERD_EXTERN size_t cerd_seed_preset_count(void);

/** Name of preset @p index ("demo"), or NULL past the end. Static. */
CERD_EXTERN const char *cerd_seed_preset_name(size_t index);

/** One-line description of preset @p index, or NULL past the end. Static. */
CERD_EXTERN const char *cerd_seed_preset_description(size_t index);

/* ------------------------------------------------------------------ isolated databases */

/** A template database (opaque): cerd_template_create(). */
typedef struct cerd_template cerd_template;

/** Options of cerd_template_create(); initialise with ::CERD_TEMPLATE_OPTIONS_INIT. */
typedef struct cerd_template_options {
    unsigned version;                       /**< Layout version: 1. */
    cerd_fixture_set *fixture;              /**< A base fixture loaded after migrating, or
                                                 NULL (borrowed). */
    const cerd_fixture_load_options *load;  /**< Its load options, or NULL. */
    const cerd_seed_options *seed;          /**< A scenario seeded after migrating (and after
                                                 the fixture), or NULL. */
} cerd_template_options;

/** Defaults: migrated only. */
#define CERD_TEMPLATE_OPTIONS_INIT {1, NULL, NULL, NULL}

/**
 * Creates database @p name (dropping one of that name first), migrates it (cerd_migrate()),
 * loads the options' fixture and scenario, and disconnects, so that it can be cloned.
 * @param[out] out     the template, released with cerd_template_free() (keeps the
 *                     database) or cerd_template_drop().
 * @param conninfo     a libpq connection string of the server (its dbname is the
 *                     database used for CREATE and DROP DATABASE; NULL or "": libpq's
 *                     PG* environment). The role needs CREATEDB.
 * @param name         the template's name: letters, digits and underscores, at most 40
 *                     bytes; NULL for a unique name (`cerd_tpl_<pid>_<n>`).
 * @param opts         NULL for ::CERD_TEMPLATE_OPTIONS_INIT.
 * @return 0; ::CERD_EMISUSE (a bad name); ::CERD_ECONNECT; errors of migrating and loading
 *         (the half-made database is dropped).
 */
CERD_EXTERN int cerd_template_create(cerd_template **out, const char *conninfo,
                                     const char *name, const cerd_template_options *opts);

/** The template database's name. Borrowed: valid until the template is released. */
CERD_EXTERN const char *cerd_template_name(const cerd_template *tpl);

/** Releases the template object; the database stays. Accepts NULL. */
CERD_EXTERN void cerd_template_free(cerd_template *tpl);

/** Drops the template database (forcing sessions off) and releases the object. Accepts
 *  NULL. @return 0 or the server's error (the object is released anyway). */
CERD_EXTERN int cerd_template_drop(cerd_template *tpl);

/** A database cloned from a template (opaque): cerd_testdb_clone(). */
typedef struct cerd_testdb cerd_testdb;

/**
 * Creates a new database as a copy of the template (`CREATE DATABASE … TEMPLATE …`),
 * named `<template>_<pid>_<n>`; safe from several threads and processes at once (a clone
 * refused because the template is briefly in use is retried).
 * @param[out] out  the database, dropped and released with cerd_testdb_drop().
 * @param tpl       the template (no session may stay connected to it).
 * @return 0; ::CERD_EMISUSE; ::CERD_ECONNECT; server errors.
 */
CERD_EXTERN int cerd_testdb_clone(cerd_testdb **out, const cerd_template *tpl);

/** A libpq connection string of the clone, for cerd_conn_open() or a pool. Borrowed:
 *  valid until cerd_testdb_drop(). */
CERD_EXTERN const char *cerd_testdb_conninfo(const cerd_testdb *db);

/** The clone's database name. Borrowed: valid until cerd_testdb_drop(). */
CERD_EXTERN const char *cerd_testdb_name(const cerd_testdb *db);

/** Drops the clone (forcing its sessions off) and releases it. Accepts NULL.
 *  @return 0 or the server's error (the object is released anyway). */
CERD_EXTERN int cerd_testdb_drop(cerd_testdb *db);

/* ------------------------------------------------------------------ transaction per test */

/** A transaction (or savepoint) to roll back at a test's teardown. Zero-initialise. */
typedef struct cerd_txn_scope {
    cerd_conn *conn;     /**< The connection (internal). */
    unsigned depth;      /**< 0: a transaction of its own; n > 0: savepoint cerd_scope_n. */
    bool active;         /**< Begun and not yet ended. */
} cerd_txn_scope;

/**
 * Begins a scope: a transaction when none is open on @p conn, else a savepoint (so scopes
 * nest: a suite's scope in group setup, a test's inside it).
 * @param[out] out  the scope, ended with cerd_txn_scope_rollback().
 * @param conn      the connection.
 * @return 0; ::CERD_EMISUSE; server errors.
 */
CERD_EXTERN int cerd_txn_scope_begin(cerd_txn_scope *out, cerd_conn *conn);

/**
 * Rolls everything done since cerd_txn_scope_begin() back (the transaction, or to the
 * savepoint, which is then released) and ends the scope. Scopes end in reverse order.
 * Accepts an inactive scope (returns 0).
 * @return 0; server errors.
 */
CERD_EXTERN int cerd_txn_scope_rollback(cerd_txn_scope *scope);

CERD_END_DECLS

#endif
