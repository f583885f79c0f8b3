/*
 * quickstart: the library end to end.
 *
 *   quickstart [CONNINFO]      (default: $CRYPTOERD_DSN, else libpq's PG* environment)
 *
 * Brings the schema up to date, creates (or finds) the asset BTC, stores a week of hourly
 * candles for it, and prints the latest ten. Safe to run again: the asset and the candles
 * are upserted on their unique keys.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <cryptoerd/cryptoerd.h>

#define HOURS (7 * 24)
#define HOUR_US INT64_C(3600000000)

static int fail(const char *what)
{
    const cerd_error *e = cerd_error_last();
    fprintf(stderr, "quickstart: %s: %s (%s)\n", what, e->message, cerd_strerror(e->code));
    return 1;
}

/* Prices are kept in units of 10^-8 USD as integers, then written as exact decimals:
   no binary floating point between the generator and the database. */
static void set_price(cerd_numeric *out, int64_t units)
{
    char text[48];
    snprintf(text, sizeof text, "%" PRId64 ".%08" PRId64, units / 100000000, units % 100000000);
    cerd_numeric_parse(out, text);
}

/* A deterministic random walk: one candle per hour, low <= open, close <= high. */
static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u; /* 64-bit LCG */
    return *state >> 11;
}

static void make_candle(cerd_price_data *c, int64_t asset_id, cerd_timestamp start, int hour,
                        int64_t *price, uint64_t *seed)
{
    int64_t open = *price, close, high, low;

    close = open + (int64_t)(next_random(seed) % 60000000001u) - 30000000000; /* +-300 USD */
    high = (open > close ? open : close) + (int64_t)(next_random(seed) % 9000000000u);
    low = (open < close ? open : close) - (int64_t)(next_random(seed) % 9000000000u);
    *price = close;

    c->asset_id = asset_id;
    c->timeframe = "1h";
    c->candle_time = start + hour * HOUR_US;
    set_price(&c->open_price, open);
    set_price(&c->high_price, high);
    set_price(&c->low_price, low);
    set_price(&c->close_price, close);
    c->volume.valid = true;
    cerd_numeric_from_int64(&c->volume.value, 1000000 + (int64_t)(next_random(seed) % 5000000));
    c->trade_count = CERD_SOME(cerd_opt_int32, 1000 + (int32_t)(next_random(seed) % 9000));
}

int main(int argc, char **argv)
{
    const char *dsn = argc > 1 ? argv[1] : getenv("CRYPTOERD_DSN");
    cerd_conn *conn = NULL;
    cerd_assets btc_in = {0}, btc = {0};
    cerd_price_data_rows latest = {0};
    /* the week before the start of the current hour */
    cerd_timestamp start = cerd_timestamp_now() / HOUR_US * HOUR_US - HOURS * HOUR_US;
    int64_t price = INT64_C(6450000000000); /* 64,500.00000000 USD */
    uint64_t seed = 20251125;
    int applied = 0, rc = 1;

    printf("libcryptoerd %s\n", cerd_version_string());
    if (cerd_conn_open(&conn, dsn))
        return fail("connect");
    if (cerd_migrate(&applied, conn)) {
        rc = fail("migrate");
        goto out;
    }
    printf("schema: %zu migrations, %d applied now, %zu tables\n", cerd_migration_count(),
           applied, cerd_table_count());

    btc_in.symbol = "BTC";
    btc_in.name = "Bitcoin";
    btc_in.asset_type = "crypto";
    btc_in.quote_currency = "USDT";
    if (cerd_assets_upsert_by_symbol(&btc, conn, &btc_in)) {
        rc = fail("asset");
        goto out;
    }
    printf("asset: %s (%s), id %" PRId64 "\n", btc.symbol, btc.name, btc.id);

    /* one transaction for the week: all candles or none */
    if (cerd_conn_begin(conn)) {
        rc = fail("begin");
        goto out;
    }
    for (int h = 0; h < HOURS; h++) {
        cerd_price_data candle = {0};
        make_candle(&candle, btc.id, start, h, &price, &seed);
        if (cerd_price_data_upsert_by_candle(NULL, conn, &candle)) {
            rc = fail("candle");
            cerd_conn_rollback(conn);
            goto out;
        }
    }
    if (cerd_conn_commit(conn)) {
        rc = fail("commit");
        goto out;
    }
    printf("stored %d hourly candles\n\nlatest ten:\n", HOURS);

    /* newest first in candle_time order (index idx_price_data_asset_timeframe_time), not in
       id order: a candle backfilled later still takes its place by time */
    if (cerd_price_data_range_by_asset_timeframe_time(&latest, conn, btc.id, "1h", NULL, NULL,
                                                      true, 10, NULL)) {
        rc = fail("latest");
        goto out;
    }
    printf("%-27s %18s %18s %18s %18s %14s\n", "candle (UTC)", "open", "high", "low", "close",
           "volume");
    for (size_t i = 0; i < latest.count; i++) {
        const cerd_price_data *c = &latest.rows[i];
        char when[CERD_TIMESTAMP_BUFSIZE], o[64], hi[64], lo[64], cl[64], vol[64];
        cerd_timestamp_format(c->candle_time, when);
        cerd_numeric_format(&c->open_price, o, sizeof o);
        cerd_numeric_format(&c->high_price, hi, sizeof hi);
        cerd_numeric_format(&c->low_price, lo, sizeof lo);
        cerd_numeric_format(&c->close_price, cl, sizeof cl);
        cerd_numeric_format(&c->volume.value, vol, sizeof vol);
        printf("%-27s %18s %18s %18s %18s %14s\n", when, o, hi, lo, cl, vol);
    }
    rc = 0;
out:
    cerd_price_data_list_free(&latest);
    cerd_assets_clear(&btc);
    cerd_conn_free(conn);
    return rc;
}
