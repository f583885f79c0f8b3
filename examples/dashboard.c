/*
 * dashboard: three typed queries of queries/ (docs/queries.md) behind a text dashboard.
 *
 *   dashboard [CONNINFO [SECTOR_ID [PORTFOLIO_ID]]]   (default: $CRYPTOERD_DSN, else PG*)
 *
 * Prints the latest hourly candle of every asset of a sector, a portfolio's positions
 * valued at the latest close with unrealised P&L, and the active trading signals with the
 * latest 4h market regime. Reads only; on an empty database the sections are empty.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <cryptoerd/cryptoerd.h>
#include <cryptoerd/queries/market.h>
#include <cryptoerd/queries/portfolio.h>
#include <cryptoerd/queries/signals.h>

static int fail(const char *what)
{
    const cerd_error *e = cerd_error_last();
    fprintf(stderr, "dashboard: %s: %s (%s)\n", what, e->message, cerd_strerror(e->code));
    return 1;
}

/* An optional numeric as text, "-" for NULL. */
static const char *num(const cerd_opt_numeric *n, char *buf, size_t size)
{
    if (!n->valid)
        return "-";
    cerd_numeric_format(&n->value, buf, size);
    return buf;
}

static int sector_candles(cerd_conn *conn, int64_t sector_id)
{
    cerd_q_latest_candles_in_sector_params p = {.timeframe = "1h", .sector_id = sector_id};
    cerd_q_latest_candles_in_sector_rows rows = {0};
    char a[64], b[64], when[CERD_TIMESTAMP_BUFSIZE];

    if (cerd_q_latest_candles_in_sector(&rows, conn, &p))
        return fail("latest candles");
    printf("Sector %" PRId64 ": latest 1h candles\n", sector_id);
    for (size_t i = 0; i < rows.count; i++) {
        const cerd_q_latest_candles_in_sector_row *r = &rows.rows[i];
        if (r->candle_time.valid)
            cerd_timestamp_format(r->candle_time.value, when);
        printf("  %-8s close %-20s volume %-20s at %s\n", r->symbol,
               num(&r->close_price, a, sizeof a), num(&r->volume, b, sizeof b),
               r->candle_time.valid ? when : "(no candle)");
    }
    cerd_q_latest_candles_in_sector_rows_free(&rows);
    return 0;
}

static int portfolio(cerd_conn *conn, int64_t portfolio_id)
{
    cerd_q_portfolio_positions_valued_params p = {.timeframe = "1h",
                                                  .portfolio_id = portfolio_id};
    cerd_q_portfolio_positions_valued_rows rows = {0};
    char q[64], v[64], pnl[64];

    if (cerd_q_portfolio_positions_valued(&rows, conn, &p))
        return fail("portfolio");
    printf("\nPortfolio %" PRId64 ": positions at the latest close\n", portfolio_id);
    for (size_t i = 0; i < rows.count; i++) {
        const cerd_q_portfolio_positions_valued_row *r = &rows.rows[i];
        cerd_numeric_format(&r->quantity, q, sizeof q);
        printf("  %-8s qty %-14s value %-24s P&L %s\n", r->symbol, q,
               num(&r->market_value, v, sizeof v), num(&r->unrealized_pnl, pnl, sizeof pnl));
    }
    cerd_q_portfolio_positions_valued_rows_free(&rows);
    return 0;
}

static int signals(cerd_conn *conn)
{
    cerd_q_active_signals_with_regime_params p = {.regime_timeframe = "4h",
                                                  .now = cerd_timestamp_now()};
    cerd_q_active_signals_with_regime_row row = {0};
    cerd_stream *s = NULL;
    char c[64];
    int rc;

    /* the stream variant: one row in memory at a time */
    if (cerd_q_active_signals_with_regime_stream(&s, conn, &p, 100))
        return fail("signals");
    printf("\nActive signals with the latest 4h regime\n");
    while ((rc = cerd_stream_next(s, &row)) == 1) {
        cerd_numeric_format(&row.confidence_score, c, sizeof c);
        printf("  #%-6" PRId64 " %-8s %-5s confidence %-6s regime %s\n", row.signal_id,
               row.symbol, row.signal_type, c, row.current_regime ? row.current_regime : "-");
    }
    cerd_q_active_signals_with_regime_clear(&row);
    if (rc < 0) {
        rc = fail("signals");
        cerd_stream_close(s);
        return rc;
    }
    return cerd_stream_close(s) ? fail("signals") : 0;
}

int main(int argc, char **argv)
{
    const char *conninfo = argc > 1 ? argv[1] : getenv("CRYPTOERD_DSN");
    int64_t sector_id = argc > 2 ? strtoll(argv[2], NULL, 10) : 1;
    int64_t portfolio_id = argc > 3 ? strtoll(argv[3], NULL, 10) : 1;
    cerd_conn *conn = NULL;
    int rc;

    if (cerd_conn_open(&conn, conninfo ? conninfo : ""))
        return fail("connect");
    if (cerd_migrate(NULL, conn)) {
        rc = fail("migrate");
    } else {
        rc = sector_candles(conn, sector_id);
        rc = rc ? rc : portfolio(conn, portfolio_id);
        rc = rc ? rc : signals(conn);
    }
    cerd_conn_free(conn);
    return rc;
}
