/* Client-side validation against a real PostgreSQL 15:
   - a row refused by validation costs no round trip: it comes back CERD_EINVALID even
     on a connection whose server is gone, while a valid row finds the connection lost;
   - with validation off the server gives its own verdict (CERD_ECHECK);
   - values come back as the validator says the server stores them (varchar spaces cut,
     numerics rounded before the CHECK sees them);
   - differential: every case of tests/schema/cases (the valid row of each table and
     each mutation that breaks one CHECK) and a menu of mutations of every column a
     CHECK reads get the same verdict from the validator as from the server. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>
#include "conn/conn_internal.h"
#include "check.h"
#include "ops/expr.h"
#include "testdb.h"

static testdb db;
static PGconn *pg;
static cerd_conn *conn;

static int setup(void **state)
{
    int applied = 0;
    (void)state;
    if (testdb_create(&db, "validate"))
        return -1;
    if (!(pg = testdb_connect(&db)))
        return -1;
    if (cerd_conn_open(&conn, db.conninfo) || cerd_migrate(&applied, conn)) {
        fprintf(stderr, "setup: %s\n", cerd_error_last()->message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cerd_conn_free(conn);
    PQfinish(pg);
    testdb_drop(&db);
    return 0;
}

static cerd_numeric num(const char *text)
{
    cerd_numeric n;
    CERD_ASSERT_OK(cerd_numeric_parse(&n, text));
    return n;
}

/* ---------------------------------------------------------------- no round trip */

static void test_validate_pg__invalid_rows_are_refused_without_a_round_trip(void **state)
{
    cerd_conn *lost;
    char sql[128];
    cerd_assets a = {0};
    (void)state;
    CERD_ASSERT_OK(cerd_conn_open(&lost, db.conninfo));
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(lost->pg));
    PQclear(testdb_ok(pg, sql));
    nanosleep(&(struct timespec){.tv_nsec = 200 * 1000 * 1000}, NULL);

    a.symbol = "GONE";
    a.name = "Gone";
    a.asset_type = "nft"; /* breaks chk_assets_asset_type */
    assert_int_equal(cerd_assets_insert(NULL, lost, &a), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "chk_assets_asset_type");
    assert_string_equal(cerd_error_last()->sqlstate, "");
    a.id = 1;
    assert_int_equal(cerd_assets_update(NULL, lost, &a), CERD_EINVALID);
    assert_int_equal(cerd_assets_upsert(NULL, lost, &a), CERD_EINVALID);
    /* a valid row does go to the server, and finds it gone */
    a.asset_type = "crypto";
    a.id = 0;
    assert_int_equal(cerd_assets_insert(NULL, lost, &a), CERD_ECONNLOST);
    /* and so does an invalid one when validation is off */
    cerd_conn_set_validation(lost, false);
    a.asset_type = "nft";
    assert_int_equal(cerd_assets_insert(NULL, lost, &a), CERD_ECONNLOST);
    cerd_conn_free(lost);
}

static void test_validate_pg__with_validation_off_postgres_decides(void **state)
{
    cerd_assets a = {0};
    (void)state;
    a.symbol = "OFF";
    a.name = "Off";
    a.asset_type = "nft";
    assert_int_equal(cerd_assets_insert(NULL, conn, &a), CERD_EINVALID);
    cerd_conn_set_validation(conn, false);
    assert_int_equal(cerd_assets_insert(NULL, conn, &a), CERD_ECHECK);
    assert_string_equal(cerd_error_last()->sqlstate, "23514");
    assert_string_equal(cerd_error_last()->constraint, "chk_assets_asset_type");
    a.name = NULL;
    a.asset_type = "crypto";
    assert_int_equal(cerd_assets_insert(NULL, conn, &a), CERD_ENOTNULL);
    cerd_conn_set_validation(conn, true);
    assert_int_equal(cerd_assets_insert(NULL, conn, &a), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "not_null");
}

static void test_validate_pg__stored_values_are_what_the_validator_checked(void **state)
{
    cerd_assets a = {0}, out = {0};
    cerd_ai_models m = {0};
    cerd_model_jobs j = {0}, jout = {0};
    char text[64];
    (void)state;
    /* varchar(20) with excess trailing spaces: accepted, stored cut to 20 characters */
    a.symbol = "SPC                              ";
    a.name = "Spaces";
    a.asset_type = "crypto";
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_assets_table, &a, CERD_VALIDATE_INSERT));
    CERD_ASSERT_OK(cerd_assets_insert(&out, conn, &a));
    assert_int_equal(strlen(out.symbol), 20);
    assert_int_equal(strncmp(out.symbol, "SPC    ", 7), 0);
    cerd_assets_clear(&out);

    /* progress_pct numeric(5,2) with CHECK (0 <= progress_pct <= 100): 100.004 is stored
       as 100.00 and passes; 100.005 becomes 100.01 and fails, on both sides */
    m.name = "m";
    m.version = "1";
    m.architecture = "lstm";
    m.model_type = "macro";
    m.training_data_timeframe = "1h";
    m.target_variable = "price_direction";
    {
        cerd_ai_models mout = {0};
        CERD_ASSERT_OK(cerd_ai_models_insert(&mout, conn, &m));
        j.model_id = mout.id;
        cerd_ai_models_clear(&mout);
    }
    j.job_status = "pending";
    j.job_category = "training";
    j.job_type = "fit";
    j.job_config = cJSON_CreateObject();
    j.progress_pct = CERD_SOME(cerd_opt_numeric, num("100.004"));
    CERD_ASSERT_OK(cerd_model_jobs_insert(&jout, conn, &j));
    cerd_numeric_format(&jout.progress_pct.value, text, sizeof text);
    assert_string_equal(text, "100.00");
    cerd_model_jobs_clear(&jout);
    j.progress_pct = CERD_SOME(cerd_opt_numeric, num("100.005"));
    assert_int_equal(cerd_model_jobs_insert(NULL, conn, &j), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "chk_progress_range");
    cerd_conn_set_validation(conn, false);
    assert_int_equal(cerd_model_jobs_insert(NULL, conn, &j), CERD_ECHECK);
    assert_string_equal(cerd_error_last()->constraint, "chk_progress_range");
    /* 99.995 rounds to 100.00: accepted by both */
    cerd_conn_set_validation(conn, true);
    j.progress_pct = CERD_SOME(cerd_opt_numeric, num("-0.004"));
    CERD_ASSERT_OK(cerd_model_jobs_insert(&jout, conn, &j));
    cerd_numeric_format(&jout.progress_pct.value, text, sizeof text);
    assert_string_equal(text, "0.00");
    cerd_model_jobs_clear(&jout);
    /* numeric(5,2) overflow: 1000 */
    j.progress_pct = CERD_SOME(cerd_opt_numeric, num("999.995"));
    assert_int_equal(cerd_model_jobs_insert(NULL, conn, &j), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "numeric_precision");
    cJSON_Delete(j.job_config);
}

/* PostgreSQL checks the row an upsert proposes (with the defaults of the columns it
   leaves out) before it looks for a conflict: so does the validator. */
static void test_validate_pg__upsert_checks_the_row_to_insert_first(void **state)
{
    cerd_ai_models m = {0}, mout = {0};
    cerd_model_jobs j = {0}, jout = {0};
    (void)state;
    m.name = "u";
    m.version = "1";
    m.architecture = "lstm";
    m.model_type = "macro";
    m.training_data_timeframe = "1h";
    m.target_variable = "price_direction";
    CERD_ASSERT_OK(cerd_ai_models_insert(&mout, conn, &m));
    j.model_id = mout.id;
    j.job_status = "pending";
    j.job_category = "training";
    j.job_type = "fit";
    j.job_config = cJSON_CreateObject();
    j.max_retries = CERD_SOME(cerd_opt_int32, 10);
    CERD_ASSERT_OK(cerd_model_jobs_insert(&jout, conn, &j));
    /* same id, retry_count 5, max_retries written as DEFAULT: the proposed row has the
       default 3 */
    j.id = jout.id;
    j.retry_count = CERD_SOME(cerd_opt_int32, 5);
    j.max_retries.valid = false;
    cerd_colset_add(&j.defaults, CERD_MODEL_JOBS_MAX_RETRIES);
    assert_int_equal(cerd_model_jobs_upsert(NULL, conn, &j), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "chk_retry_count");
    cerd_conn_set_validation(conn, false);
    assert_int_equal(cerd_model_jobs_upsert(NULL, conn, &j), CERD_ECHECK);
    assert_string_equal(cerd_error_last()->constraint, "chk_retry_count");
    cerd_conn_set_validation(conn, true);
    j.defaults = (cerd_colset){{0}};
    /* with max_retries given, both accept */
    j.max_retries = CERD_SOME(cerd_opt_int32, 10);
    CERD_ASSERT_OK(cerd_model_jobs_upsert(NULL, conn, &j));
    cerd_model_jobs_clear(&jout);
    cerd_ai_models_clear(&mout);
    cJSON_Delete(j.job_config);
}

/* ---------------------------------------------------------------- differential */

typedef struct pg_verdict {
    char state[6];
    char constraint[128];
} pg_verdict;

/* Runs sql in a savepoint that is rolled back; the verdict ("" for success). */
static pg_verdict try_sql(const char *sql, PGresult **ok_res)
{
    pg_verdict v = {"", ""};
    PGresult *r;
    PQclear(testdb_ok(pg, "SAVEPOINT cerd_v"));
    r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        const char *c = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
        snprintf(v.state, sizeof v.state, "%s", s ? s : "?????");
        snprintf(v.constraint, sizeof v.constraint, "%s", c ? c : "");
        PQclear(r);
        r = NULL;
    }
    if (ok_res)
        *ok_res = r;
    else
        PQclear(r);
    PQclear(testdb_ok(pg, "ROLLBACK TO SAVEPOINT cerd_v"));
    return v;
}

static cJSON *parse_json(const char *text)
{
    cJSON *j = NULL;
    CERD_ASSERT_OK(cerd_json_parse(&j, text, strlen(text)));
    return j;
}

/* The validator's violations of the row that obj (to_jsonb form) describes. */
static cerd_violations client_verdict(const cerd_table *t, const cJSON *obj)
{
    void *row = calloc(1, t->row_size);
    cerd_violations v;
    assert_non_null(row);
    if (cerd_row_from_json(row, t, obj))
        fail_msg("%s: row from json: %s", t->name, cerd_error_last()->message);
    (void)cerd_row_validate(&v, t, row, CERD_VALIDATE_STORED);
    cerd_row_clear(t, row);
    free(row);
    return v;
}

static bool has(const cerd_violations *v, cerd_violation_kind kind, const char *constraint)
{
    for (size_t i = 0; i < v->count; i++)
        if (v->items[i].kind == kind && (!constraint || !strcmp(v->items[i].constraint, constraint)))
            return true;
    return false;
}

static size_t compared, disagreements;
static size_t by_state[6]; /* accepted, 23514, 23502, 22003, 22001, other */

/* Whether the validator's violations v agree with the server's verdict p. */
static void agree(const char *what, const pg_verdict *p, const cerd_violations *v)
{
    bool ok;
    compared++;
    by_state[!p->state[0] ? 0 : !strcmp(p->state, "23514") ? 1 : !strcmp(p->state, "23502") ? 2
             : !strcmp(p->state, "22003") ? 3 : !strcmp(p->state, "22001") ? 4 : 5]++;
    if (!p->state[0])
        ok = v->count == 0;
    else if (!strcmp(p->state, "23514"))
        ok = has(v, CERD_VIOLATION_CHECK, p->constraint);
    else if (!strcmp(p->state, "23502"))
        ok = has(v, CERD_VIOLATION_NOT_NULL, NULL);
    else if (!strcmp(p->state, "22003"))
        ok = has(v, CERD_VIOLATION_NUMERIC_PRECISION, NULL);
    else if (!strcmp(p->state, "22001"))
        ok = has(v, CERD_VIOLATION_LENGTH, NULL);
    else if (!strcmp(p->state, "23503") || !strcmp(p->state, "23505"))
        ok = v->count == 0; /* checked after CHECKs: the row passed them */
    else
        ok = false;
    if (!ok) {
        disagreements++;
        print_error("DISAGREE %s: server %s %s; validator %zu violation(s)%s%s\n", what,
                    p->state[0] ? p->state : "accepts", p->constraint, v->count,
                    v->count ? ": " : "", v->count ? v->items[0].message : "");
    }
}

static char *sql_literal(const char *s)
{
    char *q = PQescapeLiteral(pg, s, strlen(s));
    char *out = strdup(q);
    PQfreemem(q);
    return out;
}

typedef struct mutation {
    char *sql;   /* the value in SQL */
    cJSON *json; /* the same value in to_jsonb form */
} mutation;

static int nmut;
static mutation muts[64];

static void add_mut(const char *sql, cJSON *json)
{
    assert_true(nmut < 64);
    muts[nmut].sql = strdup(sql);
    muts[nmut].json = json;
    nmut++;
}

static void add_num(const char *text)
{
    char sql[96];
    snprintf(sql, sizeof sql, "'%s'", text);
    add_mut(sql, cJSON_CreateString(text));
}

static void add_int(long long v)
{
    char sql[32];
    snprintf(sql, sizeof sql, "%lld", v);
    add_mut(sql, cJSON_CreateNumber((double)v));
}

static void add_text(const char *s)
{
    char *q = sql_literal(s);
    add_mut(q, cJSON_CreateString(s));
    free(q);
}

static void collect_texts(const cerd_expr *e, int column, const cerd_expr *parent, char **out,
                          int *n)
{
    if (e->op == CERD_EXPR_CONST && e->type == CERD_TYPE_TEXT && e->text && parent &&
        parent->nargs && parent->args[0]->op == CERD_EXPR_COLUMN &&
        parent->args[0]->column == column && *n < 24) {
        for (int i = 0; i < *n; i++)
            if (!strcmp(out[i], e->text))
                return;
        out[(*n)++] = (char *)e->text;
    }
    for (uint16_t i = 0; i < e->nargs; i++)
        collect_texts(e->args[i], column, e, out, n);
}

/* The menu of values to try in column col of t. */
static void build_menu(const cerd_table *t, int col)
{
    const cerd_column *c = &t->columns[col];
    static const char *const numerics[] = {
        "-1", "-0.005", "-0.004", "0", "0.05", "0.5", "0.999999999", "1", "1.004", "1.005",
        "1.0000000001", "3", "4.99999999", "5.000000001", "10", "99.995", "100", "100.004",
        "100.005", "101", "99999999.999", "1000000000000", "NaN"};
    nmut = 0;
    /* (a NOT NULL column of a value type without a default has no NULL in C) */
    if (!(c->flags & CERD_COL_NOT_NULL) || (c->flags & CERD_COL_OPTIONAL) ||
        c->type == CERD_TYPE_TEXT || c->type == CERD_TYPE_JSONB ||
        c->type == CERD_TYPE_INT32_ARRAY || c->type == CERD_TYPE_TEXT_ARRAY)
        add_mut("NULL", cJSON_CreateNull());
    switch (c->type) {
    case CERD_TYPE_NUMERIC:
        for (size_t i = 0; i < sizeof numerics / sizeof numerics[0]; i++)
            add_num(numerics[i]);
        break;
    case CERD_TYPE_INT32:
    case CERD_TYPE_INT64: {
        static const long long ints[] = {-1, 0, 1, 2, 3, 4, 5, 10, 11, 100, 101, 2147483647};
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
            add_int(ints[i]);
        break;
    }
    case CERD_TYPE_BOOL:
        add_mut("true", cJSON_CreateTrue());
        add_mut("false", cJSON_CreateFalse());
        break;
    case CERD_TYPE_TIMESTAMPTZ:
        add_mut("'2025-01-02T03:04:05Z'", cJSON_CreateString("2025-01-02T03:04:05+00:00"));
        break;
    case CERD_TYPE_TEXT: {
        char *lits[24];
        int n = 0;
        char buf[256];
        for (uint16_t k = 0; k < t->nchecks; k++)
            collect_texts(t->checks[k]->expr, col, NULL, lits, &n);
        for (int i = 0; i < n; i++)
            add_text(lits[i]);
        add_text("zzz");
        add_text("");
        if (n) {
            /* a literal with trailing spaces beyond the limit (cut), and upper-cased */
            snprintf(buf, sizeof buf, "%s%*s", lits[0], c->max_chars > 0 ? c->max_chars : 3, "");
            add_text(buf);
            snprintf(buf, sizeof buf, "%s", lits[0]);
            for (char *p = buf; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                    *p = (char)(*p - 32);
            add_text(buf);
            snprintf(buf, sizeof buf, "%s ", lits[0]);
            add_text(buf);
        }
        if (c->max_chars > 0 && c->max_chars < 200) {
            memset(buf, 'x', (size_t)c->max_chars + 1);
            buf[c->max_chars + 1] = '\0';
            add_text(buf);
        }
        if (strcmp(c->name, "email") == 0) {
            add_text("a@b.cd");
            add_text("A.B+c@Example.COM");
            add_text("a@b.c");
            add_text("caf\xc3\xa9@example.com");
            add_text("a@b.cd\n");
        }
        break;
    }
    case CERD_TYPE_INT32_ARRAY: {
        static const char *const arrays[] = {"[]", "[1]", "[1, 2, 3]", "[1, 2, 3, 4]",
                                             "[null, null, null, null]"};
        static const char *const sqls[] = {"'{}'", "'{1}'", "'{1,2,3}'", "'{1,2,3,4}'",
                                           "'{NULL,NULL,NULL,NULL}'"};
        for (size_t i = 0; i < 5; i++)
            add_mut(sqls[i], parse_json(arrays[i]));
        break;
    }
    default:
        break;
    }
}

static void free_menu(void)
{
    for (int i = 0; i < nmut; i++) {
        free(muts[i].sql);
        cJSON_Delete(muts[i].json);
    }
    nmut = 0;
}

/* Every column of t that a CHECK reads gets every value of its menu: the server's
   verdict (UPDATE in a savepoint) against the validator's (the same row, as stored). */
static void mutate_columns(const cerd_table *t, int64_t id, const cJSON *stored)
{
    bool used[CERD_MAX_COLUMNS] = {false};
    for (uint16_t k = 0; k < t->nchecks; k++)
        for (uint16_t c = 0; c < t->checks[k]->ncolumns; c++)
            used[t->checks[k]->columns[c]] = true;
    for (int col = 0; col < t->ncolumns; col++) {
        if (!used[col])
            continue;
        build_menu(t, col);
        for (int m = 0; m < nmut; m++) {
            char sql[1024], what[512];
            cJSON *row = cJSON_Duplicate(stored, 1);
            cerd_violations v;
            pg_verdict p;
            snprintf(sql, sizeof sql, "UPDATE %s SET %s = %s WHERE id = %lld", t->name,
                     t->columns[col].name, muts[m].sql, (long long)id);
            p = try_sql(sql, NULL);
            cJSON_ReplaceItemInObjectCaseSensitive(row, t->columns[col].name,
                                                   cJSON_Duplicate(muts[m].json, 1));
            v = client_verdict(t, row);
            snprintf(what, sizeof what, "%s.%s = %s", t->name, t->columns[col].name,
                     muts[m].sql);
            agree(what, &p, &v);
            cerd_violations_free(&v);
            cJSON_Delete(row);
        }
        free_menu();
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_validate_pg__verdicts_agree_with_postgres(void **state)
{
    char dir[512], *files[32];
    int nfiles = 0;
    DIR *d;
    const cerd_table *t = NULL;
    int64_t id = 0;
    cJSON *stored = NULL;
    size_t tables = 0, rejects = 0;
    (void)state;

    snprintf(dir, sizeof dir, "%s/tests/schema/cases", CERD_SOURCE_DIR);
    assert_non_null(d = opendir(dir));
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l > 6 && !strcmp(e->d_name + l - 6, ".cases") && nfiles < 32)
            files[nfiles++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(files, (size_t)nfiles, sizeof *files, cmp_names);

    PQclear(testdb_ok(pg, "BEGIN"));
    for (int f = 0; f < nfiles; f++) {
        char path[768], *text, *line, *save = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        assert_non_null(text = testdb_read_file(path));
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (!strncmp(line, "table ", 6)) {
                if (t && stored)
                    mutate_columns(t, id, stored);
                cJSON_Delete(stored);
                stored = NULL;
                assert_non_null(t = cerd_table_find(line + 6));
                tables++;
            } else if (!strncmp(line, "valid ", 6)) {
                char *sql = malloc(strlen(line) + 256);
                PGresult *r;
                cerd_violations v;
                pg_verdict ok = {"", ""};
                sprintf(sql, "%s RETURNING id, to_jsonb(%s.*)", line + 6, t->name);
                r = testdb_ok(pg, sql);
                id = atoll(PQgetvalue(r, 0, 0));
                stored = parse_json(PQgetvalue(r, 0, 1));
                PQclear(r);
                free(sql);
                /* the row the server accepted, as stored, is valid */
                v = client_verdict(t, stored);
                agree(t->name, &ok, &v);
                cerd_violations_free(&v);
                /* its copy with no constraints, to build each mutated row */
                sql = malloc(512);
                snprintf(sql, 512, "CREATE TEMP TABLE cerd_v_%s (LIKE %s)", t->name, t->name);
                PQclear(testdb_ok(pg, sql));
                snprintf(sql, 512, "INSERT INTO cerd_v_%s SELECT * FROM %s WHERE id = %lld",
                         t->name, t->name, (long long)id);
                PQclear(testdb_ok(pg, sql));
                free(sql);
            } else if (!strncmp(line, "reject ", 7)) {
                char *con = line + 7, *clause = strchr(con, ' ');
                char sql[4096], what[512];
                pg_verdict p;
                PGresult *r = NULL;
                cerd_violations v;
                cJSON *row;
                assert_non_null(clause);
                *clause++ = '\0';
                snprintf(sql, sizeof sql, "UPDATE %s SET %s WHERE id = %lld", t->name, clause,
                         (long long)id);
                p = try_sql(sql, NULL);
                assert_string_equal(p.state, "23514");
                assert_string_equal(p.constraint, con);
                snprintf(sql, sizeof sql,
                         "UPDATE cerd_v_%s SET %s WHERE id = %lld RETURNING to_jsonb(cerd_v_%s.*)",
                         t->name, clause, (long long)id, t->name);
                (void)try_sql(sql, &r);
                assert_non_null(r);
                row = parse_json(PQgetvalue(r, 0, 0));
                PQclear(r);
                v = client_verdict(t, row);
                snprintf(what, sizeof what, "%s: reject %s (%s)", t->name, con, clause);
                agree(what, &p, &v);
                cerd_violations_free(&v);
                cJSON_Delete(row);
                rejects++;
            }
        }
        free(text);
        free(files[f]);
    }
    if (t && stored)
        mutate_columns(t, id, stored);
    cJSON_Delete(stored);
    PQclear(testdb_ok(pg, "ROLLBACK"));
    print_message("compared %zu verdicts (%zu tables, %zu reject cases): %zu disagreements; "
                  "server: %zu accepted, %zu check, %zu not null, %zu numeric overflow, "
                  "%zu too long, %zu other\n",
                  compared, tables, rejects, disagreements, by_state[0], by_state[1],
                  by_state[2], by_state[3], by_state[4], by_state[5]);
    assert_true(by_state[1] > 500 && by_state[3] > 50 && by_state[4] > 20);
    assert_true(tables >= 30);
    assert_true(rejects >= 173);
    assert_true(compared > 1000);
    assert_int_equal(disagreements, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_pg__invalid_rows_are_refused_without_a_round_trip),
        cmocka_unit_test(test_validate_pg__with_validation_off_postgres_decides),
        cmocka_unit_test(test_validate_pg__stored_values_are_what_the_validator_checked),
        cmocka_unit_test(test_validate_pg__upsert_checks_the_row_to_insert_first),
        cmocka_unit_test(test_validate_pg__verdicts_agree_with_postgres),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
