"""The C declarations the package uses (the generic public API of libcryptoerd only: no
per-table declarations), and where the shared library is found.

cffi in ABI mode: nothing is compiled; calls release the GIL while the C function runs.
"""
from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
import threading
from typing import Any, List

import cffi  # type: ignore[import]  # Debian's python3-cffi ships no stubs

CDEF = r"""
typedef struct cerd_conn cerd_conn;
typedef struct cerd_pool cerd_pool;
typedef struct cerd_stream cerd_stream;
typedef struct cerd_copy cerd_copy;
typedef struct cerd_copy_out cerd_copy_out;
typedef struct cerd_check cerd_check;
typedef struct cerd_factory_hint cerd_factory_hint;

typedef struct cerd_error {
    int code;
    char sqlstate[6];
    const char *message;
    const char *detail;
    const char *table;
    const char *column;
    const char *constraint;
    int64_t line;
} cerd_error;
const cerd_error *cerd_error_last(void);
void cerd_error_clear(void);
const char *cerd_strerror(int code);
const char *cerd_error_name(int code);

typedef struct cerd_column {
    const char *name;
    int type;
    uint16_t flags;
    uint16_t offset;
    int32_t max_chars;
    int16_t precision;
    int16_t scale;
} cerd_column;
typedef struct cerd_key {
    const char *name;
    uint8_t ncolumns;
    uint16_t columns[4];
    const char *predicate;
} cerd_key;
typedef struct cerd_foreign_key {
    const char *name;
    uint8_t ncolumns;
    uint16_t columns[4];
    const char *ref_table;
    const char *ref_columns[4];
} cerd_foreign_key;
typedef struct cerd_table {
    uint32_t abi;
    const char *name;
    size_t row_size;
    uint16_t ncolumns;
    const cerd_column *columns;
    cerd_key primary_key;
    uint16_t nunique;
    const cerd_key *unique_keys;
    uint16_t nforeign;
    const cerd_foreign_key *foreign_keys;
    int16_t soft_delete_column;
    uint16_t nchecks;
    const cerd_check *const *checks;
    size_t defaults_offset;
    const cerd_factory_hint *hints;
} cerd_table;
typedef struct cerd_colset { uint64_t bits[2]; } cerd_colset;
const cerd_table *cerd_table_find(const char *name);
size_t cerd_table_count(void);
const cerd_table *cerd_table_at(size_t index);

typedef struct cerd_cursor { uint8_t data[48]; uint16_t len; bool valid; } cerd_cursor;
typedef struct cerd_page {
    uint32_t limit; cerd_cursor after; bool descending; bool include_deleted;
} cerd_page;
typedef struct cerd_rows { void *rows; size_t count; cerd_cursor next; } cerd_rows;

int cerd_conn_open(cerd_conn **out, const char *conninfo);
void cerd_conn_free(cerd_conn *conn);
int cerd_conn_exec(cerd_conn *conn, const char *sql);
int cerd_conn_begin(cerd_conn *conn);
int cerd_conn_commit(cerd_conn *conn);
int cerd_conn_rollback(cerd_conn *conn);
int cerd_conn_ok(const cerd_conn *conn);
int cerd_conn_savepoint(cerd_conn *conn, const char *name);
int cerd_conn_rollback_to(cerd_conn *conn, const char *name);
int cerd_conn_release(cerd_conn *conn, const char *name);
void cerd_conn_set_validation(cerd_conn *conn, bool on);
void cerd_conn_set_io_timeout(cerd_conn *conn, unsigned ms);
unsigned cerd_conn_io_timeout(const cerd_conn *conn);
int cerd_conn_query_json(void **out, cerd_conn *conn, const char *sql, int nparams,
                         const char *const *params);
typedef struct cerd_txn_options {
    unsigned version; int isolation; unsigned max_attempts; void *commit_lsn;
} cerd_txn_options;
int cerd_conn_transact(cerd_conn *conn, const cerd_txn_options *opts,
                       int (*fn)(cerd_conn *, void *), void *arg);
int cerd_migrate(int *applied, cerd_conn *conn);

int cerd_row_insert(void *out, cerd_conn *conn, const cerd_table *t, const void *in);
int cerd_row_get(void *out, cerd_conn *conn, const cerd_table *t, int key,
                 const void *key_row, int flags);
int cerd_row_update(void *out, cerd_conn *conn, const cerd_table *t, const void *in,
                    const cerd_colset *columns);
int cerd_row_upsert(void *out, cerd_conn *conn, const cerd_table *t, int key, const void *in);
int cerd_row_delete(cerd_conn *conn, const cerd_table *t, const void *key_row, int flags);
int cerd_row_list(cerd_rows *out, cerd_conn *conn, const cerd_table *t, int column,
                  const void *value_row, const cerd_page *page);
int cerd_row_count(int64_t *out, cerd_conn *conn, const cerd_table *t, int flags);
int cerd_row_exists(bool *out, cerd_conn *conn, const cerd_table *t, const void *key_row,
                    int flags);
void cerd_row_clear(const cerd_table *t, void *row);
void cerd_rows_free(const cerd_table *t, cerd_rows *rows);

void cJSON_Delete(void *item);
int cerd_json_print(char **out, const void *v, unsigned flags);
void free(void *);

typedef struct cerd_violation {
    int kind; const char *constraint; uint16_t ncolumns; const uint16_t *columns;
    const char *message;
} cerd_violation;
typedef struct cerd_violations {
    const cerd_table *table; size_t count; cerd_violation *items;
} cerd_violations;
int cerd_row_validate(cerd_violations *out, const cerd_table *t, const void *row, int mode);
void cerd_violations_free(cerd_violations *v);

typedef struct cerd_copy_options {
    unsigned version; bool collect_invalid; size_t flush_bytes; bool create_partitions;
} cerd_copy_options;
typedef struct cerd_copy_reject { size_t ordinal; cerd_violations violations; } cerd_copy_reject;
typedef struct cerd_copy_rejects { cerd_copy_reject *items; size_t count; } cerd_copy_rejects;
int cerd_copy_begin(cerd_copy **out, cerd_conn *conn, const cerd_table *t,
                    const cerd_colset *columns, const cerd_copy_options *opts);
int cerd_copy_take_rejects(cerd_copy_rejects *out, cerd_copy *w);
void cerd_copy_rejects_free(cerd_copy_rejects *r);
int cerd_copy_end(int64_t *rows_out, cerd_copy *w);
void cerd_copy_abort(cerd_copy *w);

typedef struct cerd_bulk_options { unsigned version; bool last_wins; size_t flush_bytes; } cerd_bulk_options;
typedef struct cerd_bulk_result { int64_t inserted; int64_t updated; int64_t skipped; } cerd_bulk_result;
int cerd_bulk_upsert(cerd_bulk_result *out, cerd_conn *conn, const cerd_table *t, int key,
                     const void *rows, size_t n, const cerd_bulk_options *opts);

typedef struct cerd_range {
    uint8_t ncolumns; uint16_t columns[4]; uint8_t nequal; const void *equal;
    const void *from; const void *to; bool descending; uint32_t limit; const void *after;
} cerd_range;
int cerd_row_range(cerd_rows *out, cerd_conn *conn, const cerd_table *t, const cerd_range *range);
int cerd_stream_open(cerd_stream **out, cerd_conn *conn, const cerd_table *t,
                     const cerd_range *range, size_t fetch_rows);
int cerd_stream_close(cerd_stream *s);
int cerd_copy_out_open(cerd_copy_out **out, cerd_conn *conn, const cerd_table *t);
int cerd_copy_out_close(cerd_copy_out *r);

int cerd_rows_format_text(char **out, size_t *len, const cerd_table *t, const void *rows, size_t n);
void cerd_text_free(char *text);
int cerd_row_parse_text(void *out, const cerd_table *t, const char *text, size_t len);
int cerd_rows_parse_text(cerd_rows *out, const cerd_table *t, const char *text, size_t len);
int cerd_copy_put_text(cerd_copy *w, const cerd_table *t, const char *text, size_t len);
int cerd_stream_read_text(char **out, size_t *len, size_t *nrows, cerd_stream *s,
                          const cerd_table *t, size_t max_rows);
int cerd_copy_out_read_text(char **out, size_t *len, size_t *nrows, cerd_copy_out *r,
                            const cerd_table *t, size_t max_rows);

typedef struct cerd_factory_parent { const char *table; int64_t id; const void *row; } cerd_factory_parent;
typedef struct cerd_factory_options {
    unsigned version; uint64_t seed; const char *violate;
    const cerd_factory_parent *parents; size_t nparents; cerd_conn *create_parents;
} cerd_factory_options;
int cerd_factory_make(void *out, const cerd_table *t, const cerd_factory_options *opts);

typedef struct cerd_pool_options {
    unsigned version; const char *conninfo; unsigned min_size; unsigned max_size;
    unsigned acquire_timeout_ms; unsigned connect_timeout_ms; unsigned idle_timeout_ms;
    unsigned max_lifetime_ms; unsigned lifetime_jitter_ms; unsigned health_check_period_ms;
    unsigned idle_check_ms; unsigned statement_timeout_ms;
    unsigned idle_in_transaction_timeout_ms; int target; int named_statements;
    void *after_connect; void *after_connect_arg; cerd_pool *fallback;
} cerd_pool_options;
typedef struct cerd_pool_statistics {
    unsigned version; unsigned total; unsigned idle; unsigned in_use; unsigned waiting;
    unsigned connecting; uint64_t acquires; uint64_t waits; uint64_t wait_us;
    uint64_t timeouts; uint64_t connect_failures; uint64_t created;
    uint64_t destroyed_lifetime; uint64_t destroyed_idle; uint64_t destroyed_broken;
    uint64_t destroyed_failover; uint64_t destroyed_dirty; uint64_t destroyed_closed;
    uint64_t replay_waits; uint64_t replay_fallbacks; uint64_t replay_timeouts;
} cerd_pool_statistics;
int cerd_pool_new(cerd_pool **out, const cerd_pool_options *opts);
int cerd_pool_acquire(cerd_conn **out, cerd_pool *pool);
int cerd_pool_acquire_as(cerd_conn **out, cerd_pool *pool, int64_t user_id);
void cerd_pool_release(cerd_pool *pool, cerd_conn *conn);
int cerd_pool_stats(cerd_pool_statistics *out, cerd_pool *pool);
void cerd_pool_free(cerd_pool *pool);
typedef struct cerd_fixture_set cerd_fixture_set;
int cerd_fixture_set_new(cerd_fixture_set **out);
void cerd_fixture_set_free(cerd_fixture_set *set);
int cerd_fixture_set_add_path(cerd_fixture_set *set, const char *path);
typedef void (*cerd_progress_fn)(void *arg, int64_t done, int64_t total);
typedef struct cerd_fixture_load_options {
    unsigned version; uint64_t seed; bool create_parents; size_t copy_threshold;
    cerd_progress_fn progress; void *progress_arg;
} cerd_fixture_load_options;
typedef struct cerd_fixture_result {
    int64_t rows; int64_t parents_created; int64_t copied; int64_t deferred;
} cerd_fixture_result;
int cerd_fixture_load(cerd_fixture_result *out, cerd_conn *conn, cerd_fixture_set *set,
                      const cerd_fixture_load_options *opts);
/* --- testing: templates, clones, seed, dump (h-pytestdb) --- */
typedef struct cerd_fixture_root { const char *table; int64_t id; } cerd_fixture_root;
typedef struct cerd_fixture_dump_options {
    unsigned version; const char *const *tables; size_t ntables;
    const cerd_fixture_root *roots; size_t nroots;
    cerd_progress_fn progress; void *progress_arg;
} cerd_fixture_dump_options;
int cerd_fixture_dump(char **out, cerd_conn *conn, const cerd_fixture_dump_options *opts);
typedef struct cerd_seed_options {
    unsigned version; const char *preset; unsigned scale; uint64_t seed;
    cerd_progress_fn progress; void *progress_arg;
} cerd_seed_options;
int cerd_seed(int64_t *rows, cerd_conn *conn, const cerd_seed_options *opts);
size_t cerd_seed_preset_count(void);
const char *cerd_seed_preset_name(size_t index);
const char *cerd_seed_preset_description(size_t index);
typedef struct cerd_template cerd_template;
typedef struct cerd_template_options {
    unsigned version; cerd_fixture_set *fixture; const cerd_fixture_load_options *load;
    const cerd_seed_options *seed;
} cerd_template_options;
int cerd_template_create(cerd_template **out, const char *conninfo, const char *name,
                         const cerd_template_options *opts);
const char *cerd_template_name(const cerd_template *tpl);
void cerd_template_free(cerd_template *tpl);
int cerd_template_drop(cerd_template *tpl);
typedef struct cerd_testdb cerd_testdb;
int cerd_testdb_clone(cerd_testdb **out, const cerd_template *tpl);
const char *cerd_testdb_conninfo(const cerd_testdb *db);
const char *cerd_testdb_name(const cerd_testdb *db);
int cerd_testdb_drop(cerd_testdb *db);
/* --- end h-pytestdb --- */

/* --- admin: partitions, import/export, migrations, pool hook (h-pyadmin) --- */
/* partitions.h (used by _admin.py) */
typedef struct cerd_month { int year; int month; } cerd_month;
int cerd_month_parse(cerd_month *out, const char *text);
int cerd_partitions_create(int *created, cerd_conn *conn, const char *table,
                           cerd_month from, cerd_month to);
typedef struct cerd_partition {
    char name[64]; bool is_default; cerd_month month; int64_t rows;
} cerd_partition;
typedef struct cerd_partition_list { cerd_partition *items; size_t count; } cerd_partition_list;
int cerd_partitions_list(cerd_partition_list *out, cerd_conn *conn, const char *table);
void cerd_partitions_free(cerd_partition_list *list);
int cerd_partitions_archive(cerd_partition_list *moved, int64_t *rows, cerd_conn *conn,
                            cerd_month before);
/* transfer.h */
typedef enum cerd_format {
    CERD_FORMAT_CSV = 1, CERD_FORMAT_JSONL = 2, CERD_FORMAT_BINARY = 3
} cerd_format;
typedef long (*cerd_read_fn)(void *arg, char *buf, size_t size);
typedef int (*cerd_write_fn)(void *arg, const char *data, size_t len);
typedef struct cerd_import_options {
    unsigned version; cerd_format format; const char *name; bool create_partitions;
    cerd_progress_fn progress; void *progress_arg;
} cerd_import_options;
int cerd_import(int64_t *rows, cerd_conn *conn, const cerd_table *t, cerd_read_fn read,
                void *read_arg, const cerd_import_options *opts);
typedef int (*cerd_import_row_fn)(void *arg, int64_t line, const void *row);
int cerd_import_parse(int64_t *rows, const cerd_table *t, cerd_read_fn read, void *read_arg,
                      const cerd_import_options *opts, cerd_import_row_fn fn, void *fn_arg);
typedef struct cerd_export_options {
    unsigned version; cerd_format format; const cerd_range *range;
    cerd_progress_fn progress; void *progress_arg;
} cerd_export_options;
int cerd_export(int64_t *rows, cerd_conn *conn, const cerd_table *t,
                const cerd_export_options *opts, cerd_write_fn write, void *write_arg);
/* migrate.h */
size_t cerd_migration_count(void);
const char *cerd_migration_name(size_t index);
typedef struct cerd_migration_state {
    char name[128]; bool embedded; bool applied; char checksum[17];
    char recorded_checksum[17]; char applied_at[32];
} cerd_migration_state;
int cerd_migration_status(cerd_migration_state **out, size_t *count, cerd_conn *conn);
/* pool.h: cerd_pool_options.after_connect (declared void * above; cast to it) */
typedef int (*cerd_pool_connect_fn)(cerd_conn *conn, void *arg);
/* --- end h-pyadmin --- */
"""

# ------------------------------------------------------------------ batches and read replicas
# Pipelined batches (bulk.h cerd_batch_*), read-your-writes on standbys (pool.h
# cerd_pool_acquire_read/_read_as, conn.h cerd_conn_commit_lsn): used by _batch.py and
# _replica.py.
CDEF_BATCH_REPLICA = r"""
typedef struct cerd_batch cerd_batch;
typedef struct cerd_batch_options { unsigned version; bool atomic; } cerd_batch_options;
typedef struct cerd_batch_result {
    int code; bool rolled_back; const cerd_table *table; void *row; int64_t affected;
    char sqlstate[6]; const char *message; const char *column; const char *constraint;
    const char *detail;
} cerd_batch_result;
int cerd_batch_new(cerd_batch **out, const cerd_batch_options *opts);
int cerd_batch_insert(cerd_batch *b, const cerd_table *t, const void *row);
int cerd_batch_update(cerd_batch *b, const cerd_table *t, const void *row,
                      const cerd_colset *columns);
int cerd_batch_upsert(cerd_batch *b, const cerd_table *t, int key, const void *row);
int cerd_batch_delete(cerd_batch *b, const cerd_table *t, const void *key_row, int flags);
int cerd_batch_get(cerd_batch *b, const cerd_table *t, int key, const void *key_row);
size_t cerd_batch_count(const cerd_batch *b);
int cerd_batch_run(cerd_batch *b, cerd_conn *conn);
const cerd_batch_result *cerd_batch_result_at(const cerd_batch *b, size_t index);
void cerd_batch_free(cerd_batch *b);

typedef struct cerd_lsn { uint64_t value; } cerd_lsn;
int cerd_conn_commit_lsn(cerd_lsn *out, cerd_conn *conn);
int cerd_pool_acquire_read(cerd_conn **out, cerd_pool *pool, const cerd_lsn *after,
                           unsigned timeout_ms);
int cerd_pool_acquire_read_as(cerd_conn **out, cerd_pool *pool, const cerd_lsn *after,
                              unsigned timeout_ms, int64_t user_id);
"""

ffi = cffi.FFI()
ffi.cdef(CDEF)
ffi.cdef(CDEF_BATCH_REPLICA)

_lock = threading.Lock()
_lib: Any = None


def _candidates() -> List[str]:
    out: List[str] = []
    env = os.environ.get("CRYPTOERD_LIBRARY")
    if env:
        return [env]
    for prefix in (sys.prefix, sys.base_prefix, "/usr/local", "/usr"):
        for sub in ("lib", "lib64", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu"):
            out.append(os.path.join(prefix, sub, "libcryptoerd.so"))
    if shutil.which("pkg-config"):
        try:
            libdir = subprocess.run(
                ["pkg-config", "--variable=libdir", "cryptoerd"],
                capture_output=True, text=True, check=False, timeout=10,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            libdir = ""
        if libdir:
            out.append(os.path.join(libdir, "libcryptoerd.so"))
    found = ctypes.util.find_library("cryptoerd")
    if found:
        out.append(found)
    return out


def load() -> Any:
    """The loaded library (cffi ABI-mode handle). Raises ImportError saying where it looked."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried = _candidates()
        errors = []
        for path in tried:
            if os.sep in path and not os.path.exists(path):
                errors.append(f"{path}: no such file")
                continue
            try:
                _lib = ffi.dlopen(path)
                return _lib
            except OSError as e:
                errors.append(f"{path}: {e}")
        raise ImportError(
            "cryptoerd: cannot find libcryptoerd.so. Set CRYPTOERD_LIBRARY to its path "
            "(for a build tree: $PWD/build/libcryptoerd.so), or install the library "
            "(cmake --install) so that pkg-config finds it. Tried:\n  "
            + "\n  ".join(errors or ["(nothing to try)"])
        )


# ---------------------------------------------------------------- typed queries
# cryptoerd/query.h: the descriptor of a query of queries/*.sql and the generic functions
# that run one (used by _query_core.py). The per-query descriptors themselves
# (extern const cerd_query cerd_q_<name>_query) are declared by _query_core from the
# generated _queries.CDEF. Kept apart from CDEF above so that other additions merge cleanly.
QUERY_CDEF = r"""
typedef struct cerd_query_check {
    uint16_t param; const cerd_table *table; uint16_t column;
} cerd_query_check;
typedef struct cerd_query {
    uint32_t abi; const char *name; const char *origin; const char *sql; int shape;
    const cerd_table *params; const uint32_t *param_oids; const cerd_table *result;
    const uint32_t *result_oids; const int32_t *result_typmods; uint16_t nchecks;
    const cerd_query_check *checks;
} cerd_query;
int cerd_query_validate(const cerd_query *q, const void *params);
int cerd_query_one(void *out, cerd_conn *conn, const cerd_query *q, const void *params);
int cerd_query_many(cerd_rows *out, cerd_conn *conn, const cerd_query *q, const void *params);
int cerd_query_exec(int64_t *out, cerd_conn *conn, const cerd_query *q, const void *params);
int cerd_query_stream(cerd_stream **out, cerd_conn *conn, const cerd_query *q,
                      const void *params, size_t fetch_rows);
int cerd_query_execmany(int64_t *out, cerd_conn *conn, const cerd_query *q,
                        const void *params, size_t n);
"""
ffi.cdef(QUERY_CDEF)
