/**
 * @file migrate.h
 * @brief Bringing a database's schema up to date with the library.
 *
 * The migrations are the files schema/NNN_name.sql of the source tree, compiled into
 * the library. Each is applied once, in order, in its own transaction, and recorded in
 * the table `cerd_schema_migrations` with a checksum of its text.
 */
#ifndef CRYPTOERD_MIGRATE_H
#define CRYPTOERD_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include <cryptoerd/common.h>
#include <cryptoerd/conn.h>

CERD_BEGIN_DECLS

/**
 * Applies every migration the database has not recorded yet.
 *
 * Safe to run from several processes at once: a session-level advisory lock serialises
 * them, and a process that waited finds the work done. A migration that fails is rolled
 * back whole and stops the run; the ones before it stay applied.
 *
 * @param conn          an open connection with no transaction in progress.
 * @param[out] applied  when not NULL, the number of migrations applied by this call.
 * @return 0; ::CERD_EMIGRATION when a recorded migration's checksum differs from the
 *         embedded text or the database records a migration this library does not have;
 *         the server's error code when a migration fails (message names the file).
 */
CERD_EXTERN int cerd_migrate(int *applied, cerd_conn *conn);

/** The number of migrations compiled into the library. */
CERD_EXTERN size_t cerd_migration_count(void);

/**
 * The name of embedded migration @p index ("002_users"), or NULL past the end.
 * Static storage: never freed.
 */
CERD_EXTERN const char *cerd_migration_name(size_t index);

/** One migration as cerd_migration_status() reports it. */
typedef struct cerd_migration_state {
    char name[128];             /**< "002_users" (for a recorded migration this library
                                     does not have: its version only). */
    bool embedded;              /**< Compiled into this library. */
    bool applied;               /**< Recorded in the database's cerd_schema_migrations. */
    char checksum[17];          /**< Checksum of the embedded text (16 hex digits), or ""
                                     when not embedded. */
    char recorded_checksum[17]; /**< Checksum recorded when it was applied, or "". */
    char applied_at[32];        /**< When it was applied, "YYYY-MM-DDTHH:MM:SSZ", or "". */
} cerd_migration_state;

/**
 * Lists every migration, embedded or recorded, in version order, with whether it is
 * applied and both checksums (a difference is what makes cerd_migrate() fail with
 * ::CERD_EMIGRATION). Reads only: a database never migrated has every migration pending.
 * @param[out] out    a new array owned by the caller (free()).
 * @param[out] count  its number of entries.
 * @param conn        the connection.
 * @return 0; ::CERD_EMISUSE; ::CERD_ENOMEM; server errors.
 */
CERD_EXTERN int cerd_migration_status(cerd_migration_state **out, size_t *count,
                                      cerd_conn *conn);

/**
 * Distributes a migrated database on a Citus coordinator: runs schema/citus/distribute.sql
 * (compiled into the library, like the migrations) in one transaction. It creates the
 * reference and distributed tables of docs/scale-out.md in a working order (tables, then
 * distribution, then foreign keys); it is idempotent (a second call changes nothing).
 * @param conn  a connection to the coordinator with no transaction open.
 * @return 0; ::CERD_ESERVER with the server's message when the citus extension is missing
 *         ("... the citus extension is not installed in database ...", SQLSTATE 0A000) or
 *         when migration 011_scale_out is not applied (SQLSTATE 55000); ::CERD_EMISUSE;
 *         other server errors (nothing is changed on failure).
 */
CERD_EXTERN int cerd_distribute(cerd_conn *conn);

/** The text of schema/citus/distribute.sql compiled into the library (static). */
CERD_EXTERN const char *cerd_distribute_sql(void);

CERD_END_DECLS

#endif
