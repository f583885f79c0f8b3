/*
 * A cmocka suite in which every test gets its own database.
 *
 * Group setup migrates a template database once (and loads a base fixture into it);
 * each test's setup clones it (CREATE DATABASE ... TEMPLATE ..., a few tens of
 * milliseconds) and connects; teardown drops the clone. Tests can therefore write
 * anything, in parallel processes too, without seeing each other. Inside one test, a
 * transaction scope (cerd_txn_scope_begin / cerd_txn_scope_rollback) undoes a part.
 *
 *   cmocka_isolation [CONNINFO]   (default: libpq's PG* environment; role with CREATEDB)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <cryptoerd/cryptoerd.h>

static const char *conninfo = "";

/* The base fixture every test starts from. */
static const char BASE[] =
    "{\n"
    "  \"users\": [{\"$id\": \"alice\", \"email\": \"alice@example.com\"}],\n"
    "  \"portfolios\": [{\"$id\": \"main\", \"user_id\": \"@users.alice\", \"is_public\": false}]\n"
    "}\n";

typedef struct suite {
    cerd_template *tpl;
    cerd_fixture_set *base;
} suite;

typedef struct test_db {
    suite *s;
    cerd_testdb *db;
    cerd_conn *conn;
} test_db;

static int group_setup(void **state)
{
    suite *s = calloc(1, sizeof *s);
    cerd_template_options o = CERD_TEMPLATE_OPTIONS_INIT;

    if (!s || cerd_fixture_set_new(&s->base)
        || cerd_fixture_set_add_text(s->base, "base.json", BASE, strlen(BASE))) {
        fprintf(stderr, "base fixture: %s\n", cerd_error_last()->message);
        return -1;
    }
    o.fixture = s->base;
    if (cerd_template_create(&s->tpl, conninfo, NULL, &o)) {
        fprintf(stderr, "template: %s\n", cerd_error_last()->message);
        return -1;
    }
    *state = s;
    return 0;
}

static int group_teardown(void **state)
{
    suite *s = *state;
    int rc;

    if (!s)
        return 0;
    rc = cerd_template_drop(s->tpl);
    cerd_fixture_set_free(s->base);
    free(s);
    return rc ? -1 : 0;
}

static int setup(void **state)
{
    test_db *t = calloc(1, sizeof *t);

    if (!t)
        return -1;
    t->s = *state;
    if (cerd_testdb_clone(&t->db, t->s->tpl)
        || cerd_conn_open(&t->conn, cerd_testdb_conninfo(t->db))) {
        fprintf(stderr, "clone: %s\n", cerd_error_last()->message);
        return -1;
    }
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    test_db *t = *state;
    int rc;

    cerd_conn_free(t->conn);
    rc = cerd_testdb_drop(t->db);
    *state = t->s; /* the next test's setup finds the suite again */
    free(t);
    return rc ? -1 : 0;
}

static int64_t count(cerd_conn *c, const char *table)
{
    int64_t n = -1;
    const cerd_table *t = cerd_table_find(table);
    assert_non_null(t);
    assert_int_equal(cerd_row_count(&n, c, t, 0), 0);
    return n;
}

static void test_base_fixture_is_there(void **state)
{
    test_db *t = *state;
    assert_int_equal(count(t->conn, "portfolios"), 1);
}

/* Writes freely: the next test's clone does not see it. */
static void test_writes_stay_in_this_database(void **state)
{
    test_db *t = *state;
    cerd_fixture_set *set = NULL;
    const char *more = "{\"users\": [{\"$id\": \"bob\", \"email\": \"bob@example.com\"}],\n"
                       " \"portfolios\": [{\"user_id\": \"@users.bob\", \"is_public\": true}]}";

    assert_int_equal(cerd_fixture_set_new(&set), 0);
    assert_int_equal(cerd_fixture_set_add_text(set, "more.json", more, strlen(more)), 0);
    assert_int_equal(cerd_fixture_load(NULL, t->conn, set, NULL), 0);
    cerd_fixture_set_free(set);
    assert_int_equal(count(t->conn, "portfolios"), 2);
}

static void test_sees_only_the_base(void **state)
{
    test_db *t = *state;
    assert_int_equal(count(t->conn, "portfolios"), 1);
}

/* A transaction scope undoes part of a test. */
static void test_scope_rolls_back(void **state)
{
    test_db *t = *state;
    cerd_txn_scope scope;

    assert_int_equal(cerd_txn_scope_begin(&scope, t->conn), 0);
    assert_int_equal(cerd_conn_exec(t->conn, "DELETE FROM portfolios"), 0);
    assert_int_equal(count(t->conn, "portfolios"), 0);
    assert_int_equal(cerd_txn_scope_rollback(&scope), 0);
    assert_int_equal(count(t->conn, "portfolios"), 1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_base_fixture_is_there, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_stay_in_this_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sees_only_the_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scope_rolls_back, setup, teardown),
    };

    if (argc > 1)
        conninfo = argv[1];
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
