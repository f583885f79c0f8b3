/* The error record of an integrity violation that Citus passed on from a worker: no
   constraint or table field, the names only in the message and with the shard id as
   suffix; or one naming a partition of the table. The record still names the table's own
   constraint and the table (no server:
   the messages are the ones Citus 13.2 gave on a real cluster, fed to the one builder of
   server errors, then to what every table operation does after one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <cryptoerd/cryptoerd.h>
#include "util/error_internal.h"
#include "ops/validate_internal.h"

static const cerd_error *feed(const cerd_table *t, const char *state, const char *msg,
                              const char *table, const char *constraint)
{
    cerd__error_server(cerd__error_code_for_sqlstate(state), state, msg, "a detail", table,
                       NULL, constraint, "op");
    cerd__error_logical_names(t);
    return cerd_error_last();
}

static void test_shard_names__foreign_key_of_a_shard(void **state)
{
    const cerd_error *e;
    (void)state;
    e = feed(&cerd_portfolio_assets_table, "23503",
             "insert or update on table \"portfolio_assets_102087\" violates foreign key "
             "constraint \"portfolio_assets_portfolio_id_fkey_102087\"", "", "");
    assert_int_equal(e->code, CERD_EFOREIGNKEY);
    assert_string_equal(e->constraint, "portfolio_assets_portfolio_id_fkey");
    assert_string_equal(e->table, "portfolio_assets");
    assert_string_equal(e->detail, "a detail");
    /* the message stays as the server worded it */
    assert_non_null(strstr(e->message, "portfolio_assets_portfolio_id_fkey_102087"));

    /* a delete refused by a child: the constraint and table are the child's */
    e = feed(&cerd_portfolios_table, "23503",
             "update or delete on table \"portfolios_102055\" violates foreign key "
             "constraint \"portfolio_assets_portfolio_id_fkey_102087\" on table "
             "\"portfolio_assets_102087\"", NULL, NULL);
    assert_string_equal(e->table, "portfolio_assets");
    assert_string_equal(e->constraint, "portfolio_assets_portfolio_id_fkey");
}

static void test_shard_names__unique_and_check_of_a_shard(void **state)
{
    const cerd_error *e;
    (void)state;
    /* a unique violation's message names no table */
    e = feed(&cerd_users_table, "23505",
             "duplicate key value violates unique constraint \"users_email_key_146667\"", "",
             "");
    assert_int_equal(e->code, CERD_EUNIQUE);
    assert_string_equal(e->constraint, "users_email_key");
    assert_string_equal(e->table, "users");

    /* CHECK constraints keep their names on the shards; the relation is the shard */
    e = feed(&cerd_watchlists_table, "23514",
             "new row for relation \"watchlists_146783\" violates check constraint "
             "\"chk_watchlists_owner\"", "", "");
    assert_int_equal(e->code, CERD_ECHECK);
    assert_string_equal(e->constraint, "chk_watchlists_owner");
    assert_string_equal(e->table, "watchlists");

    /* not-null: the column and the table from the message */
    e = feed(&cerd_watchlists_table, "23502",
             "null value in column \"name\" of relation \"watchlists_146783\" violates "
             "not-null constraint", "", "");
    assert_int_equal(e->code, CERD_ENOTNULL);
    assert_string_equal(e->column, "name");
    assert_string_equal(e->table, "watchlists");
    assert_string_equal(e->constraint, "");
}

static void test_shard_names__single_node_records_are_left_alone(void **state)
{
    const cerd_error *e;
    (void)state;
    /* the server's own fields win over the message */
    e = feed(&cerd_users_table, "23505",
             "duplicate key value violates unique constraint \"users_email_key\"", "users",
             "users_email_key");
    assert_string_equal(e->constraint, "users_email_key");
    assert_string_equal(e->table, "users");

    /* a suffix whose stem is none of the table's constraints stays */
    e = feed(&cerd_users_table, "23505",
             "duplicate key value violates unique constraint \"idx_other_2024\"", "users",
             "idx_other_2024");
    assert_string_equal(e->constraint, "idx_other_2024");

    /* another table's name with a suffix is not the table's shard */
    e = feed(&cerd_users_table, "23514",
             "new row for relation \"users_archive_7\" violates check constraint \"c_7\"",
             "users_archive_7", "c_7");
    assert_string_equal(e->table, "users_archive_7");
    assert_string_equal(e->constraint, "c_7"); /* the server's fields: not read */

    /* only integrity violations are read for names */
    e = feed(&cerd_portfolios_table, "42501",
             "new row violates row-level security policy for table \"portfolios_102055\"",
             "", "");
    assert_int_equal(e->code, CERD_EPRIVILEGE);
    assert_string_equal(e->table, "");
    assert_string_equal(e->constraint, "");
}

/* A partition of the table written to (the server names the partition the row landed in,
   on Citus one of the partition's shards): the record names the table. */
static void test_shard_names__partition_of_the_table(void **state)
{
    const cerd_error *e;
    (void)state;
    e = feed(&cerd_price_data_table, "23503",
             "insert or update on table \"price_data_y2025m07\" violates foreign key "
             "constraint \"price_data_asset_id_fkey\"", "price_data_y2025m07",
             "price_data_asset_id_fkey");
    assert_string_equal(e->table, "price_data");
    assert_string_equal(e->constraint, "price_data_asset_id_fkey");
    e = feed(&cerd_price_data_table, "23514",
             "new row for relation \"price_data_default\" violates check constraint "
             "\"chk_ohlc_logic\"", "price_data_default", "chk_ohlc_logic");
    assert_string_equal(e->table, "price_data");
    /* Citus: the shard of a partition, names only in the message */
    e = feed(&cerd_price_data_table, "23503",
             "insert or update on table \"price_data_y2025m07_102345\" violates foreign key "
             "constraint \"price_data_asset_id_fkey_102345\"", "", "");
    assert_string_equal(e->table, "price_data");
    assert_string_equal(e->constraint, "price_data_asset_id_fkey");
    /* names that only look alike stay */
    e = feed(&cerd_price_data_table, "23514",
             "new row for relation \"price_data_y2025m7\" violates check constraint \"c\"",
             "price_data_y2025m7", "c");
    assert_string_equal(e->table, "price_data_y2025m7");
    e = feed(&cerd_price_data_table, "23514",
             "new row for relation \"price_data_archive\" violates check constraint \"c\"",
             "price_data_archive", "c");
    assert_string_equal(e->table, "price_data_archive");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_names__foreign_key_of_a_shard),
        cmocka_unit_test(test_shard_names__unique_and_check_of_a_shard),
        cmocka_unit_test(test_shard_names__single_node_records_are_left_alone),
        cmocka_unit_test(test_shard_names__partition_of_the_table),
    };
    return cmocka_run_group_tests_name("error_shard_names", tests, NULL, NULL);
}
