/* Row factories without a server: for every table and several seeds the row validates;
   the same seed gives the same row and different seeds different rows (unique keys
   too); values are realistic where the domain says what that means; a row breaking any
   one CHECK, NOT NULL, varchar length or numeric precision breaks exactly that; misuse
   is refused; and rows come fast enough for differential tests and fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>

#include "wire/codec.h"
#include "wire/field.h"
#include "check.h"
#include "rows.h"
#include "ops/expr.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static const uint64_t seeds[] = {0, 1, 2, 7, 42, 1000, 123456789, UINT64_MAX};
#define NSEEDS (sizeof seeds / sizeof seeds[0])

/* A parent row for every table, so any foreign key has one: its id is 1000 + the
   table's index, and a parent with a user_id belongs to the users parent (so composite
   foreign keys (user_id, parent_id) take both from it). */
static cerd_factory_parent parents[128];
static void *parent_rows[128];
static size_t nparents;

static void set_int64(const cerd_table *t, int col, void *row, int64_t v)
{
    char *f = (char *)row + t->columns[col].offset;
    if ((t->columns[col].flags & CERD_COL_OPTIONAL) && !(t->columns[col].flags & CERD_COL_IDENTITY)) {
        ((cerd_opt_int64 *)f)->valid = true;
        ((cerd_opt_int64 *)f)->value = v;
    } else {
        *(int64_t *)f = v;
    }
}

static int setup(void **state)
{
    const cerd_table *users = cerd_table_find("users");
    int64_t user_id = -1;
    (void)state;
    nparents = cerd_table_count();
    for (size_t i = 0; i < nparents; i++)
        if (cerd_table_at(i) == users)
            user_id = 1000 + (int64_t)i;
    for (size_t i = 0; i < nparents; i++) {
        const cerd_table *t = cerd_table_at(i);
        int uc = cerd_table_column(t, "user_id");
        parents[i].table = t->name;
        parents[i].id = 1000 + (int64_t)i;
        parent_rows[i] = calloc(1, t->row_size);
        assert_non_null(parent_rows[i]);
        set_int64(t, t->primary_key.columns[0], parent_rows[i], parents[i].id);
        if (uc >= 0 && t->columns[uc].type == CERD_TYPE_INT64)
            set_int64(t, uc, parent_rows[i], user_id);
        parents[i].row = parent_rows[i];
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < nparents; i++)
        free(parent_rows[i]);
    return 0;
}

static int make(const cerd_table *t, uint64_t seed, const char *violate, void *out)
{
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    o.seed = seed;
    o.violate = violate;
    o.parents = parents;
    o.nparents = nparents;
    return cerd_factory_make(out, t, &o);
}

static void make_ok(const cerd_table *t, uint64_t seed, const char *violate, void *out)
{
    int rc = make(t, seed, violate, out);
    if (rc)
        fail_msg("%s seed %llu violate %s: %s (%s)", t->name, (unsigned long long)seed,
                 violate ? violate : "-", cerd_error_last()->message, cerd_strerror(rc));
}

static char *row_text(const cerd_table *t, const void *row)
{
    cJSON *j = NULL;
    char *s;
    CERD_ASSERT_OK(cerd_row_to_json(&j, t, row));
    s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    assert_non_null(s);
    return s;
}

static void assert_valid(const cerd_table *t, const void *row, uint64_t seed)
{
    cerd_violations v = {0};
    for (int mode = CERD_VALIDATE_INSERT; mode <= CERD_VALIDATE_STORED; mode++) {
        int rc = cerd_row_validate(&v, t, row, (cerd_validate_mode)mode);
        if (rc) {
            char *s = row_text(t, row);
            fail_msg("%s seed %llu (mode %d): %s\nrow: %s", t->name, (unsigned long long)seed,
                     mode, v.count ? v.items[0].message : cerd_error_last()->message, s);
        }
        cerd_violations_free(&v);
    }
}

/* Fails unless validation reports exactly one violation, of that kind (and name). */
static void assert_exactly(const cerd_table *t, const void *row, cerd_violation_kind kind,
                           const char *name, uint64_t seed)
{
    cerd_violations v = {0};
    int rc = cerd_row_validate(&v, t, row, CERD_VALIDATE_INSERT);
    if (rc != CERD_EINVALID || v.count != 1 || v.items[0].kind != kind
        || strcmp(v.items[0].constraint, name)) {
        char *s = row_text(t, row);
        fail_msg("%s seed %llu: wanted exactly %s, got rc %d and %zu violation(s)%s%s\nrow: %s",
                 t->name, (unsigned long long)seed, name, rc, v.count,
                 v.count ? ": " : "", v.count ? v.items[0].message : "", s);
    }
    cerd_violations_free(&v);
}

static bool check_reads(const cerd_table *t, int col)
{
    for (int k = 0; k < t->nchecks; k++)
        for (int i = 0; i < t->checks[k]->ncolumns; i++)
            if (t->checks[k]->columns[i] == col)
                return true;
    return false;
}

static double num_of(const cerd_numeric *n)
{
    char buf[128];
    cerd_numeric_format(n, buf, sizeof buf);
    return strtod(buf, NULL);
}

/* ---------------------------------------------------------------- valid rows */

static void test_factory__every_table_gives_valid_rows_for_every_seed(void **state)
{
    (void)state;
    assert_true(cerd_table_count() > 30);
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t);
        for (size_t s = 0; s < NSEEDS; s++) {
            make_ok(t, seeds[s], NULL, row);
            assert_valid(t, row, seeds[s]);
        }
        free_row(t, row);
    }
}

static void test_factory__same_seed_same_row_and_other_seeds_other_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *a = new_row(t), *b = new_row(t);
        char *texts[20];
        for (int s = 0; s < 20; s++) {
            make_ok(t, (uint64_t)s, NULL, a);
            make_ok(t, (uint64_t)s, NULL, b);
            texts[s] = row_text(t, a);
            char *again = row_text(t, b);
            if (strcmp(texts[s], again))
                fail_msg("%s seed %d differs between calls:\n%s\n%s", t->name, s, texts[s], again);
            free(again);
            for (int k = 0; k < s; k++)
                if (!strcmp(texts[k], texts[s]))
                    fail_msg("%s: seeds %d and %d give the same row", t->name, k, s);
        }
        for (int s = 0; s < 20; s++)
            free(texts[s]);
        free_row(t, a);
        free_row(t, b);
    }
}

/* Key columns of a row as text, for comparing keys. */
static char *key_text(const cerd_table *t, const void *row, const cerd_key *k)
{
    cJSON *j = NULL, *arr = cJSON_CreateArray();
    char *s;
    CERD_ASSERT_OK(cerd_row_to_json(&j, t, row));
    for (int i = 0; i < k->ncolumns; i++)
        cJSON_AddItemToArray(arr, cJSON_Duplicate(
            cJSON_GetObjectItemCaseSensitive(j, t->columns[k->columns[i]].name), 1));
    s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    cJSON_Delete(j);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool column_in_fk(const cerd_table *t, int col)
{
    for (int k = 0; k < t->nforeign; k++)
        for (int c = 0; c < t->foreign_keys[k].ncolumns; c++)
            if (t->foreign_keys[k].columns[c] == col)
                return true;
    return false;
}

static void test_factory__unique_keys_differ_across_seeds_with_shared_parents(void **state)
{
    enum { N = 400 };
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t);
        int nkeys = t->nunique + 1;
        char **keys = calloc((size_t)nkeys * N, sizeof *keys);
        assert_non_null(keys);
        for (int s = 0; s < N; s++) {
            make_ok(t, (uint64_t)s, NULL, row);
            for (int k = 0; k < nkeys; k++) {
                const cerd_key *key = k ? &t->unique_keys[k - 1] : &t->primary_key;
                keys[k * N + s] = key_text(t, row, key);
            }
        }
        for (int k = 0; k < nkeys; k++) {
            const cerd_key *key = k ? &t->unique_keys[k - 1] : &t->primary_key;
            /* numbered by the server: a key of the id alone, or of the id and foreign
               keys to the shared parents ((id, user_id) of the per-user tables), is unique
               once the server gives the id; any other column must differ across seeds */
            bool has_identity = false, others_fk = true;
            for (int c = 0; c < key->ncolumns; c++) {
                if (t->columns[key->columns[c]].flags & CERD_COL_IDENTITY)
                    has_identity = true;
                else
                    others_fk = others_fk && column_in_fk(t, key->columns[c]);
            }
            bool identity_only = has_identity && others_fk;
            qsort(keys + k * N, N, sizeof *keys, cmp_str);
            for (int s = 1; s < N && !identity_only; s++)
                if (!strcmp(keys[k * N + s - 1], keys[k * N + s]))
                    fail_msg("%s: key %s repeats across seeds: %s", t->name, key->name,
                             keys[k * N + s]);
        }
        for (int s = 0; s < nkeys * N; s++)
            free(keys[s]);
        free(keys);
        free_row(t, row);
    }
}

static void test_factory__fills_nullable_columns_mostly(void **state)
{
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t);
        int nullable = 0, filled = 0;
        for (int s = 0; s < 30; s++) {
            make_ok(t, (uint64_t)s, NULL, row);
            for (int c = 0; c < t->ncolumns; c++) {
                if (t->columns[c].flags & (CERD_COL_NOT_NULL | CERD_COL_IDENTITY))
                    continue;
                nullable++;
                filled += !cerd__field_is_null(&t->columns[c], row);
            }
        }
        /* every parent is given, so foreign keys are set too */
        if (nullable && filled * 10 < nullable * 7)
            fail_msg("%s: only %d of %d nullable fields set", t->name, filled, nullable);
        free_row(t, row);
    }
}

static int64_t parent_id(const char *table)
{
    for (size_t i = 0; i < nparents; i++)
        if (!strcmp(parents[i].table, table))
            return parents[i].id;
    return -1;
}

static void test_factory__candles_are_realistic(void **state)
{
    static const char *const tf[] = {"1m", "5m", "15m", "1h", "4h", "1d", "1w", "1M"};
    const cerd_table *t = &cerd_price_data_table;
    cerd_price_data c = {0};
    int bullish = 0, bearish = 0;
    (void)state;

    for (int s = 0; s < 200; s++) {
        double o, h, l, cl;
        bool found = false;
        make_ok(t, (uint64_t)s, NULL, &c);
        o = num_of(&c.open_price);
        h = num_of(&c.high_price);
        l = num_of(&c.low_price);
        cl = num_of(&c.close_price);
        assert_true(l > 0 && l <= o && l <= cl && h >= o && h >= cl);
        assert_true(h <= l * 1.2); /* one candle, not a random spread of numbers */
        bullish += cl > o;
        bearish += cl < o;
        for (size_t k = 0; k < 8; k++)
            found = found || !strcmp(c.timeframe, tf[k]);
        assert_true(found);
        assert_int_equal(c.asset_id, parent_id("assets"));
    }
    assert_true(bullish > 20 && bearish > 20);
    cerd_price_data_clear(&c);
}

static void test_factory__foreign_keys_come_from_the_given_parents(void **state)
{
    cerd_portfolio_assets pa = {0};
    cerd_price_data c = {0};
    cerd_model_jobs j = {0};
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    cerd_factory_parent only_models = {"ai_models", 77, NULL};
    (void)state;

    make_ok(&cerd_price_data_table, 5, NULL, &c);
    assert_int_equal(c.asset_id, parent_id("assets"));
    make_ok(&cerd_model_jobs_table, 5, NULL, &j);
    assert_int_equal(j.model_id, parent_id("ai_models"));
    /* a composite foreign key takes every column from its parent row: the position's
       owner is its portfolio's owner */
    make_ok(&cerd_portfolio_assets_table, 5, NULL, &pa);
    assert_int_equal(pa.portfolio_id, parent_id("portfolios"));
    assert_int_equal(pa.user_id, parent_id("users"));
    cerd_portfolio_assets_clear(&pa);
    assert_true(j.initiated_by.valid);
    assert_int_equal(j.initiated_by.value, parent_id("users"));

    /* a nullable foreign key without a parent is NULL */
    o.seed = 5;
    o.parents = &only_models;
    o.nparents = 1;
    CERD_ASSERT_OK(cerd_factory_make(&j, &cerd_model_jobs_table, &o));
    assert_int_equal(j.model_id, 77);
    assert_false(j.initiated_by.valid);
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_model_jobs_table, &j, CERD_VALIDATE_INSERT));
    cerd_price_data_clear(&c);
    cerd_model_jobs_clear(&j);
}

static void test_factory__cross_column_rules_hold(void **state)
{
    const cerd_factory_parent system_user = {"users", 0, NULL};
    cerd_watchlists w = {0};
    cerd_model_jobs j = {0};
    cerd_users u = {0};
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    (void)state;

    for (int s = 0; s < 50; s++) {
        /* owner rule: a personal list has its user, a default one the system user 0 */
        make_ok(&cerd_watchlists_table, (uint64_t)s, NULL, &w);
        assert_string_equal(w.watchlist_type, "personal");
        assert_int_equal(w.user_id, parent_id("users"));
        o.seed = (uint64_t)s;
        o.parents = &system_user;
        o.nparents = 1;
        CERD_ASSERT_OK(cerd_factory_make(&w, &cerd_watchlists_table, &o));
        assert_string_equal(w.watchlist_type, "default");
        assert_int_equal(w.user_id, 0);

        make_ok(&cerd_model_jobs_table, (uint64_t)s, NULL, &j);
        if (j.retry_count.valid && j.max_retries.valid)
            assert_true(j.retry_count.value <= j.max_retries.value);
        if (j.cron_schedule)
            assert_true(j.is_recurring.valid && j.is_recurring.value);

        make_ok(&cerd_users_table, (uint64_t)s, NULL, &u);
        assert_non_null(strchr(u.email, '@'));
        if (u.deleted_by.valid)
            assert_true(u.deleted_at.valid);
    }
    cerd_watchlists_clear(&w);
    cerd_model_jobs_clear(&j);
    cerd_users_clear(&u);
}

/* ---------------------------------------------------------------- violations */

static void test_factory__every_check_can_be_broken_alone(void **state)
{
    int total = 0;
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t);
        for (int k = 0; k < t->nchecks; k++) {
            for (uint64_t s = 0; s < 4; s++) {
                make_ok(t, s * 7919, t->checks[k]->name, row);
                assert_exactly(t, row, CERD_VIOLATION_CHECK, t->checks[k]->name, s * 7919);
                total++;
            }
        }
        free_row(t, row);
    }
    assert_true(total > 4 * 100);
}

/* Whether the table has a column of the kind the rule concerns, and one that can break
   it without any CHECK reading it (then the factory must succeed). */
static void rule_columns(const cerd_table *t, cerd_violation_kind kind, bool *has, bool *free_col)
{
    *has = *free_col = false;
    for (int c = 0; c < t->ncolumns; c++) {
        const cerd_column *col = &t->columns[c];
        bool of_kind = false, breakable = false;
        switch (kind) {
        case CERD_VIOLATION_NOT_NULL:
            of_kind = (col->flags & CERD_COL_NOT_NULL) && !(col->flags & CERD_COL_IDENTITY);
            breakable = of_kind && !(col->flags & CERD_COL_HAS_DEFAULT)
                        && (col->type == CERD_TYPE_TEXT || col->type == CERD_TYPE_JSONB
                            || col->type == CERD_TYPE_INT32_ARRAY
                            || col->type == CERD_TYPE_TEXT_ARRAY);
            break;
        case CERD_VIOLATION_LENGTH:
            breakable = of_kind = col->max_chars >= 0;
            break;
        default:
            breakable = of_kind = col->type == CERD_TYPE_NUMERIC && col->precision > 0;
            break;
        }
        *has = *has || of_kind;
        *free_col = *free_col || (breakable && !check_reads(t, c));
    }
}

static void test_factory__not_null_length_and_precision_can_be_broken_alone(void **state)
{
    static const struct {
        const char *name;
        cerd_violation_kind kind;
    } rules[] = {{"not_null", CERD_VIOLATION_NOT_NULL},
                 {"length", CERD_VIOLATION_LENGTH},
                 {"numeric_precision", CERD_VIOLATION_NUMERIC_PRECISION}};
    int made[3] = {0}, must[3] = {0};
    (void)state;

    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t);
        for (size_t r = 0; r < 3; r++) {
            bool has, free_col;
            rule_columns(t, rules[r].kind, &has, &free_col);
            must[r] += free_col ? 3 : 0;
            for (uint64_t s = 0; s < 3; s++) {
                int rc = make(t, s, rules[r].name, row);
                if (!has) {
                    assert_int_equal(rc, CERD_EMISUSE);
                    continue;
                }
                if (rc == CERD_EINVALID && !free_col)
                    continue; /* e.g. price_data: its only varchar(n) has an IN list */
                if (rc)
                    fail_msg("%s %s seed %llu: %s", t->name, rules[r].name,
                             (unsigned long long)s, cerd_error_last()->message);
                assert_exactly(t, row, rules[r].kind, rules[r].name, s);
                made[r]++;
            }
        }
        free_row(t, row);
    }
    for (size_t r = 0; r < 3; r++) {
        print_message("%s: broken alone in %d rows (%d required)\n", rules[r].name, made[r],
                      must[r]);
        assert_true(must[r] > 0 && made[r] >= must[r]);
    }
}

static void test_factory__length_violation_counts_characters_not_bytes(void **state)
{
    cerd_assets a = {0};
    bool multibyte = false;
    (void)state;
    make_ok(&cerd_assets_table, 3, "length", &a);
    /* the over-long value is multi-byte: more characters than allowed */
    for (int c = 0; c < cerd_assets_table.ncolumns; c++) {
        const cerd_column *col = &cerd_assets_table.columns[c];
        const char *s;
        if (col->type != CERD_TYPE_TEXT || col->max_chars < 0)
            continue;
        s = *(char *const *)((const char *)&a + col->offset);
        if (s && cerd_text_chars(s, strlen(s)) > (size_t)col->max_chars) {
            assert_true(strlen(s) > cerd_text_chars(s, strlen(s)));
            multibyte = true;
        }
    }
    assert_true(multibyte);
    cerd_assets_clear(&a);
}

static void test_factory__a_rule_that_cannot_break_alone_is_einvalid(void **state)
{
    const cerd_factory_parent system_user = {"users", 0, NULL};
    cerd_watchlists w = {0};
    cerd_portfolios p = {0};
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    (void)state;

    /* owned by the system user (0), a watchlist_type outside its list also breaks the
       owner rule: (type = 'default' AND user_id = 0) OR (type <> 'default' AND user_id
       <> 0) */
    o.violate = "chk_watchlists_watchlist_type";
    o.parents = &system_user;
    o.nparents = 1;
    assert_int_equal(cerd_factory_make(&w, &cerd_watchlists_table, &o), CERD_EINVALID);
    assert_null(w.name); /* out untouched */
    /* with one it can */
    make_ok(&cerd_watchlists_table, 0, "chk_watchlists_watchlist_type", &w);
    assert_exactly(&cerd_watchlists_table, &w, CERD_VIOLATION_CHECK,
                   "chk_watchlists_watchlist_type", 0);
    assert_int_equal(w.user_id, parent_id("users"));
    /* portfolios' NOT NULL columns are a plain bigint and columns with defaults */
    assert_int_equal(make(&cerd_portfolios_table, 0, "not_null", &p), CERD_EINVALID);
    cerd_watchlists_clear(&w);
}

/* ---------------------------------------------------------------- a new table */

/* A table the generator never saw, described by hand: the factory knows nothing of it
   beyond its descriptor. Column names match no domain hint. */
typedef struct gadget {
    int64_t id;
    char *label;               /* varchar(12) NOT NULL, char_length(label) >= 3 */
    cerd_opt_int32 lo, hi;     /* lo < hi */
    cerd_opt_numeric ratio;    /* numeric(5,2), NOT (ratio BETWEEN 40 AND 60) */
    char *kind;                /* kind IN ('a', 'b') */
    cerd_opt_timestamp starts, ends; /* starts < ends */
} gadget;

enum { G_ID, G_LABEL, G_LO, G_HI, G_RATIO, G_KIND, G_STARTS, G_ENDS, G_N };

static const cerd_column gadget_columns[G_N] = {
    {"id", CERD_TYPE_INT64, CERD_COL_NOT_NULL | CERD_COL_HAS_DEFAULT | CERD_COL_IDENTITY
                                | CERD_COL_PRIMARY_KEY, offsetof(gadget, id), -1, -1, -1},
    {"label", CERD_TYPE_TEXT, CERD_COL_NOT_NULL, offsetof(gadget, label), 12, -1, -1},
    {"lo", CERD_TYPE_INT32, CERD_COL_OPTIONAL, offsetof(gadget, lo), -1, -1, -1},
    {"hi", CERD_TYPE_INT32, CERD_COL_OPTIONAL, offsetof(gadget, hi), -1, -1, -1},
    {"ratio", CERD_TYPE_NUMERIC, CERD_COL_OPTIONAL, offsetof(gadget, ratio), -1, 5, 2},
    {"kind", CERD_TYPE_TEXT, 0, offsetof(gadget, kind), -1, -1, -1},
    {"starts", CERD_TYPE_TIMESTAMPTZ, CERD_COL_OPTIONAL, offsetof(gadget, starts), -1, -1, -1},
    {"ends", CERD_TYPE_TIMESTAMPTZ, CERD_COL_OPTIONAL, offsetof(gadget, ends), -1, -1, -1},
};

#define COL(i, ty) {.op = CERD_EXPR_COLUMN, .type = ty, .column = i}
#define ARGS(...) (const cerd_expr *const[]){__VA_ARGS__}
#define NODE(o, ...) {.op = o, .type = CERD_TYPE_BOOL, .column = -1, \
                      .nargs = sizeof(ARGS(__VA_ARGS__)) / sizeof(const cerd_expr *), \
                      .args = ARGS(__VA_ARGS__)}

static const cerd_expr g_lo = COL(G_LO, CERD_TYPE_INT32), g_hi = COL(G_HI, CERD_TYPE_INT32);
static const cerd_expr g_span = NODE(CERD_EXPR_LT, &g_lo, &g_hi);

static const cerd_expr g_label = COL(G_LABEL, CERD_TYPE_TEXT);
static const cerd_expr g_len = {.op = CERD_EXPR_FUNC, .type = CERD_TYPE_INT32, .column = -1,
                                .nargs = 1, .args = ARGS(&g_label), .text = "char_length",
                                .func = CERD_FUNC_CHAR_LENGTH};
static const cerd_expr g_three = {.op = CERD_EXPR_CONST, .type = CERD_TYPE_INT32, .column = -1,
                                  .text = "3", .ival = 3};
static const cerd_expr g_label_len = NODE(CERD_EXPR_GE, &g_len, &g_three);

static const cerd_numeric n40 = {.ngroups = 1, .digits = {40}}, n60 = {.ngroups = 1, .digits = {60}};
static const cerd_expr g_ratio = COL(G_RATIO, CERD_TYPE_NUMERIC);
static const cerd_expr g_40 = {.op = CERD_EXPR_CONST, .type = CERD_TYPE_NUMERIC, .column = -1,
                               .text = "40", .num = &n40};
static const cerd_expr g_60 = {.op = CERD_EXPR_CONST, .type = CERD_TYPE_NUMERIC, .column = -1,
                               .text = "60", .num = &n60};
static const cerd_expr g_between = NODE(CERD_EXPR_BETWEEN, &g_ratio, &g_40, &g_60);
static const cerd_expr g_not_between = NODE(CERD_EXPR_NOT, &g_between);

static const cerd_expr g_kind = COL(G_KIND, CERD_TYPE_TEXT);
static const cerd_expr g_a = {.op = CERD_EXPR_CONST, .type = CERD_TYPE_TEXT, .column = -1,
                              .text = "a", .len = 1};
static const cerd_expr g_b = {.op = CERD_EXPR_CONST, .type = CERD_TYPE_TEXT, .column = -1,
                              .text = "b", .len = 1};
static const cerd_expr g_kind_in = NODE(CERD_EXPR_IN, &g_kind, &g_a, &g_b);

static const cerd_expr g_starts = COL(G_STARTS, CERD_TYPE_TIMESTAMPTZ);
static const cerd_expr g_ends = COL(G_ENDS, CERD_TYPE_TIMESTAMPTZ);
static const cerd_expr g_window = NODE(CERD_EXPR_LT, &g_starts, &g_ends);

static const uint16_t c_span[] = {G_LO, G_HI}, c_label[] = {G_LABEL}, c_ratio[] = {G_RATIO},
                      c_kind[] = {G_KIND}, c_window[] = {G_STARTS, G_ENDS};
static const cerd_check chk_span = {"chk_gadget_span", "lo < hi", 2, c_span, &g_span, NULL};
static const cerd_check chk_label = {"chk_gadget_label", "char_length(label) >= 3", 1, c_label,
                                     &g_label_len, NULL};
static const cerd_check chk_ratio = {"chk_gadget_ratio", "NOT (ratio BETWEEN 40 AND 60)", 1,
                                     c_ratio, &g_not_between, NULL};
static const cerd_check chk_kind = {"chk_gadget_kind", "kind IN ('a', 'b')", 1, c_kind,
                                    &g_kind_in, NULL};
static const cerd_check chk_window = {"chk_gadget_window", "starts < ends", 2, c_window,
                                      &g_window, NULL};
static const cerd_check *const gadget_checks[] = {&chk_span, &chk_label, &chk_ratio, &chk_kind,
                                                  &chk_window};

static const cerd_table gadget_table = {
    .abi = CERD_TABLE_ABI,
    .name = "gadgets",
    .row_size = sizeof(gadget),
    .ncolumns = G_N,
    .columns = gadget_columns,
    .primary_key = {"gadgets_pkey", 1, {G_ID}, NULL},
    .soft_delete_column = -1,
    .nchecks = 5,
    .checks = gadget_checks,
};

static void test_factory__a_table_it_never_saw_works_from_its_descriptor(void **state)
{
    gadget g = {0};
    const cerd_table *t = &gadget_table;
    (void)state;

    for (uint64_t s = 0; s < 300; s++) {
        make_ok(t, s, NULL, &g);
        assert_valid(t, &g, s);
        assert_true(cerd_text_chars(g.label, strlen(g.label)) >= 3);
        if (g.kind)
            assert_true(!strcmp(g.kind, "a") || !strcmp(g.kind, "b"));
        if (g.lo.valid && g.hi.valid)
            assert_true(g.lo.value < g.hi.value);
        if (g.starts.valid && g.ends.valid)
            assert_true(g.starts.value < g.ends.value);
    }
    for (int k = 0; k < t->nchecks; k++)
        for (uint64_t s = 0; s < 10; s++) {
            make_ok(t, s, t->checks[k]->name, &g);
            assert_exactly(t, &g, CERD_VIOLATION_CHECK, t->checks[k]->name, s);
        }
    for (uint64_t s = 0; s < 10; s++) {
        make_ok(t, s, "not_null", &g);
        assert_null(g.label);
        make_ok(t, s, "length", &g);
        assert_exactly(t, &g, CERD_VIOLATION_LENGTH, "length", s);
        make_ok(t, s, "numeric_precision", &g);
        assert_exactly(t, &g, CERD_VIOLATION_NUMERIC_PRECISION, "numeric_precision", s);
    }
    cerd_row_clear(t, &g);
}

/* ---------------------------------------------------------------- misuse */

static void test_factory__refuses_misuse(void **state)
{
    cerd_price_data c = {0};
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    (void)state;

    /* a NOT NULL foreign key with no parent and no connection to create one */
    assert_int_equal(cerd_factory_make(&c, &cerd_price_data_table, NULL), CERD_EMISUSE);
    assert_non_null(strstr(cerd_error_last()->message, "asset_id"));
    assert_int_equal(make(&cerd_price_data_table, 1, "no_such_check", &c), CERD_EMISUSE);
    {
        cerd_portfolios p = {0};
        assert_int_equal(make(&cerd_portfolios_table, 1, "length", &p), CERD_EMISUSE);
        assert_int_equal(make(&cerd_portfolios_table, 1, "numeric_precision", &p), CERD_EMISUSE);
    }
    assert_int_equal(cerd_factory_make(&c, NULL, &o), CERD_EMISUSE);
    assert_int_equal(cerd_factory_make(NULL, &cerd_price_data_table, &o), CERD_EMISUSE);
    o.version = 2;
    assert_int_equal(cerd_factory_make(&c, &cerd_assets_table, &o), CERD_EMISUSE);
    /* a table without NOT NULL foreign keys needs no parent */
    {
        cerd_assets a = {0};
        CERD_ASSERT_OK(cerd_factory_make(&a, &cerd_assets_table, NULL));
        cerd_assets_clear(&a);
    }
}

/* ---------------------------------------------------------------- speed */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_factory__makes_thousands_of_rows_per_second_per_table(void **state)
{
    enum { N = 2000 };
    double slowest = 1e18;
    const char *slowest_name = "";
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t);
        double t0 = now_s(), rate;
        for (int s = 0; s < N; s++)
            make_ok(t, (uint64_t)s, NULL, row);
        rate = N / (now_s() - t0);
        if (rate < slowest) {
            slowest = rate;
            slowest_name = t->name;
        }
        free_row(t, row);
    }
    print_message("slowest table: %s, %.0f rows/s%s\n", slowest_name, slowest,
                  SANITIZED ? " (sanitizers on)" : "");
    assert_true(slowest >= (SANITIZED ? 100 : 1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_factory__every_table_gives_valid_rows_for_every_seed),
        cmocka_unit_test(test_factory__same_seed_same_row_and_other_seeds_other_rows),
        cmocka_unit_test(test_factory__unique_keys_differ_across_seeds_with_shared_parents),
        cmocka_unit_test(test_factory__fills_nullable_columns_mostly),
        cmocka_unit_test(test_factory__candles_are_realistic),
        cmocka_unit_test(test_factory__foreign_keys_come_from_the_given_parents),
        cmocka_unit_test(test_factory__cross_column_rules_hold),
        cmocka_unit_test(test_factory__every_check_can_be_broken_alone),
        cmocka_unit_test(test_factory__not_null_length_and_precision_can_be_broken_alone),
        cmocka_unit_test(test_factory__length_violation_counts_characters_not_bytes),
        cmocka_unit_test(test_factory__a_rule_that_cannot_break_alone_is_einvalid),
        cmocka_unit_test(test_factory__a_table_it_never_saw_works_from_its_descriptor),
        cmocka_unit_test(test_factory__refuses_misuse),
        cmocka_unit_test(test_factory__makes_thousands_of_rows_per_second_per_table),
    };
    return cmocka_run_group_tests_name("factory", tests, setup, teardown);
}
