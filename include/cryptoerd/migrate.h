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

CERD_END_DECLS

#endif
