/*
 * chart_range: the candles of one asset and timeframe between two instants, oldest first,
 * as a chart would read them.
 *
 *   chart_range SYMBOL TIMEFRAME FROM TO [CONNINFO]
 *       e.g. chart_range BTC 1m 2026-01-01T00:00:00Z 2026-01-01T00:30:00Z
 *   (CONNINFO default: $CRYPTOERD_DSN, else libpq's PG* environment)
 *
 * A range read on price_data's index (asset_id, timeframe, candle_time): equality on the
 * asset and the timeframe, the half-open interval [FROM, TO) on candle_time, in keyset
 * pages of 500 rows (each page continues after the last row of the previous one, so
 * memory holds one page whatever the range).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>

#define PAGE 500

static int fail(const char *what)
{
    const cerd_error *e = cerd_error_last();
    fprintf(stderr, "chart_range: %s: %s (%s)\n", what, e->message, cerd_strerror(e->code));
    return 1;
}

/* The asset of a symbol, read by the assets' unique key on symbol. */
static int asset_by_symbol(cerd_assets *out, cerd_conn *conn, const char *symbol)
{
    const cerd_table *t = &cerd_assets_table;
    cerd_assets key = {0};
    int k = -1;
    for (int i = 0; i < t->nunique; i++)
        if (t->unique_keys[i].ncolumns == 1
            && t->unique_keys[i].columns[0] == cerd_table_column(t, "symbol"))
            k = i;
    key.symbol = (char *)symbol;
    return k < 0 ? -1 : cerd_row_get(out, conn, t, k, &key, 0);
}

int main(int argc, char **argv)
{
    const cerd_table *t = &cerd_price_data_table;
    cerd_conn *conn = NULL;
    cerd_assets asset = {0};
    cerd_price_data key = {0}, from = {0}, to = {0}, last = {0};
    cerd_range range = {0};
    size_t total = 0;
    int rc = 1;
    bool more = true;

    if (argc < 5) {
        fprintf(stderr, "usage: chart_range SYMBOL TIMEFRAME FROM TO [CONNINFO]\n");
        return 2;
    }
    if (cerd_timestamp_parse(&from.candle_time, argv[3])
        || cerd_timestamp_parse(&to.candle_time, argv[4]))
        return fail("time");
    if (cerd_conn_open(&conn, argc > 5 ? argv[5] : getenv("CRYPTOERD_DSN")))
        return fail("connect");
    if (asset_by_symbol(&asset, conn, argv[1])) {
        rc = fail(argv[1]);
        goto out;
    }

    key.asset_id = asset.id;
    key.timeframe = argv[2];
    range.ncolumns = 3; /* the index idx_price_data_asset_timeframe_time */
    range.columns[0] = CERD_PRICE_DATA_ASSET_ID;
    range.columns[1] = CERD_PRICE_DATA_TIMEFRAME;
    range.columns[2] = CERD_PRICE_DATA_CANDLE_TIME;
    range.nequal = 2;   /* asset_id = and timeframe = */
    range.equal = &key;
    range.from = &from; /* candle_time >= FROM */
    range.to = &to;     /* candle_time < TO */
    range.limit = PAGE; /* oldest first (descending = false) */

    printf("%s (%s) %s candles from %s to %s\n\n", asset.symbol, asset.name, argv[2], argv[3],
           argv[4]);
    printf("%-27s %18s %18s %18s %18s %14s\n", "candle (UTC)", "open", "high", "low", "close",
           "volume");
    while (more) {
        cerd_rows page = {0};
        cerd_price_data *rows;
        if (cerd_row_range(&page, conn, t, &range)) {
            rc = fail("range");
            goto out;
        }
        rows = page.rows;
        for (size_t i = 0; i < page.count; i++) {
            const cerd_price_data *c = &rows[i];
            char when[CERD_TIMESTAMP_BUFSIZE], o[48], h[48], l[48], cl[48], v[48];
            cerd_timestamp_format(c->candle_time, when);
            cerd_numeric_format(&c->open_price, o, sizeof o);
            cerd_numeric_format(&c->high_price, h, sizeof h);
            cerd_numeric_format(&c->low_price, l, sizeof l);
            cerd_numeric_format(&c->close_price, cl, sizeof cl);
            cerd_numeric_format(&c->volume.value, v, sizeof v);
            printf("%-27s %18s %18s %18s %18s %14s\n", when, o, h, l, cl, v);
        }
        total += page.count;
        more = page.next.valid;
        if (more) { /* the next page starts after this page's last row: keep it */
            cerd_row_clear(t, &last);
            last = rows[page.count - 1];
            memset(&rows[page.count - 1], 0, sizeof *rows);
            range.after = &last;
        }
        cerd_rows_free(t, &page);
    }
    printf("\n%zu candles\n", total);
    rc = 0;
out:
    cerd_row_clear(t, &last);
    cerd_row_clear(&cerd_assets_table, &asset);
    cerd_conn_free(conn);
    return rc;
}
