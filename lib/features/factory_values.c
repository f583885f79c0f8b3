/* Row factories, values: hashing, the domain hints by column name, typed values that
   fit a column (type, varchar length, numeric precision, the CHECK-derived domain), and
   field access by column index. Everything is a pure function of (seed, table, column,
   salt): no global state, no clock, no floating point in what reaches a row other than
   through exact decimal text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wire/codec.h"
#include "wire/field.h"
#include "util/error_internal.h"
#include "features/factory_internal.h"

/* ================================================================== hashing */

uint64_t cerd__fac_mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

uint64_t cerd__fac_hash_str(const char *s)
{
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001B3);
    return h;
}

static uint64_t name_hash(const cerd__fac_row *r, const char *column, uint64_t salt)
{
    return cerd__fac_mix(r->tseed ^ cerd__fac_mix(cerd__fac_hash_str(column) + salt));
}

uint64_t cerd__fac_col_hash(const cerd__fac_row *r, int col, uint64_t salt)
{
    return name_hash(r, r->t->columns[col].name, salt);
}

/* Uniform in [0, n) (n > 0). */
static uint64_t below(uint64_t h, uint64_t n)
{
    return n ? h % n : 0;
}

/* Uniform in [0, 1). */
static double unit(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* ================================================================== fields */

static char *field(const cerd_table *t, int col, void *row)
{
    return (char *)row + t->columns[col].offset;
}

static const char *cfield(const cerd_table *t, int col, const void *row)
{
    return (const char *)row + t->columns[col].offset;
}

/* Whether the field is a cerd_opt_* wrapper (identity columns are plain). */
static bool is_opt(const cerd_column *c)
{
    return (c->flags & (CERD_COL_OPTIONAL | CERD_COL_IDENTITY)) == CERD_COL_OPTIONAL;
}

bool cerd__fac_is_null(const cerd_table *t, int col, const void *row)
{
    return cerd__field_is_null(&t->columns[col], row) != 0;
}

bool cerd__fac_set_null(const cerd_table *t, int col, void *row)
{
    const cerd_column *c = &t->columns[col];
    switch (c->type) {
    case CERD_TYPE_TEXT:
    case CERD_TYPE_JSONB:
    case CERD_TYPE_INT32_ARRAY:
    case CERD_TYPE_TEXT_ARRAY:
        cerd__field_free(c, row);
        return true;
    default:
        break;
    }
    if (!is_opt(c))
        return false;
    cerd__field_free(c, row);
    return true;
}

int cerd__fac_set_int(const cerd_table *t, int col, void *row, int64_t v)
{
    const cerd_column *c = &t->columns[col];
    char *f = field(t, col, row);
    if (c->type == CERD_TYPE_INT32) {
        if (v < INT32_MIN || v > INT32_MAX)
            return CERD_ERANGE;
        if (is_opt(c))
            *(cerd_opt_int32 *)f = (cerd_opt_int32){(int32_t)v, true};
        else
            *(int32_t *)f = (int32_t)v;
        return 0;
    }
    if (c->type != CERD_TYPE_INT64)
        return CERD_EMISUSE;
    if (is_opt(c))
        *(cerd_opt_int64 *)f = (cerd_opt_int64){v, true};
    else
        *(int64_t *)f = v;
    return 0;
}

void cerd__fac_set_bool(const cerd_table *t, int col, void *row, bool v)
{
    char *f = field(t, col, row);
    if (is_opt(&t->columns[col]))
        *(cerd_opt_bool *)f = (cerd_opt_bool){v, true};
    else
        *(bool *)f = v;
}

void cerd__fac_set_numeric(const cerd_table *t, int col, void *row, const cerd_numeric *v)
{
    char *f = field(t, col, row);
    if (is_opt(&t->columns[col])) {
        ((cerd_opt_numeric *)f)->value = *v;
        ((cerd_opt_numeric *)f)->valid = true;
    } else
        *(cerd_numeric *)f = *v;
}

void cerd__fac_set_timestamp(const cerd_table *t, int col, void *row, cerd_timestamp v)
{
    char *f = field(t, col, row);
    if (is_opt(&t->columns[col]))
        *(cerd_opt_timestamp *)f = (cerd_opt_timestamp){v, true};
    else
        *(cerd_timestamp *)f = v;
}

static void set_inet(const cerd_table *t, int col, void *row, const cerd_inet *v)
{
    char *f = field(t, col, row);
    if (is_opt(&t->columns[col])) {
        ((cerd_opt_inet *)f)->value = *v;
        ((cerd_opt_inet *)f)->valid = true;
    } else
        *(cerd_inet *)f = *v;
}

int cerd__fac_set_text(const cerd_table *t, int col, void *row, const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        return cerd__error(CERD_ENOMEM, "out of memory");
    cerd__field_free(&t->columns[col], row);
    *(char **)field(t, col, row) = copy;
    return 0;
}

static void set_json(const cerd_table *t, int col, void *row, cJSON *v)
{
    cerd__field_free(&t->columns[col], row);
    *(cJSON **)field(t, col, row) = v;
}

bool cerd__fac_get_int(const cerd_table *t, int col, const void *row, int64_t *out)
{
    const cerd_column *c = &t->columns[col];
    const char *f = cfield(t, col, row);
    if (cerd__fac_is_null(t, col, row))
        return false;
    if (c->type == CERD_TYPE_INT32)
        *out = is_opt(c) ? ((const cerd_opt_int32 *)f)->value : *(const int32_t *)f;
    else if (c->type == CERD_TYPE_INT64)
        *out = is_opt(c) ? ((const cerd_opt_int64 *)f)->value : *(const int64_t *)f;
    else
        return false;
    return true;
}

bool cerd__fac_get_numeric(const cerd_table *t, int col, const void *row, cerd_numeric *out)
{
    const cerd_column *c = &t->columns[col];
    int64_t i;
    if (cerd__fac_is_null(t, col, row))
        return false;
    if (c->type == CERD_TYPE_NUMERIC) {
        const char *f = cfield(t, col, row);
        *out = is_opt(c) ? ((const cerd_opt_numeric *)f)->value : *(const cerd_numeric *)f;
        return true;
    }
    if (cerd__fac_get_int(t, col, row, &i)) {
        cerd_numeric_from_int64(out, i);
        return true;
    }
    return false;
}

bool cerd__fac_get_bool(const cerd_table *t, int col, const void *row, bool *out)
{
    const char *f = cfield(t, col, row);
    if (t->columns[col].type != CERD_TYPE_BOOL || cerd__fac_is_null(t, col, row))
        return false;
    *out = is_opt(&t->columns[col]) ? ((const cerd_opt_bool *)f)->value : *(const bool *)f;
    return true;
}

bool cerd__fac_get_timestamp(const cerd_table *t, int col, const void *row, cerd_timestamp *out)
{
    const char *f = cfield(t, col, row);
    if (t->columns[col].type != CERD_TYPE_TIMESTAMPTZ || cerd__fac_is_null(t, col, row))
        return false;
    *out = is_opt(&t->columns[col]) ? ((const cerd_opt_timestamp *)f)->value
                                    : *(const cerd_timestamp *)f;
    return true;
}

const char *cerd__fac_get_text(const cerd_table *t, int col, const void *row)
{
    if (t->columns[col].type != CERD_TYPE_TEXT)
        return NULL;
    return *(char *const *)cfield(t, col, row);
}

/* Size of the field of column c: what a plain memcpy copies. */
static size_t field_size(const cerd_column *c)
{
    bool opt = is_opt(c);
    switch (c->type) {
    case CERD_TYPE_INT64: return opt ? sizeof(cerd_opt_int64) : sizeof(int64_t);
    case CERD_TYPE_INT32: return opt ? sizeof(cerd_opt_int32) : sizeof(int32_t);
    case CERD_TYPE_BOOL: return opt ? sizeof(cerd_opt_bool) : sizeof(bool);
    case CERD_TYPE_NUMERIC: return opt ? sizeof(cerd_opt_numeric) : sizeof(cerd_numeric);
    case CERD_TYPE_TIMESTAMPTZ: return opt ? sizeof(cerd_opt_timestamp) : sizeof(cerd_timestamp);
    case CERD_TYPE_INET: return opt ? sizeof(cerd_opt_inet) : sizeof(cerd_inet);
    case CERD_TYPE_TEXT: return sizeof(char *);
    case CERD_TYPE_JSONB: return sizeof(cJSON *);
    case CERD_TYPE_INT32_ARRAY: return sizeof(cerd_int32_array);
    case CERD_TYPE_TEXT_ARRAY: return sizeof(cerd_text_array);
    }
    return 0;
}

int cerd__fac_copy_field(const cerd_table *t, int col, void *dst, const void *src)
{
    const cerd_column *c = &t->columns[col];
    char *d = field(t, col, dst);
    const char *s = cfield(t, col, src);

    switch (c->type) {
    case CERD_TYPE_TEXT: {
        const char *v = *(char *const *)s;
        *(char **)d = NULL;
        if (v && !(*(char **)d = strdup(v)))
            return CERD_ENOMEM;
        return 0;
    }
    case CERD_TYPE_JSONB: {
        const cJSON *v = *(cJSON *const *)s;
        *(cJSON **)d = NULL;
        if (v && !(*(cJSON **)d = cJSON_Duplicate(v, 1)))
            return CERD_ENOMEM;
        return 0;
    }
    case CERD_TYPE_INT32_ARRAY: {
        const cerd_int32_array *a = (const cerd_int32_array *)s;
        cerd_int32_array *b = (cerd_int32_array *)d;
        memset(b, 0, sizeof *b);
        b->valid = a->valid;
        if (!a->count)
            return 0;
        if (!(b->values = malloc(a->count * sizeof *b->values)))
            return CERD_ENOMEM;
        b->count = a->count;
        memcpy(b->values, a->values, a->count * sizeof *b->values);
        if (a->nulls) {
            if (!(b->nulls = malloc(a->count * sizeof *b->nulls)))
                return CERD_ENOMEM;
            memcpy(b->nulls, a->nulls, a->count * sizeof *b->nulls);
        }
        return 0;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        const cerd_text_array *a = (const cerd_text_array *)s;
        cerd_text_array *b = (cerd_text_array *)d;
        memset(b, 0, sizeof *b);
        b->valid = a->valid;
        if (!a->count)
            return 0;
        if (!(b->values = calloc(a->count, sizeof *b->values)))
            return CERD_ENOMEM;
        b->count = a->count;
        for (size_t i = 0; i < a->count; i++)
            if (a->values[i] && !(b->values[i] = strdup(a->values[i])))
                return CERD_ENOMEM;
        return 0;
    }
    default:
        memcpy(d, s, field_size(c));
        return 0;
    }
}

/* ================================================================== numbers */

static const cerd__i128 I128_MAX37 = (cerd__i128)1000000000000000000 * 1000000000000000000 * 10;

static cerd__i128 pow10_i128(int n)
{
    cerd__i128 p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

bool cerd__fac_num_scaled(const cerd_numeric *n, int scale, int dir, cerd__i128 *out)
{
    char text[128];
    const char *p = text;
    bool neg = false, inexact = false;
    cerd__i128 v = 0;
    int digits = 0, frac = 0;

    if (n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG)
        return false;
    if (cerd_numeric_format(n, text, sizeof text) >= (int)sizeof text)
        return false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v == 0 && *p == '0')
            continue;
        if (++digits > 37)
            return false;
        v = v * 10 + (*p - '0');
    }
    if (*p == '.')
        p++;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (frac < scale) {
            if (v != 0 || *p != '0')
                if (++digits > 37)
                    return false;
            v = v * 10 + (*p - '0');
            frac++;
        } else if (*p != '0')
            inexact = true;
    }
    for (; frac < scale; frac++) {
        if (v != 0 && ++digits > 37)
            return false;
        v *= 10;
    }
    if (neg)
        v = -v;
    if (inexact) {
        if (dir == 0)
            return false;
        /* v is truncated toward zero */
        if (dir > 0 && !neg)
            v += 1;
        else if (dir < 0 && neg)
            v -= 1;
    }
    *out = v;
    return true;
}

void cerd__fac_num_from_scaled(cerd_numeric *out, cerd__i128 v, int scale)
{
    char digits[64], text[80];
    int n = 0, len = 0;
    bool neg = v < 0;
    __extension__ typedef unsigned __int128 u128;
    u128 u = neg ? (u128)(-(v + 1)) + 1 : (u128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale)
        digits[n++] = '0';
    if (neg)
        text[len++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        text[len++] = digits[i];
        if (i == scale && scale > 0)
            text[len++] = '.';
    }
    text[len] = '\0';
    if (cerd_numeric_parse(out, text))
        memset(out, 0, sizeof *out);
}

int cerd__fac_col_scale(const cerd_column *c, int hint_scale)
{
    if (c->type == CERD_TYPE_INT32 || c->type == CERD_TYPE_INT64)
        return 0;
    if (c->precision > 0)
        return c->scale > 0 ? c->scale : 0;
    return hint_scale < 0 ? 0 : hint_scale > 12 ? 12 : hint_scale;
}

/* ================================================================== text helpers */

/* Byte length of the first n characters of s. */
static size_t prefix_bytes(const char *s, size_t n)
{
    size_t off = 0, seen = 0;
    while (s[off]) {
        if (((unsigned char)s[off] & 0xC0) != 0x80) {
            if (seen == n)
                break;
            seen++;
        }
        off++;
    }
    return off;
}

static size_t chars_of(const char *s)
{
    return cerd_text_chars(s, strlen(s));
}

/* Truncates buf to at most n characters (n < 0: unlimited). */
static void truncate_chars(char *buf, int n)
{
    if (n >= 0)
        buf[prefix_bytes(buf, (size_t)n)] = '\0';
}

/* Appends s to buf (bounded). */
static void cat(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf);
    if (len + 1 < size)
        snprintf(buf + len, size - len, "%s", s);
}

static void base36(char *buf, size_t size, uint64_t v, bool upper)
{
    const char *dig = upper ? "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            : "0123456789abcdefghijklmnopqrstuvwxyz";
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = dig[v % 36];
        v /= 36;
    } while (v);
    size_t i = 0;
    while (n > 0 && i + 1 < size)
        buf[i++] = tmp[--n];
    buf[i] = '\0';
}

void cerd__fac_text_of_chars(char *buf, size_t size, const char *base, size_t n,
                             bool multibyte, uint64_t h)
{
    static const char *const wide[] = {"é", "数", "Ω", "🚀", "ü", "据"};
    size_t len = 0, chars = 0;

    buf[0] = '\0';
    if (base) {
        size_t take = prefix_bytes(base, n);
        if (take + 1 > size)
            take = 0;
        memcpy(buf, base, take);
        buf[take] = '\0';
        len = take;
        chars = cerd_text_chars(buf, take);
    }
    while (chars < n) {
        const char *piece = multibyte ? wide[(h + chars) % 6] : "x";
        size_t pl = strlen(piece);
        if (len + pl + 1 > size)
            break;
        memcpy(buf + len, piece, pl);
        len += pl;
        buf[len] = '\0';
        chars++;
    }
}

/* ================================================================== domain hints */

#define N_(a) (sizeof(a) / sizeof((a)[0]))

typedef struct coin {
    const char *symbol, *name, *gecko;
    double price;
    const char *type;
} coin;

static const coin coins[] = {
    {"BTC", "Bitcoin", "bitcoin", 65000.0, "crypto"},
    {"ETH", "Ethereum", "ethereum", 3400.0, "crypto"},
    {"SOL", "Solana", "solana", 150.0, "crypto"},
    {"BNB", "BNB", "binancecoin", 580.0, "crypto"},
    {"XRP", "XRP", "ripple", 0.52, "crypto"},
    {"ADA", "Cardano", "cardano", 0.45, "crypto"},
    {"DOGE", "Dogecoin", "dogecoin", 0.15, "crypto"},
    {"AVAX", "Avalanche", "avalanche-2", 35.0, "crypto"},
    {"DOT", "Polkadot", "polkadot", 7.1, "crypto"},
    {"LINK", "Chainlink", "chainlink", 14.2, "crypto"},
    {"MATIC", "Polygon", "matic-network", 0.71, "crypto"},
    {"LTC", "Litecoin", "litecoin", 82.0, "crypto"},
    {"UNI", "Uniswap", "uniswap", 9.3, "crypto"},
    {"ATOM", "Cosmos Hub", "cosmos", 8.4, "crypto"},
    {"ARB", "Arbitrum", "arbitrum", 1.1, "crypto"},
    {"NEAR", "NEAR Protocol", "near", 6.2, "crypto"},
    {"OP", "Optimism", "optimism", 2.4, "crypto"},
    {"PEPE", "Pepe", "pepe", 0.0000089, "crypto"},
    {"USDT", "Tether", "tether", 1.0, "stablecoin"},
    {"USDC", "USD Coin", "usd-coin", 1.0, "stablecoin"},
};

static const char *const first_names[] = {
    "Satoshi", "Vitalik", "Ada", "Grace", "Alan", "Hal", "Nick", "Wei", "Sofía", "Zoë",
    "José", "Anaïs", "Björn", "Ömer", "Дмитрий", "Aiko", "Parisa", "Kwame", "Ingrid", "Mateo"};
static const char *const last_names[] = {
    "Nakamoto", "Buterin", "Lovelace", "Hopper", "Turing", "Finney", "Szabo", "Dai",
    "García", "Müller", "Søndergaard", "Kowalski", "Ivanova", "Tanaka", "Rahimi", "Mensah",
    "Lindqvist", "Rossi", "O'Neil", "Nguyễn"};
static const char *const ascii_first[] = {
    "satoshi", "vitalik", "ada", "grace", "alan", "hal", "nick", "wei", "sofia", "zoe",
    "jose", "anais", "bjorn", "omer", "dmitry", "aiko", "parisa", "kwame", "ingrid", "mateo"};
static const char *const ascii_last[] = {
    "nakamoto", "buterin", "lovelace", "hopper", "turing", "finney", "szabo", "dai",
    "garcia", "muller", "sondergaard", "kowalski", "ivanova", "tanaka", "rahimi", "mensah",
    "lindqvist", "rossi", "oneil", "nguyen"};
static const char *const mail_domains[] = {"example.com", "example.org", "mail.example.net",
                                           "cryptoerd.test"};
static const char *const timeframes[] = {"1m", "5m", "15m", "1h", "4h", "1d", "1w", "1M"};
static const char *const regimes[] = {"Bull", "Bear", "Sideways", "Transition",
                                      "Accumulation", "Distribution"};
static const char *const sectors[] = {"DeFi", "Layer 1", "Layer 2", "Gaming", "AI",
                                      "Real World Assets", "Memecoins", "Infrastructure",
                                      "Privacy", "Oracles", "Stablecoins", "DePIN"};
static const char *const sector_ids[] = {
    "decentralized-finance-defi", "layer-1", "layer-2", "gaming", "artificial-intelligence",
    "real-world-assets-rwa", "meme-token", "infrastructure", "privacy-coins", "oracle",
    "stablecoins", "depin"};
static const char *const model_archs[] = {"LSTM", "Transformer", "Ensemble", "XGBoost",
                                          "Regression", "Rule-based"};
static const char *const model_goals[] = {"Trend Predictor", "Regime Classifier",
                                          "Volatility Forecaster", "Entry Timer",
                                          "Sector Rotator", "Signal Scorer"};
static const char *const watchlist_names[] = {
    "Top Layer 1s", "DeFi Blue Chips", "AI Narrative", "Weekly Breakouts", "Stablecoin Yield",
    "Memecoin Radar", "Long-term Holds", "Scalping Setups"};
static const char *const http_methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
static const char *const api_providers[] = {"coingecko", "binance", "coinmarketcap",
                                            "glassnode", "alternative.me", "cryptopanic"};
static const char *const endpoints[] = {
    "/api/v1/assets", "/api/v1/assets/{symbol}/candles", "/api/v1/watchlists",
    "/api/v1/portfolios/{id}/assets", "/api/v1/signals", "/api/v1/market/regime",
    "/api/v3/coins/markets", "/api/v3/klines", "/v1/cryptocurrency/listings/latest",
    "/api/v1/users/me"};
static const char *const timezones[] = {"UTC", "Europe/Berlin", "Asia/Tehran",
                                        "America/New_York", "Asia/Tokyo", "Europe/London",
                                        "America/Sao_Paulo", "Asia/Singapore"};
static const char *const languages[] = {"en", "fa", "de", "es", "fr", "ja", "zh", "pt"};
static const char *const currencies[] = {"USDT", "USD", "USDC", "BTC", "EUR", "ETH"};
static const char *const crons[] = {"*/5 * * * *", "0 * * * *", "0 */4 * * *", "30 2 * * *",
                                    "0 0 * * 0", "15 9 1 * *"};
static const char *const user_agents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Gecko/20100101 Firefox/125.0",
    "cryptoerd-mobile/2.3.1 (Android 14; Pixel 8)", "python-requests/2.31.0"};
static const char *const job_types[] = {"incremental_fine_tune", "full_retrain",
                                        "batch_inference", "walk_forward_eval",
                                        "hyperparameter_search", "feature_backfill"};
static const char *const job_names[] = {"Nightly retrain BTC", "Hourly ETH inference",
                                        "Weekly sector sync", "Cleanup stale sessions",
                                        "Backfill 1h candles", "Refresh fear & greed",
                                        "Rebalance check"};
static const char *const phases[] = {"data_loading", "feature_engineering", "training",
                                     "validation", "export", "warmup"};
static const char *const metric_names[] = {"page_views", "api_calls", "p95_latency_ms",
                                           "active_users", "signals_generated",
                                           "watchlist_adds", "error_rate"};
static const char *const chart_patterns[] = {"bull_flag", "head_and_shoulders", "double_bottom",
                                             "ascending_triangle", "cup_and_handle",
                                             "falling_wedge"};
static const char *const emotions[] = {"calm", "confident", "anxious", "greedy", "fearful",
                                       "neutral", "FOMO"};
static const char *const narratives[] = {"AI", "RWA", "DePIN", "Layer 2", "Memecoins",
                                         "Restaking", "Gaming", "Privacy"};
static const char *const analogues[] = {"2017 bull run", "2018 bear market", "2019 accumulation",
                                        "2020 COVID crash", "2021 cycle top", "2022 deleveraging",
                                        "2024 ETF rally"};
static const char *const reasons[] = {"Breakout above resistance", "Stop loss hit",
                                      "Take profit reached", "Rebalancing to target weights",
                                      "Risk reduction before FOMC", "Funding rate flipped",
                                      "Volume confirmed the move"};
static const char *const titles[] = {"BTC breakout alert", "Portfolio rebalance suggested",
                                     "New AI signal: ETH long", "Weekly market summary",
                                     "Stop loss triggered on SOL", "Regime change detected",
                                     "Your watchlist moved 5%"};
static const char *const labels[] = {"alpha", "beta", "gamma", "delta", "sigma", "omega",
                                     "kappa", "theta", "lambda", "zeta"};
static const char *const words[] = {
    "bitcoin", "momentum", "liquidity", "funding", "rotation", "breakout", "support",
    "resistance", "volume", "volatility", "regime", "accumulation", "whales", "stablecoin",
    "inflows", "the", "market", "shows", "strong", "weak", "signals", "across", "sectors",
    "after", "halving", "macro", "risk", "on-chain", "traders", "rally", "pullback", "trend",
    "confirmed", "above", "below", "weekly", "close", "range", "altcoins", "dominance"};
static const char *const flourishes[] = {" — ✓", " 🚀", " (Ωμέγα)", " 数据", " café", " naïve ∑"};

typedef enum hint {
    H_NONE = 0,
    /* text */
    H_SYMBOL, H_COIN_NAME, H_MODEL_NAME, H_SECTOR_NAME, H_SECTOR_ID, H_WATCHLIST_NAME,
    H_FIRST, H_LAST, H_EMAIL, H_PWHASH, H_TOKEN, H_URL, H_PATH, H_CODE, H_VERSION,
    H_TABLE_NAME, H_LIST, H_COIN_TYPE,
    /* numbers */
    H_NUM, H_PRICE, H_BTC_PRICE, H_HTTP_STATUS,
    /* timestamps */
    H_TS_ANCHOR, H_TS_CANDLE, H_TS_CREATED, H_TS_UPDATED, H_TS_START, H_TS_END, H_TS_FUTURE,
    H_TS_PAST, H_TS_DELETED, H_TS_LATER,
    /* json */
    H_J_INDICATORS, H_J_EXTERNAL_IDS, H_J_LINKS, H_J_PREFS, H_J_DEVICE, H_J_CONFIG,
    H_J_LIST, H_J_STATUS, H_J_AUDIT, H_J_USAGE, H_J_GENERIC
} hint;

enum match { EXACT, PREFIX, SUFFIX, CONTAINS };
enum tclass { TC_TEXT, TC_NUM, TC_TS, TC_JSON };

typedef struct rule {
    enum tclass cls;
    enum match how;
    const char *pat;
    const char *table;          /* only for this table, or NULL */
    hint kind;
    const char *const *list;    /* H_LIST: the choices */
    size_t nlist;
    double lo, hi;              /* H_NUM: range */
    int scale;                  /* H_NUM: decimals (unconstrained numeric) */
    bool log;                   /* H_NUM: log-uniform */
} rule;

#define TXT(how, pat, kind) {TC_TEXT, how, pat, NULL, kind, NULL, 0, 0, 0, 0, false}
#define TXT_T(pat, table, kind) {TC_TEXT, EXACT, pat, table, kind, NULL, 0, 0, 0, 0, false}
#define LST(how, pat, l) {TC_TEXT, how, pat, NULL, H_LIST, l, N_(l), 0, 0, 0, false}
#define NUM(how, pat, lo, hi, sc) {TC_NUM, how, pat, NULL, H_NUM, NULL, 0, lo, hi, sc, false}
#define LOGN(how, pat, lo, hi, sc) {TC_NUM, how, pat, NULL, H_NUM, NULL, 0, lo, hi, sc, true}
#define NUMK(how, pat, kind) {TC_NUM, how, pat, NULL, kind, NULL, 0, 0, 0, 8, false}
#define TS(how, pat, kind) {TC_TS, how, pat, NULL, kind, NULL, 0, 0, 0, 0, false}
#define JS(how, pat, kind) {TC_JSON, how, pat, NULL, kind, NULL, 0, 0, 0, 0, false}

/* First match wins: specific rules before general ones. */
static const rule rules[] = {
    /* ---- text */
    TXT(EXACT, "symbol", H_SYMBOL),
    TXT_T("name", "assets", H_COIN_NAME),
    TXT_T("asset_type", "assets", H_COIN_TYPE),
    TXT_T("name", "ai_models", H_MODEL_NAME),
    TXT_T("name", "sectors", H_SECTOR_NAME),
    TXT_T("name", "watchlists", H_WATCHLIST_NAME),
    TXT(EXACT, "coingecko_id", H_SECTOR_ID),
    TXT(EXACT, "email", H_EMAIL),
    TXT(EXACT, "first_name", H_FIRST),
    TXT(EXACT, "last_name", H_LAST),
    TXT(EXACT, "password_hash", H_PWHASH),
    TXT(SUFFIX, "_token", H_TOKEN),
    TXT(SUFFIX, "url", H_URL),
    TXT(SUFFIX, "_path", H_PATH),
    TXT(SUFFIX, "_code", H_CODE),
    TXT(SUFFIX, "version", H_VERSION),
    TXT(EXACT, "table_name", H_TABLE_NAME),
    LST(EXACT, "endpoint", endpoints),
    LST(EXACT, "http_method", http_methods),
    LST(EXACT, "api_provider", api_providers),
    LST(EXACT, "timezone", timezones),
    LST(EXACT, "language", languages),
    LST(CONTAINS, "currency", currencies),
    LST(EXACT, "cron_schedule", crons),
    LST(EXACT, "user_agent", user_agents),
    LST(CONTAINS, "timeframe", timeframes),
    LST(CONTAINS, "regime", regimes),
    LST(EXACT, "job_type", job_types),
    LST(EXACT, "job_name", job_names),
    LST(EXACT, "task_name", job_names),
    LST(EXACT, "current_phase", phases),
    LST(EXACT, "metric_name", metric_names),
    LST(EXACT, "chart_pattern", chart_patterns),
    LST(EXACT, "emotion_state", emotions),
    LST(CONTAINS, "narrative", narratives),
    LST(CONTAINS, "analogue", analogues),
    LST(CONTAINS, "reason", reasons),
    LST(CONTAINS, "title", titles),
    /* ---- numbers (integers too); ranges are realistic, the CHECK domain wins */
    NUMK(EXACT, "response_status", H_HTTP_STATUS),
    NUM(SUFFIX, "_rank", 1, 500, 0),
    NUMK(CONTAINS, "btc_price", H_BTC_PRICE),
    NUMK(PREFIX, "sma_", H_BTC_PRICE),
    NUMK(PREFIX, "ema_", H_BTC_PRICE),
    NUM(CONTAINS, "allocation", 1, 40, 2),
    NUM(EXACT, "risk_percent", 0.25, 5, 2),
    NUM(CONTAINS, "drawdown_pct", 0, 60, 2),
    NUM(CONTAINS, "fees_impact", 0, 2, 3),
    NUM(CONTAINS, "percent", -25, 25, 2),
    NUM(SUFFIX, "_pct", -25, 25, 2),
    NUM(CONTAINS, "dominance", 1, 60, 2),
    NUM(SUFFIX, "_return", -0.3, 0.3, 4),
    NUM(CONTAINS, "correlation", -1, 1, 4),
    NUM(PREFIX, "rsi", 15, 85, 2),
    NUM(PREFIX, "fear_greed", 5, 95, 2),
    NUM(PREFIX, "google_trends", 0, 100, 2),
    NUM(PREFIX, "funding_rate", -0.001, 0.001, 6),
    NUM(SUFFIX, "_yield", 3, 5, 4),
    NUM(PREFIX, "vix", 10, 40, 4),
    NUM(EXACT, "dxy", 95, 110, 2),
    NUM(EXACT, "sp500", 4000, 6000, 2),
    NUM(EXACT, "gold", 1800, 2600, 2),
    NUM(EXACT, "momentum_index", -100, 100, 4),
    NUM(CONTAINS, "breadth", 0, 100, 2),
    NUM(EXACT, "mse", 0, 0.05, 6),
    NUM(EXACT, "mae", 0, 0.2, 6),
    NUM(EXACT, "sharpe_ratio", -1, 3, 4),
    NUM(EXACT, "profit_factor", 0.5, 3, 4),
    NUM(SUFFIX, "_beta", 0.5, 1.6, 4),
    NUM(EXACT, "leverage_ratio", 1, 10, 1),
    NUM(EXACT, "risk_reward_ratio", 1, 5, 2),
    NUM(SUFFIX, "_ratio", 0.5, 3, 2),
    NUM(SUFFIX, "_factor", 0.5, 2, 2),
    NUM(SUFFIX, "_score", 0, 1, 4),
    NUM(CONTAINS, "confidence", 0, 1, 4),
    NUM(CONTAINS, "prob", 0, 1, 4),
    NUM(EXACT, "accuracy", 0.5, 1, 6),
    NUM(EXACT, "recall", 0.4, 1, 6),
    NUM(EXACT, "win_rate", 0.3, 0.8, 6),
    NUM(EXACT, "max_drawdown", 0, 0.6, 6),
    NUM(CONTAINS, "volatility", 0, 1, 4),
    NUM(SUFFIX, "_risk", 0, 1, 4),
    NUM(CONTAINS, "similarity", 0, 1, 4),
    NUM(CONTAINS, "stability", 0, 1, 4),
    NUM(SUFFIX, "_impact", 0, 1, 4),
    NUM(SUFFIX, "_ms", 5, 5000, 2),
    NUM(SUFFIX, "_seconds", 1, 7200, 3),
    NUM(SUFFIX, "_minutes", 5, 600, 0),
    NUM(SUFFIX, "_hours", 1, 168, 0),
    NUM(SUFFIX, "_days", 1, 365, 0),
    NUM(SUFFIX, "_mb", 1, 2048, 2),
    NUM(EXACT, "quantity", 0.001, 50, 8),
    NUM(PREFIX, "fees", 0.1, 50, 2),
    NUM(SUFFIX, "_size", 0.01, 10, 4),
    NUM(CONTAINS, "excursion", 0, 15, 4),
    NUM(CONTAINS, "market_cap_change", -5e9, 5e9, 2),
    NUM(CONTAINS, "pnl", -5000, 5000, 2),
    NUM(CONTAINS, "netflow", -1e8, 1e8, 2),
    LOGN(CONTAINS, "market_cap", 1e6, 1.3e12, 2),
    LOGN(CONTAINS, "volume", 1e4, 5e10, 2),
    LOGN(CONTAINS, "supply", 1e6, 1e11, 8),
    LOGN(CONTAINS, "tvl", 1e6, 1e10, 2),
    LOGN(CONTAINS, "inflow", 1e5, 1e9, 2),
    LOGN(CONTAINS, "liquidations", 1e5, 1e9, 2),
    LOGN(CONTAINS, "open_interest", 1e8, 3e10, 2),
    LOGN(EXACT, "total", 1e12, 3e12, 2),
    LOGN(SUFFIX, "_usd", 100, 1e6, 2),
    NUM(CONTAINS, "capital", 100, 100000, 2),
    NUM(CONTAINS, "balance", 0, 10000, 2),
    NUM(EXACT, "metric_value", 0, 10000, 2),
    NUMK(SUFFIX, "_price", H_PRICE),
    NUMK(EXACT, "price", H_PRICE),
    NUMK(EXACT, "ath", H_PRICE),
    NUMK(EXACT, "atl", H_PRICE),
    NUMK(EXACT, "vwap", H_PRICE),
    NUMK(EXACT, "stop_loss", H_PRICE),
    NUMK(EXACT, "take_profit", H_PRICE),
    NUMK(EXACT, "trigger_value", H_PRICE),
    NUMK(SUFFIX, "_level", H_PRICE),  /* breakout_level; integer *_level: see below */
    /* integers */
    NUM(EXACT, "trade_count", 100, 250000, 0),
    NUM(EXACT, "sort_order", 0, 50, 0),
    NUM(CONTAINS, "attempts", 0, 5, 0),
    NUM(CONTAINS, "retr", 0, 3, 0),
    NUM(SUFFIX, "_count", 0, 500, 0),
    NUM(SUFFIX, "_steps", 10, 1000, 0),
    NUM(EXACT, "max_retries", 0, 10, 0),
    NUM(PREFIX, "max_", 10, 1000, 0),
    NUM(CONTAINS, "estimate", 1, 90, 0),
    NUM(CONTAINS, "addresses", 500000, 1100000, 0),
    NUM(EXACT, "active_users", 1000, 2000000, 0),
    NUM(EXACT, "active_protocols", 5, 500, 0),
    NUM(PREFIX, "new_", 0, 200, 0),
    NUM(SUFFIX, "_id", 1, 100000, 0),
    NUM(CONTAINS, "rating", 1, 5, 0),
    /* ---- timestamps */
    TS(EXACT, "candle_time", H_TS_CANDLE),
    TS(SUFFIX, "_time", H_TS_ANCHOR),
    TS(SUFFIX, "_date", H_TS_ANCHOR),
    TS(EXACT, "created_at", H_TS_CREATED),
    TS(EXACT, "changed_at", H_TS_CREATED),
    TS(EXACT, "updated_at", H_TS_UPDATED),
    TS(EXACT, "deleted_at", H_TS_DELETED),
    TS(CONTAINS, "started", H_TS_START),
    TS(CONTAINS, "completed", H_TS_END),
    TS(CONTAINS, "expires", H_TS_FUTURE),
    TS(CONTAINS, "next_", H_TS_FUTURE),
    TS(CONTAINS, "estimated", H_TS_FUTURE),
    TS(CONTAINS, "scheduled", H_TS_FUTURE),
    TS(PREFIX, "last_", H_TS_PAST),
    TS(SUFFIX, "_at", H_TS_LATER),
    /* ---- json */
    JS(CONTAINS, "indicators", H_J_INDICATORS),
    JS(EXACT, "external_ids", H_J_EXTERNAL_IDS),
    JS(EXACT, "links", H_J_LINKS),
    JS(EXACT, "preferences", H_J_PREFS),
    JS(EXACT, "device_info", H_J_DEVICE),
    JS(CONTAINS, "config", H_J_CONFIG),
    JS(CONTAINS, "params", H_J_CONFIG),
    JS(CONTAINS, "limits", H_J_CONFIG),
    JS(CONTAINS, "factors", H_J_LIST),
    JS(CONTAINS, "criteria", H_J_LIST),
    JS(CONTAINS, "signals", H_J_LIST),
    JS(CONTAINS, "suggestions", H_J_LIST),
    JS(CONTAINS, "_status", H_J_STATUS),
    JS(SUFFIX, "_values", H_J_AUDIT),
    JS(CONTAINS, "usage", H_J_USAGE),
};

static bool matches(const rule *ru, const char *table, const char *name)
{
    size_t nl = strlen(name), pl = strlen(ru->pat);
    if (ru->table && strcmp(ru->table, table))
        return false;
    switch (ru->how) {
    case EXACT: return !strcmp(name, ru->pat);
    case PREFIX: return nl >= pl && !strncmp(name, ru->pat, pl);
    case SUFFIX: return nl >= pl && !strcmp(name + nl - pl, ru->pat);
    case CONTAINS: return strstr(name, ru->pat) != NULL;
    }
    return false;
}

static const rule *find_rule(const char *table, const char *name, enum tclass cls)
{
    for (size_t i = 0; i < N_(rules); i++)
        if (rules[i].cls == cls && matches(&rules[i], table, name))
            return &rules[i];
    return NULL;
}

static bool text_is_long(const char *name)
{
    static const char *const keys[] = {"message", "description", "notes", "bio", "summary",
                                       "thesis", "lesson", "log", "feedback", "comment",
                                       "recommendations", "text", "details", "body"};
    for (size_t i = 0; i < N_(keys); i++)
        if (strstr(name, keys[i]))
            return true;
    return false;
}

/* ================================================================== text values */

static const coin *row_coin(const cerd__fac_row *r)
{
    return &coins[r->persona % N_(coins)];
}

static void sentence(char *buf, size_t size, uint64_t h)
{
    int n = 6 + (int)below(h, 9);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        uint64_t w = cerd__fac_mix(h + (uint64_t)i);
        const char *word = words[below(w, N_(words))];
        if (i)
            cat(buf, size, " ");
        if (i == 0) {
            char cap[32];
            snprintf(cap, sizeof cap, "%s", word);
            if (cap[0] >= 'a' && cap[0] <= 'z')
                cap[0] = (char)(cap[0] - 'a' + 'A');
            cat(buf, size, cap);
        } else
            cat(buf, size, word);
    }
    if (below(h >> 20, 3) == 0)
        cat(buf, size, flourishes[below(h >> 24, N_(flourishes))]);
    cat(buf, size, ".");
}

/* The seed token of a unique column: short and injective in the seed. */
static void seed_token(const cerd__fac_row *r, char *buf, size_t size, bool upper)
{
    base36(buf, size, r->seed, upper);
}

/* Writes a realistic text for column col into buf (not yet truncated). */
static void text_hint(const cerd__fac_row *r, int col, uint64_t h, char *buf, size_t size)
{
    const cerd_column *c = &r->t->columns[col];
    const rule *ru = find_rule(r->t->name, c->name, TC_TEXT);
    const coin *cn = row_coin(r);
    char tok[32];
    bool uniq = r->unique[col];
    hint kind = ru ? ru->kind : H_NONE;

    seed_token(r, tok, sizeof tok, kind == H_SYMBOL || kind == H_CODE);
    buf[0] = '\0';
    switch (kind) {
    case H_SYMBOL:
        snprintf(buf, size, "%s%s", cn->symbol, uniq ? tok : "");
        return;
    case H_COIN_NAME:
        snprintf(buf, size, "%s", cn->name);
        break;
    case H_COIN_TYPE:
        snprintf(buf, size, "%s", cn->type);
        break;
    case H_MODEL_NAME:
        snprintf(buf, size, "%s %s %s", cn->symbol, model_archs[below(h, N_(model_archs))],
                 model_goals[below(h >> 16, N_(model_goals))]);
        break;
    case H_SECTOR_NAME:
        snprintf(buf, size, "%s", sectors[r->persona % N_(sectors)]);
        break;
    case H_SECTOR_ID:
        snprintf(buf, size, "%s", sector_ids[r->persona % N_(sector_ids)]);
        break;
    case H_WATCHLIST_NAME:
        snprintf(buf, size, "%s", watchlist_names[below(h, N_(watchlist_names))]);
        break;
    case H_FIRST:
        snprintf(buf, size, "%s", first_names[r->persona % N_(first_names)]);
        break;
    case H_LAST:
        snprintf(buf, size, "%s", last_names[(r->persona / 7) % N_(last_names)]);
        break;
    case H_EMAIL:
        /* the local part carries the seed token before the domain, so truncation never
           cuts it: build it whole and let the length check below drop the domain only
           for absurdly short columns */
        snprintf(buf, size, "%s.%s%s%s@%s", ascii_first[r->persona % N_(ascii_first)],
                 ascii_last[(r->persona / 7) % N_(ascii_last)], uniq ? "." : "",
                 uniq ? tok : "", mail_domains[below(h, N_(mail_domains))]);
        return;
    case H_PWHASH: {
        uint64_t a = cerd__fac_mix(h), b = cerd__fac_mix(a);
        snprintf(buf, size, "$argon2id$v=19$m=65536,t=3,p=4$%016llx$%016llx%016llx",
                 (unsigned long long)h, (unsigned long long)a, (unsigned long long)b);
        return;
    }
    case H_TOKEN: {
        /* mix() is a bijection: the first 16 hex digits are injective in the seed */
        uint64_t a = cerd__fac_mix(r->seed ^ cerd__fac_hash_str(c->name));
        snprintf(buf, size, "%.3s_%016llx%016llx", c->name, (unsigned long long)a,
                 (unsigned long long)cerd__fac_mix(h));
        return;
    }
    case H_URL:
        if (strstr(c->name, "logo"))
            snprintf(buf, size, "https://assets.coingecko.example/coins/images/%s/large.png",
                     cn->gecko);
        else if (strstr(c->name, "picture") || strstr(c->name, "avatar"))
            snprintf(buf, size, "https://cdn.example.com/u/%s/avatar-%llu.png",
                     ascii_first[r->persona % N_(ascii_first)],
                     (unsigned long long)below(h, 100000));
        else
            snprintf(buf, size, "https://example.com/%s/%llu", r->t->name,
                     (unsigned long long)below(h, 100000));
        break;
    case H_PATH:
        snprintf(buf, size, "/models/%s_%s_v%d.%d.%d.pkl", cn->gecko,
                 model_archs[below(h, N_(model_archs))], (int)below(h >> 8, 4),
                 (int)below(h >> 16, 10), (int)below(h >> 24, 10));
        break;
    case H_CODE:
        snprintf(buf, size, "REF-%s", tok);
        if (!uniq) {
            char more[16];
            base36(more, sizeof more, below(h, 36 * 36 * 36 * 36), true);
            cat(buf, size, more);
        }
        return;
    case H_VERSION:
        snprintf(buf, size, "v%d.%d.%d", 1 + (int)below(h, 3), (int)below(h >> 8, 10),
                 (int)below(h >> 16, 20));
        break;
    case H_TABLE_NAME: {
        size_t n = cerd_table_count();
        const cerd_table *t = cerd_table_at((size_t)below(h, n ? n : 1));
        snprintf(buf, size, "%s", t ? t->name : r->t->name);
        break;
    }
    case H_LIST:
        snprintf(buf, size, "%s", ru->list[below(h, ru->nlist)]);
        break;
    default:
        if (c->max_chars < 0 && text_is_long(c->name))
            sentence(buf, size, h);
        else if (c->max_chars >= 0 && c->max_chars <= 4)
            snprintf(buf, size, "%c%c", 'A' + (int)below(h, 26), 'A' + (int)below(h >> 8, 26));
        else
            snprintf(buf, size, "%s_%s_%d", c->name, labels[below(h, N_(labels))],
                     (int)below(h >> 16, 1000));
        break;
    }
    if (uniq) {
        size_t len = strlen(buf);
        /* keep the token whole: make room for it first */
        if (c->max_chars >= 0 && chars_of(buf) + strlen(tok) + 1 > (size_t)c->max_chars) {
            size_t keep = (size_t)c->max_chars > strlen(tok) + 1
                              ? (size_t)c->max_chars - strlen(tok) - 1 : 0;
            buf[prefix_bytes(buf, keep)] = '\0';
            len = strlen(buf);
        }
        snprintf(buf + len, size - len, "%s%s", len ? "-" : "", tok);
    }
}

static bool in_list_has_text(const cerd_expr *in, const char *s)
{
    for (int i = 1; in && i < in->nargs; i++)
        if (in->args[i]->op == CERD_EXPR_CONST && in->args[i]->text
            && !strcmp(in->args[i]->text, s))
            return true;
    return false;
}

const char *cerd__fac_text_outside(const cerd_column *c, const cerd_expr *in, uint64_t salt,
                                   char *buf, size_t size)
{
    static const char *const cand[] = {"unknown", "other", "invalid", "n/a", "zzz", "X"};
    size_t n = N_(cand) + 1;
    for (; salt < n; salt++) {
        if (salt < N_(cand))
            snprintf(buf, size, "%s", cand[salt]);
        else {
            const char *first = in && in->nargs > 1 ? in->args[1]->text : NULL;
            snprintf(buf, size, "%s_x", first ? first : "value");
        }
        truncate_chars(buf, c->max_chars);
        if (buf[0] && !in_list_has_text(in, buf))
            return buf;
    }
    return NULL;
}

/* A text value of column col inside its domain. */
static void text_value(const cerd__fac_row *r, int col, uint64_t salt, char *buf, size_t size)
{
    const cerd_column *c = &r->t->columns[col];
    const cerd__fac_domain *d = &r->dom[col];
    uint64_t h = cerd__fac_col_hash(r, col, salt);

    if (d->eq && d->eq->text) {
        snprintf(buf, size, "%s", d->eq->text);
        return;
    }
    if (d->in && d->in->nargs > 1) {
        /* a hint value that is in the list is the realistic choice (assets.asset_type
           follows the coin); otherwise any member that fits the column */
        int n = d->in->nargs - 1;
        text_hint(r, col, h, buf, size);
        if (!salt && in_list_has_text(d->in, buf))
            return;
        for (int k = 0; k < n; k++) {
            const cerd_expr *e = d->in->args[1 + (int)((below(h, (uint64_t)n) + (uint64_t)k) % (uint64_t)n)];
            if (e->op != CERD_EXPR_CONST || !e->text)
                continue;
            if (c->max_chars >= 0 && chars_of(e->text) > (size_t)c->max_chars)
                continue;
            snprintf(buf, size, "%s", e->text);
            return;
        }
    }
    text_hint(r, col, h, buf, size);
    truncate_chars(buf, c->max_chars);
    if (d->max_len >= 0)
        truncate_chars(buf, d->max_len);
    if (d->min_len > 0 && chars_of(buf) < (size_t)d->min_len) {
        char tmp[1024];
        cerd__fac_text_of_chars(tmp, sizeof tmp, buf, (size_t)d->min_len, false, h);
        snprintf(buf, size, "%s", tmp);
    }
}

/* ================================================================== numeric values */

static const cerd__i128 HTTP_STATUS[] = {200, 200, 200, 201, 204, 304, 400, 401, 403, 404,
                                         429, 500, 502, 503};

/* Converts a double to scaled units (x * 10^scale), rounded. */
static cerd__i128 scaled_of(double x, int scale)
{
    double p = 1;
    for (int i = 0; i < scale; i++)
        p *= 10;
    x *= p;
    x += x < 0 ? -0.5 : 0.5;
    if (x > 1e36)
        x = 1e36;
    if (x < -1e36)
        x = -1e36;
    return (cerd__i128)x;
}

/* Uniform in [lo, hi] (lo <= hi). */
static cerd__i128 uniform_i128(uint64_t h, cerd__i128 lo, cerd__i128 hi)
{
    __extension__ typedef unsigned __int128 u128;
    u128 w = (u128)(hi - lo) + 1, x;
    if (w == 0)
        return lo;
    x = ((u128)cerd__fac_mix(h) << 64) | cerd__fac_mix(~h);
    return lo + (cerd__i128)(x % w);
}

/* The value of numeric/integer column col, as scaled units at *scale. */
static cerd__i128 number_value(const cerd__fac_row *r, int col, uint64_t salt, int *scale_out)
{
    const cerd_column *c = &r->t->columns[col];
    const cerd__fac_domain *d = &r->dom[col];
    const rule *ru = find_rule(r->t->name, c->name, TC_NUM);
    uint64_t h = cerd__fac_col_hash(r, col, salt);
    bool is_int = c->type == CERD_TYPE_INT32 || c->type == CERD_TYPE_INT64;
    int hint_scale = ru ? ru->scale : 2;
    int scale;
    cerd__i128 lo, hi, v, cap;
    double x;

    /* integer columns named like prices/levels are levels (confidence_level 1..10) */
    if (is_int && ru && (ru->kind == H_PRICE || ru->kind == H_BTC_PRICE))
        ru = NULL;
    scale = cerd__fac_col_scale(c, hint_scale);

    /* the type's range, then the precision, then the CHECK domain */
    if (c->type == CERD_TYPE_INT32) {
        lo = INT32_MIN;
        hi = INT32_MAX;
    } else if (c->type == CERD_TYPE_INT64) {
        lo = INT64_MIN;
        hi = INT64_MAX;
    } else {
        lo = -I128_MAX37;
        hi = I128_MAX37;
    }
    if (c->type == CERD_TYPE_NUMERIC && c->precision > 0) {
        cap = pow10_i128(c->precision) - 1;
        if (hi > cap)
            hi = cap;
        if (lo < -cap)
            lo = -cap;
    }
    if (d->has_lo) {
        cerd__i128 b;
        if (cerd__fac_num_scaled(&d->lo, scale, +1, &b)) {
            cerd__i128 exact;
            if (d->lo_strict && cerd__fac_num_scaled(&d->lo, scale, 0, &exact))
                b += 1;
            if (b > lo)
                lo = b;
        }
    }
    if (d->has_hi) {
        cerd__i128 b;
        if (cerd__fac_num_scaled(&d->hi, scale, -1, &b)) {
            cerd__i128 exact;
            if (d->hi_strict && cerd__fac_num_scaled(&d->hi, scale, 0, &exact))
                b -= 1;
            if (b < hi)
                hi = b;
        }
    }
    *scale_out = scale;
    if (lo > hi) /* an empty domain: the repair loop will report it */
        return lo;
    if (d->has_lo && d->has_hi && (hi - lo) <= pow10_i128(scale) * 1000000)
        return uniform_i128(h, lo, hi); /* a closed range from the schema: use all of it */

    if (ru && ru->kind == H_HTTP_STATUS)
        v = HTTP_STATUS[below(h, N_(HTTP_STATUS))];
    else if (ru && (ru->kind == H_PRICE || ru->kind == H_BTC_PRICE)) {
        double base = ru->kind == H_BTC_PRICE ? coins[0].price : row_coin(r)->price;
        /* prices of one row stay within a few percent of each other */
        x = base * (0.96 + 0.08 * unit(h));
        if (scale < 8 && c->precision <= 0)
            scale = *scale_out = 8;
        v = scaled_of(x, scale);
    } else if (ru && ru->kind == H_NUM) {
        if (ru->log) {
            double l = ru->lo, u = ru->hi, f = unit(h);
            x = l;
            /* log-uniform without libm: multiply up by a random number of decades */
            while (x * 10 <= u && unit(cerd__fac_mix(h + (uint64_t)(x > 0 ? 1 : 2))) < 0.6)
                x *= 10;
            x *= 1 + 9 * f;
            if (x > u)
                x = u * (0.5 + 0.5 * f);
        } else
            x = ru->lo + (ru->hi - ru->lo) * unit(h);
        v = scaled_of(x, scale);
    } else
        v = scaled_of(1000.0 * unit(h), scale);

    /* a figure, not noise: at most 12 significant digits (doubles carry ~16) */
    {
        cerd__i128 m = v < 0 ? -v : v, p = 1;
        int digits = 0;
        while (m >= p && digits < 38) {
            p *= 10;
            digits++;
        }
        if (digits > 12) {
            cerd__i128 cut = pow10_i128(digits - 12);
            v = v / cut * cut;
        }
    }
    /* too many integer digits for numeric(p,s): drop decades, keeping the look */
    while (v > hi && v > 0)
        v /= 10;
    while (v < lo && v < 0)
        v /= 10;
    if (v < lo || v > hi) {
        /* outside the domain from the schema: near the bound that exists */
        cerd__i128 width = pow10_i128(scale) * 100;
        if (lo > -I128_MAX37 && (hi == I128_MAX37 || hi - lo > width) && v < lo)
            v = uniform_i128(h, lo, lo + width < hi ? lo + width : hi);
        else if (v > hi)
            v = uniform_i128(h, hi - width > lo ? hi - width : lo, hi);
        else
            v = uniform_i128(h, lo, hi);
    }
    return v;
}

/* ================================================================== timestamps */

#define USEC_PER_SEC INT64_C(1000000)
#define USEC_PER_MIN (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MIN)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)

static cerd_timestamp ts_value(const cerd__fac_row *r, int col, uint64_t salt)
{
    const cerd_column *c = &r->t->columns[col];
    const rule *ru = find_rule(r->t->name, c->name, TC_TS);
    uint64_t h = cerd__fac_col_hash(r, col, salt);
    int64_t a = r->anchor;
    int64_t created = a + (int64_t)below(name_hash(r, "created_at", 0), 600) * USEC_PER_SEC;

    switch (ru ? ru->kind : H_TS_LATER) {
    case H_TS_ANCHOR: return salt ? a + (int64_t)below(h, 3600) * USEC_PER_SEC : a;
    case H_TS_CANDLE: return a - a % USEC_PER_MIN + (salt ? (int64_t)salt * USEC_PER_HOUR : 0);
    case H_TS_CREATED: return created;
    case H_TS_UPDATED:
        return created + (int64_t)below(h, 30 * 24 * 3600) * USEC_PER_SEC + (int64_t)below(h >> 32, 1000000);
    case H_TS_START: return created + (int64_t)below(h, 3600) * USEC_PER_SEC;
    case H_TS_END: return created + USEC_PER_HOUR + (int64_t)below(h, 6 * 3600) * USEC_PER_SEC;
    case H_TS_FUTURE: return created + USEC_PER_DAY + (int64_t)below(h, 90 * 24 * 3600) * USEC_PER_SEC;
    case H_TS_PAST: return created + (int64_t)below(h, 30 * 24 * 3600) * USEC_PER_SEC;
    case H_TS_DELETED: return created + 30 * USEC_PER_DAY + (int64_t)below(h, 60 * 24 * 3600) * USEC_PER_SEC;
    default: return created + (int64_t)below(h, 7 * 24 * 3600) * USEC_PER_SEC + (int64_t)below(h >> 40, 1000000);
    }
}

/* ================================================================== json */

static cJSON *raw_number(double x, int decimals)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return cJSON_CreateRaw(buf);
}

static cJSON *json_value(const cerd__fac_row *r, int col, uint64_t salt)
{
    const cerd_column *c = &r->t->columns[col];
    const rule *ru = find_rule(r->t->name, c->name, TC_JSON);
    uint64_t h = cerd__fac_col_hash(r, col, salt);
    const coin *cn = row_coin(r);
    cJSON *o = cJSON_CreateObject(), *in, *arr;
    char buf[256];

    if (!o)
        return NULL;
    switch (ru ? ru->kind : H_J_GENERIC) {
    case H_J_INDICATORS: {
        double p = cn->price;
        in = cJSON_AddObjectToObject(o, "RSI");
        cJSON_AddItemToObject(in, "14", raw_number(20 + 60 * unit(h), 2));
        in = cJSON_AddObjectToObject(o, "MACD");
        cJSON_AddItemToObject(in, "value", raw_number(-50 + 100 * unit(h >> 3), 2));
        cJSON_AddItemToObject(in, "signal", raw_number(-50 + 100 * unit(h >> 5), 2));
        in = cJSON_AddObjectToObject(o, "SMA");
        cJSON_AddItemToObject(in, "20", raw_number(p * (0.95 + 0.1 * unit(h >> 7)), 4));
        cJSON_AddItemToObject(in, "200", raw_number(p * (0.8 + 0.3 * unit(h >> 9)), 4));
        in = cJSON_AddObjectToObject(o, "BB");
        cJSON_AddItemToObject(in, "upper", raw_number(p * 1.05, 4));
        cJSON_AddItemToObject(in, "lower", raw_number(p * 0.95, 4));
        break;
    }
    case H_J_EXTERNAL_IDS:
        cJSON_AddStringToObject(o, "coingecko", cn->gecko);
        snprintf(buf, sizeof buf, "%d", 1 + (int)(r->persona % N_(coins)));
        cJSON_AddStringToObject(o, "coinmarketcap", buf);
        break;
    case H_J_LINKS:
        snprintf(buf, sizeof buf, "https://%s.example.org", cn->gecko);
        cJSON_AddStringToObject(o, "website", buf);
        snprintf(buf, sizeof buf, "https://github.com/%s", cn->gecko);
        cJSON_AddStringToObject(o, "github", buf);
        snprintf(buf, sizeof buf, "https://x.com/%s", cn->gecko);
        cJSON_AddStringToObject(o, "twitter", buf);
        break;
    case H_J_PREFS:
        cJSON_AddStringToObject(o, "theme", below(h, 2) ? "dark" : "light");
        cJSON_AddStringToObject(o, "currency", currencies[below(h >> 4, N_(currencies))]);
        in = cJSON_AddObjectToObject(o, "notifications");
        cJSON_AddBoolToObject(in, "email", below(h >> 8, 2));
        cJSON_AddBoolToObject(in, "push", below(h >> 9, 2));
        break;
    case H_J_DEVICE: {
        static const char *const os[] = {"iOS 17.4", "Android 14", "Windows 11", "macOS 14.4",
                                         "Ubuntu 24.04"};
        static const char *const br[] = {"Safari", "Chrome", "Firefox", "Edge"};
        cJSON_AddStringToObject(o, "os", os[below(h, N_(os))]);
        cJSON_AddStringToObject(o, "browser", br[below(h >> 8, N_(br))]);
        cJSON_AddBoolToObject(o, "mobile", below(h >> 12, 2));
        break;
    }
    case H_J_CONFIG:
        cJSON_AddItemToObject(o, "learning_rate", raw_number(0.0001 * (1 + (double)below(h, 50)), 4));
        cJSON_AddNumberToObject(o, "batch_size", (double)(16 << below(h >> 8, 4)));
        cJSON_AddNumberToObject(o, "epochs", (double)(10 * (1 + below(h >> 12, 20))));
        cJSON_AddStringToObject(o, "timeframe", timeframes[below(h >> 16, 6)]);
        break;
    case H_J_LIST:
        cJSON_Delete(o);
        if (!(arr = cJSON_CreateArray()))
            return NULL;
        for (int i = 0, n = 1 + (int)below(h, 4); i < n; i++) {
            cJSON *e = cJSON_CreateObject();
            if (!e)
                break;
            cJSON_AddItemToArray(arr, e);
            cJSON_AddStringToObject(e, "factor", chart_patterns[below(h >> (4 * i + 8), N_(chart_patterns))]);
            cJSON_AddItemToObject(e, "weight", raw_number(0.5 + 0.5 * unit(cerd__fac_mix(h + (uint64_t)i)), 2));
        }
        return arr;
    case H_J_STATUS:
        cJSON_AddStringToObject(o, "status", below(h, 5) ? "healthy" : "degraded");
        cJSON_AddItemToObject(o, "latency_ms", raw_number(5 + 500 * unit(h >> 3), 1));
        cJSON_AddNumberToObject(o, "uptime_pct", 99);
        break;
    case H_J_USAGE:
        for (int i = 0; i < 5; i++)
            cJSON_AddNumberToObject(o, timeframes[(below(h, 3) + (uint64_t)i) % N_(timeframes)],
                                    (double)below(cerd__fac_mix(h + (uint64_t)i), 200));
        break;
    case H_J_AUDIT:
        snprintf(buf, sizeof buf, "%s%llu", cn->symbol, (unsigned long long)below(h, 1000));
        cJSON_AddStringToObject(o, "symbol", buf);
        cJSON_AddBoolToObject(o, "is_active", below(h >> 8, 2));
        cJSON_AddItemToObject(o, "price", raw_number(cn->price, 8));
        break;
    default:
        cJSON_AddStringToObject(o, "source", "cryptoerd-factory");
        cJSON_AddStringToObject(o, "symbol", cn->symbol);
        cJSON_AddItemToObject(o, "score", raw_number(unit(h), 4));
        arr = cJSON_AddArrayToObject(o, "tags");
        cJSON_AddItemToArray(arr, cJSON_CreateString(labels[below(h >> 8, N_(labels))]));
        cJSON_AddItemToArray(arr, cJSON_CreateString(narratives[below(h >> 16, N_(narratives))]));
        if (below(h >> 24, 4) == 0)
            cJSON_AddStringToObject(o, "note", "Ωμέγα 数据 🚀");
        break;
    }
    return o;
}

/* ================================================================== arrays, inet */

int cerd__fac_set_array_len(const cerd__fac_row *r, int col, void *row, size_t n, uint64_t salt)
{
    const cerd_column *c = &r->t->columns[col];
    uint64_t h = cerd__fac_col_hash(r, col, salt);
    char *f = field(r->t, col, row);

    cerd__field_free(c, row);
    if (c->type == CERD_TYPE_INT32_ARRAY) {
        cerd_int32_array *a = (cerd_int32_array *)f;
        a->valid = true;
        if (!n)
            return 0;
        if (!(a->values = calloc(n, sizeof *a->values)))
            return cerd__error(CERD_ENOMEM, "out of memory");
        a->count = n;
        for (size_t i = 0; i < n; i++)
            a->values[i] = 1 + (int32_t)below(cerd__fac_mix(h + i), 400);
        return 0;
    }
    if (c->type == CERD_TYPE_TEXT_ARRAY) {
        cerd_text_array *a = (cerd_text_array *)f;
        a->valid = true;
        if (!n)
            return 0;
        if (!(a->values = calloc(n, sizeof *a->values)))
            return cerd__error(CERD_ENOMEM, "out of memory");
        a->count = n;
        for (size_t i = 0; i < n; i++) {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", narratives[(below(h, N_(narratives)) + i) % N_(narratives)]);
            truncate_chars(buf, c->max_chars);
            if (!(a->values[i] = strdup(buf)))
                return cerd__error(CERD_ENOMEM, "out of memory");
        }
        return 0;
    }
    return CERD_EMISUSE;
}

static cerd_inet inet_value(uint64_t h)
{
    cerd_inet in;
    memset(&in, 0, sizeof in);
    switch (below(h, 4)) {
    case 0: /* 2001:db8::/32, the documentation prefix */
        in.family = 6;
        in.bits = 128;
        in.addr[0] = 0x20;
        in.addr[1] = 0x01;
        in.addr[2] = 0x0d;
        in.addr[3] = 0xb8;
        for (int i = 8; i < 16; i++)
            in.addr[i] = (uint8_t)(cerd__fac_mix(h + (uint64_t)i) & 0xff);
        return in;
    default: { /* TEST-NET-1/2/3 */
        static const uint8_t nets[3][3] = {{192, 0, 2}, {198, 51, 100}, {203, 0, 113}};
        const uint8_t *n = nets[below(h >> 8, 3)];
        in.family = 4;
        in.bits = 32;
        in.addr[0] = n[0];
        in.addr[1] = n[1];
        in.addr[2] = n[2];
        in.addr[3] = (uint8_t)(1 + below(h >> 16, 254));
        return in;
    }
    }
}

/* ================================================================== one column */

int cerd__fac_gen_value(const cerd__fac_row *r, int col, uint64_t salt, void *row)
{
    const cerd_table *t = r->t;
    const cerd_column *c = &t->columns[col];
    const cerd__fac_domain *d = &r->dom[col];
    uint64_t h = cerd__fac_col_hash(r, col, salt);

    switch (c->type) {
    case CERD_TYPE_INT32:
    case CERD_TYPE_INT64:
    case CERD_TYPE_NUMERIC: {
        int scale;
        cerd__i128 v;
        if (d->eq && d->eq->text) {
            cerd_numeric n;
            if (!cerd_numeric_parse(&n, d->eq->text)) {
                if (c->type == CERD_TYPE_NUMERIC) {
                    cerd__fac_set_numeric(t, col, row, &n);
                    return 0;
                }
                if (cerd__fac_num_scaled(&n, 0, 0, &v) && !cerd__fac_set_int(t, col, row, (int64_t)v))
                    return 0;
            }
        }
        if (d->in && d->in->nargs > 1) {
            const cerd_expr *e = d->in->args[1 + (int)below(h, (uint64_t)(d->in->nargs - 1))];
            cerd_numeric n;
            if (e->text && !cerd_numeric_parse(&n, e->text)) {
                if (c->type == CERD_TYPE_NUMERIC) {
                    cerd__fac_set_numeric(t, col, row, &n);
                    return 0;
                }
                if (cerd__fac_num_scaled(&n, 0, 0, &v) && !cerd__fac_set_int(t, col, row, (int64_t)v))
                    return 0;
            }
        }
        v = number_value(r, col, salt, &scale);
        if (c->type == CERD_TYPE_NUMERIC) {
            cerd_numeric n;
            cerd__fac_num_from_scaled(&n, v, scale);
            cerd__fac_set_numeric(t, col, row, &n);
            return 0;
        }
        if (cerd__fac_set_int(t, col, row, (int64_t)v))
            cerd__fac_set_int(t, col, row, 0);
        return 0;
    }
    case CERD_TYPE_BOOL: {
        bool v;
        if (d->eq && d->eq->text)
            v = d->eq->text[0] == 't' || d->eq->text[0] == 'T';
        else if (!strncmp(c->name, "is_active", 9) || strstr(c->name, "supported"))
            v = below(h, 10) != 0;
        else
            v = below(h, 2) != 0;
        cerd__fac_set_bool(t, col, row, v);
        return 0;
    }
    case CERD_TYPE_TIMESTAMPTZ:
        cerd__fac_set_timestamp(t, col, row, ts_value(r, col, salt));
        return 0;
    case CERD_TYPE_TEXT: {
        char buf[1024];
        text_value(r, col, salt, buf, sizeof buf);
        return cerd__fac_set_text(t, col, row, buf);
    }
    case CERD_TYPE_JSONB: {
        cJSON *j = json_value(r, col, salt);
        if (!j)
            return cerd__error(CERD_ENOMEM, "out of memory");
        set_json(t, col, row, j);
        return 0;
    }
    case CERD_TYPE_INET: {
        cerd_inet in = inet_value(h);
        set_inet(t, col, row, &in);
        return 0;
    }
    case CERD_TYPE_INT32_ARRAY:
    case CERD_TYPE_TEXT_ARRAY: {
        size_t max = d->max_elems >= 0 ? (size_t)d->max_elems : 4;
        size_t n = max ? 1 + (size_t)below(h, max) : 0;
        return cerd__fac_set_array_len(r, col, row, n, salt);
    }
    }
    return cerd__error(CERD_EMISUSE, "%s.%s: unknown column type", t->name, c->name);
}
