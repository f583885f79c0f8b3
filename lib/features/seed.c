/* Seeded scenarios: the preset "demo", built as a fixture set in memory (rows giving
   only what makes them realistic, the factories filling the rest) and hourly candles
   streamed through binary COPY, in one transaction. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cryptoerd/bulk.h"
#include "cryptoerd/fixtures.h"
#include "cryptoerd/json.h"
#include "cryptoerd/row.h"
#include "features/factory_internal.h"
#include "features/fixture_internal.h"
#include "util/error_internal.h"

static const struct { const char *sym, *name; double price; } coins[] = {
    {"BTC", "Bitcoin", 42000}, {"ETH", "Ethereum", 2300}, {"SOL", "Solana", 95},
    {"BNB", "BNB", 310}, {"XRP", "XRP", 0.62}, {"ADA", "Cardano", 0.55},
    {"DOGE", "Dogecoin", 0.09}, {"AVAX", "Avalanche", 36}, {"DOT", "Polkadot", 7.4},
    {"LINK", "Chainlink", 15}, {"MATIC", "Polygon", 0.85}, {"LTC", "Litecoin", 72},
    {"UNI", "Uniswap", 6.3}, {"ATOM", "Cosmos", 9.8}, {"XLM", "Stellar", 0.12},
    {"NEAR", "NEAR Protocol", 3.6}, {"APT", "Aptos", 9.1}, {"ARB", "Arbitrum", 1.9},
    {"OP", "Optimism", 3.4}, {"FIL", "Filecoin", 5.2}};
#define NCOINS (sizeof coins / sizeof coins[0])

static const struct { const char *id, *name; } sectors[] = {
    {"layer-1", "Layer 1"}, {"smart-contract-platform", "Smart Contract Platform"},
    {"decentralized-finance-defi", "DeFi"}, {"layer-2", "Layer 2"},
    {"meme-token", "Meme"}, {"oracle", "Oracles"}, {"payments", "Payments"},
    {"storage", "Storage"}};
#define NSECTORS (sizeof sectors / sizeof sectors[0])

static const char *const preset_names[] = {"demo"};
static const char *const preset_descriptions[] = {
    "assets, sectors, hourly candles, metrics, AI analyses and signals, users with "
    "portfolios, watchlists, trades and notifications"};

size_t cerd_seed_preset_count(void)
{
    return 1;
}

const char *cerd_seed_preset_name(size_t index)
{
    return index < 1 ? preset_names[index] : NULL;
}

const char *cerd_seed_preset_description(size_t index)
{
    return index < 1 ? preset_descriptions[index] : NULL;
}

/* Deterministic generator (splitmix64). */
typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    uint64_t x = (r->s += 0x9E3779B97F4A7C15ULL);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static double unit(rng *r)
{
    return (double)(next(r) >> 11) / 9007199254740992.0;
}

/* A numeric as exact decimal text with `scale` decimals. */
static cJSON *dec(double v, int scale)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", scale, v);
    return cJSON_CreateString(buf);
}

static cJSON *ref(const char *table, const char *name)
{
    char buf[128];
    snprintf(buf, sizeof buf, "@%s.%s", table, name);
    return cJSON_CreateString(buf);
}

static cJSON *row_named(cJSON *arr, const char *fmt, unsigned i)
{
    cJSON *o = cJSON_CreateObject();
    char name[64];
    snprintf(name, sizeof name, fmt, i);
    cJSON_AddStringToObject(o, "$id", name);
    cJSON_AddItemToArray(arr, o);
    return o;
}

static const int64_t END_US = INT64_C(1735689600000000); /* 2025-01-01T00:00:00Z */
static const int64_t HOUR_US = INT64_C(3600000000);

/* A numeric column set to v with `scale` decimals (exact decimal text parsed). */
static int set_dec(const cerd_table *t, int col, void *row, double v, int scale)
{
    char buf[64];
    cerd_numeric num;
    int rc;

    snprintf(buf, sizeof buf, "%.*f", scale, v);
    if ((rc = cerd_numeric_parse(&num, buf)))
        return rc;
    cerd__fac_set_numeric(t, col, row, &num);
    return 0;
}

static void ts_text(char *buf, size_t size, int64_t us)
{
    cerd_timestamp_format(us, buf);
    (void)size;
}

typedef struct seed_call {
    cerd_seed_options o;
    int64_t rows;
} seed_call;

static int seed_demo(cerd_conn *conn, void *arg)
{
    seed_call *sc = arg;
    unsigned s = sc->o.scale ? sc->o.scale : 1;
    unsigned nassets = 10 * s > 200 ? 200 : 10 * s;
    unsigned days = 90 * s > 365 ? 365 : 90 * s;
    unsigned nusers = 5 * s;
    rng r = {sc->o.seed ^ 0xC0FFEEULL};
    cJSON *root = cJSON_CreateObject();
    cJSON *assets = cJSON_AddArrayToObject(root, "assets");
    cJSON *secs = cJSON_AddArrayToObject(root, "sectors");
    cJSON *maps = cJSON_AddArrayToObject(root, "sector_mapping");
    cJSON *models = cJSON_AddArrayToObject(root, "ai_models");
    cJSON *snaps = cJSON_AddArrayToObject(root, "metrics_snapshot");
    cJSON *regimes = cJSON_AddArrayToObject(root, "ai_regime_analysis");
    cJSON *signals = cJSON_AddArrayToObject(root, "ai_trading_signals");
    cJSON *users = cJSON_AddArrayToObject(root, "users");
    cJSON *pfs = cJSON_AddArrayToObject(root, "portfolios");
    cJSON *pas = cJSON_AddArrayToObject(root, "portfolio_assets");
    cJSON *wls = cJSON_AddArrayToObject(root, "watchlists");
    cJSON *was = cJSON_AddArrayToObject(root, "watchlist_assets");
    cJSON *trades = cJSON_AddArrayToObject(root, "trade_actions");
    cJSON *notes = cJSON_AddArrayToObject(root, "notifications");
    cerd_fixture_set *set = NULL;
    cerd_fixture_load_options lo = CERD_FIXTURE_LOAD_OPTIONS_INIT;
    cerd_fixture_result res = {0};
    int64_t **ids = NULL;
    double *start_price = calloc(nassets, sizeof *start_price);
    char name[64], ts[CERD_TIMESTAMP_BUFSIZE];
    int rc;

    if (!root || !users || !start_price) {
        cJSON_Delete(root);
        free(start_price);
        return cerd__error(CERD_ENOMEM, "seed: out of memory");
    }
    for (unsigned i = 0; i < NSECTORS; i++) {
        cJSON *o = row_named(secs, "s%u", i);
        cJSON_AddStringToObject(o, "coingecko_id", sectors[i].id);
        cJSON_AddStringToObject(o, "name", sectors[i].name);
        cJSON_AddStringToObject(o, "description", sectors[i].name);
    }
    for (unsigned i = 0; i < nassets; i++) {
        cJSON *o = row_named(assets, "a%u", i);
        char sym[32], nm[96];
        if (i < NCOINS) {
            snprintf(sym, sizeof sym, "%s", coins[i].sym);
            snprintf(nm, sizeof nm, "%s", coins[i].name);
            start_price[i] = coins[i].price;
        } else {
            snprintf(sym, sizeof sym, "%s%u", coins[i % NCOINS].sym, (unsigned)(i / NCOINS + 1));
            snprintf(nm, sizeof nm, "%s %u", coins[i % NCOINS].name, (unsigned)(i / NCOINS + 1));
            start_price[i] = coins[i % NCOINS].price * (0.5 + unit(&r));
        }
        cJSON_AddStringToObject(o, "symbol", sym);
        cJSON_AddStringToObject(o, "name", nm);
        cJSON_AddStringToObject(o, "asset_type", "crypto");
        {
            cJSON *m = cJSON_CreateObject();
            snprintf(name, sizeof name, "a%u", i);
            cJSON_AddItemToObject(m, "asset_id", ref("assets", name));
            snprintf(name, sizeof name, "s%u", (unsigned)(i % NSECTORS));
            cJSON_AddItemToObject(m, "sector_id", ref("sectors", name));
            cJSON_AddTrueToObject(m, "is_primary_sector");
            cJSON_AddItemToArray(maps, m);
        }
    }
    for (unsigned i = 0; i < 3; i++)
        row_named(models, "m%u", i);
    for (unsigned d = 0; d < days; d++) {
        cJSON *o = row_named(snaps, "d%u", d);
        ts_text(ts, sizeof ts, END_US - (int64_t)(days - d) * 24 * HOUR_US);
        cJSON_AddStringToObject(o, "snapshot_time", ts);
        cJSON_AddItemToObject(o, "btc_price_usd", dec(30000 + 20000 * unit(&r), 2));
        if (d % 7 == 0) {
            cJSON *g = cJSON_CreateObject();
            snprintf(name, sizeof name, "d%u", d);
            cJSON_AddItemToObject(g, "metrics_snapshot_id", ref("metrics_snapshot", name));
            snprintf(name, sizeof name, "m%u", d % 3);
            cJSON_AddItemToObject(g, "ai_model_id", ref("ai_models", name));
            cJSON_AddItemToArray(regimes, g);
        }
    }
    for (unsigned i = 0; i < nassets * 3; i++) {
        cJSON *o = row_named(signals, "g%u", i);
        snprintf(name, sizeof name, "a%u", i % nassets);
        cJSON_AddItemToObject(o, "asset_id", ref("assets", name));
        snprintf(name, sizeof name, "m%u", i % 3);
        cJSON_AddItemToObject(o, "ai_model_id", ref("ai_models", name));
        snprintf(name, sizeof name, "d%u", (unsigned)(next(&r) % days));
        cJSON_AddItemToObject(o, "metrics_snapshot_id", ref("metrics_snapshot", name));
    }
    for (unsigned u = 0; u < nusers; u++) {
        cJSON *o = row_named(users, "u%u", u);
        char un[32];
        snprintf(name, sizeof name, "trader%u@example.com", u);
        cJSON_AddStringToObject(o, "email", name);
        snprintf(un, sizeof un, "u%u", u);
        {
            cJSON *p = row_named(pfs, "p%u", u);
            cJSON_AddItemToObject(p, "user_id", ref("users", un));
        }
        {
            cJSON *w = row_named(wls, "w%u", u);
            snprintf(name, sizeof name, "Watchlist of trader %u", u);
            cJSON_AddStringToObject(w, "name", name);
            cJSON_AddItemToObject(w, "user_id", ref("users", un));
        }
        for (unsigned k = 0; k < 3; k++) {
            unsigned a = (u * 3 + k) % nassets;
            cJSON *pa = row_named(pas, "pa%u", u * 3 + k);
            snprintf(name, sizeof name, "p%u", u);
            cJSON_AddItemToObject(pa, "portfolio_id", ref("portfolios", name));
            snprintf(name, sizeof name, "a%u", a);
            cJSON_AddItemToObject(pa, "asset_id", ref("assets", name));
            cJSON_AddItemToObject(pa, "added_by", ref("users", un));
            cJSON_AddItemToObject(pa, "last_modified_by", ref("users", un));
            for (unsigned t = 0; t < 2; t++) {
                cJSON *ta = cJSON_CreateObject();
                snprintf(name, sizeof name, "pa%u", u * 3 + k);
                cJSON_AddItemToObject(ta, "portfolio_asset_id",
                                      ref("portfolio_assets", name));
                cJSON_AddItemToArray(trades, ta);
            }
        }
        for (unsigned k = 0; k < 4; k++) {
            cJSON *wa = cJSON_CreateObject();
            snprintf(name, sizeof name, "w%u", u);
            cJSON_AddItemToObject(wa, "watchlist_id", ref("watchlists", name));
            snprintf(name, sizeof name, "a%u", (u + k) % nassets);
            cJSON_AddItemToObject(wa, "asset_id", ref("assets", name));
            cJSON_AddItemToObject(wa, "added_by", ref("users", un));
            cJSON_AddItemToObject(wa, "last_modified_by", ref("users", un));
            cJSON_AddItemToArray(was, wa);
        }
        for (unsigned k = 0; k < 3; k++) {
            cJSON *n = cJSON_CreateObject();
            cJSON_AddItemToObject(n, "user_id", ref("users", un));
            cJSON_AddItemToArray(notes, n);
        }
    }
    if ((rc = cerd_fixture_set_new(&set))) {
        cJSON_Delete(root);
        free(start_price);
        return rc;
    }
    rc = cerd__fx_add_tree(set, "preset demo", root, NULL, 0);
    lo.seed = sc->o.seed;
    lo.progress = sc->o.progress;
    lo.progress_arg = sc->o.progress_arg;
    if (!rc)
        rc = cerd__fx_load_in_txn(&res, conn, set, &lo, &ids);
    sc->rows += res.rows;
    /* Hourly candles of every asset, through COPY. */
    if (!rc) {
        const cerd_table *pt = cerd_table_find("price_data");
        int ai = cerd__fx_table_index(set, "assets");
        cerd_copy *w = NULL;
        cerd_copy_options co = CERD_COPY_OPTIONS_INIT;
        void *row = calloc(1, pt->row_size);
        int64_t hours = (int64_t)days * 24, total = sc->rows + hours * nassets, n = 0;
        int c_asset = cerd_table_column(pt, "asset_id"), c_tf = cerd_table_column(pt, "timeframe"),
            c_open = cerd_table_column(pt, "open_price"),
            c_high = cerd_table_column(pt, "high_price"),
            c_low = cerd_table_column(pt, "low_price"),
            c_close = cerd_table_column(pt, "close_price"),
            c_vol = cerd_table_column(pt, "volume"),
            c_time = cerd_table_column(pt, "candle_time"),
            c_valid = cerd_table_column(pt, "is_validated"),
            c_created = cerd_table_column(pt, "created_at"),
            c_updated = cerd_table_column(pt, "updated_at");
        /* Candles are made directly in one row struct (no JSON, no factory): only the
           numbers change from one candle to the next. */
        co.create_partitions = true;
        rc = row ? cerd_copy_begin(&w, conn, pt, NULL, &co)
                 : cerd__error(CERD_ENOMEM, "seed: out of memory");
        if (!rc && (c_asset < 0 || c_tf < 0 || c_open < 0 || c_high < 0 || c_low < 0
                    || c_close < 0 || c_vol < 0 || c_time < 0 || c_valid < 0
                    || c_created < 0 || c_updated < 0))
            rc = cerd__error(CERD_ERROR, "seed: price_data lacks a column of a candle");
        if (!rc)
            rc = cerd__fac_set_text(pt, c_tf, row, "1h");
        if (!rc)
            cerd__fac_set_bool(pt, c_valid, row, true);
        for (unsigned a = 0; a < nassets && !rc; a++) {
            double price = start_price[a];
            rc = cerd__fac_set_int(pt, c_asset, row, ids[ai][a]);
            for (int64_t h = 0; h < hours && !rc; h++) {
                double open = price, close, hi, lo2, vol;
                cerd_timestamp at = END_US - (hours - h) * HOUR_US;
                close = open * (1.0 + (unit(&r) - 0.5) * 0.02);
                hi = (open > close ? open : close) * (1.0 + unit(&r) * 0.005);
                lo2 = (open < close ? open : close) * (1.0 - unit(&r) * 0.005);
                vol = 1000.0 + unit(&r) * 100000.0;
                price = close;
                rc = set_dec(pt, c_open, row, open, 8);
                if (!rc)
                    rc = set_dec(pt, c_high, row, hi, 8);
                if (!rc)
                    rc = set_dec(pt, c_low, row, lo2, 8);
                if (!rc)
                    rc = set_dec(pt, c_close, row, close, 8);
                if (!rc)
                    rc = set_dec(pt, c_vol, row, vol, 2);
                cerd__fac_set_timestamp(pt, c_time, row, at);
                cerd__fac_set_timestamp(pt, c_created, row, at);
                cerd__fac_set_timestamp(pt, c_updated, row, at);
                if (!rc)
                    rc = cerd_copy_put(w, row);
                if (++n % 10000 == 0 && sc->o.progress)
                    sc->o.progress(sc->o.progress_arg, sc->rows + n, total);
            }
        }
        if (w && rc)
            cerd_copy_abort(w);
        else if (w) {
            int64_t written = 0;
            rc = cerd_copy_end(&written, w);
            sc->rows += written;
        }
        if (row) {
            cerd_row_clear(pt, row);
            free(row);
        }
        if (!rc && sc->o.progress)
            sc->o.progress(sc->o.progress_arg, sc->rows, sc->rows);
    }
    if (rc)
        cerd__error_prefix("seed demo");
    cerd__fx_ids_free(ids, set ? set->ntables : 0);
    cerd_fixture_set_free(set);
    free(start_price);
    return rc;
}

int cerd_seed(int64_t *rows, cerd_conn *conn, const cerd_seed_options *opts)
{
    seed_call sc;
    int rc;

    memset(&sc, 0, sizeof sc);
    sc.o = (cerd_seed_options)CERD_SEED_OPTIONS_INIT;
    if (opts)
        sc.o = *opts;
    if (!conn || sc.o.version != 1)
        return cerd__error(CERD_EMISUSE, "cerd_seed: NULL connection or options version");
    if (sc.o.preset && strcmp(sc.o.preset, "demo"))
        return cerd__error(CERD_EMISUSE, "seed: unknown preset \"%s\" (known: demo)",
                           sc.o.preset);
    rc = cerd__fx_atomically(conn, seed_demo, &sc);
    if (rows)
        *rows = rc ? 0 : sc.rows;
    return rc;
}
