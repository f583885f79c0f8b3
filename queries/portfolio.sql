-- Portfolios (see docs/queries.md).

-- name: portfolio_positions_valued :many
-- The active positions of a portfolio valued at the latest close of one timeframe, with
-- unrealised P&L against the entry price; NULL values where no candle exists yet.
SELECT pa.id AS position_id, a.symbol, pa.trade_status, pa.quantity, pa.entry_price,
       lp.close_price AS last_price, lp.candle_time AS priced_at,
       pa.quantity * lp.close_price AS market_value,
       (lp.close_price - pa.entry_price) * pa.quantity AS unrealized_pnl
FROM portfolio_assets pa
JOIN assets a ON a.id = pa.asset_id
LEFT JOIN LATERAL (
    SELECT pd.close_price, pd.candle_time
    FROM price_data pd
    WHERE pd.asset_id = pa.asset_id AND pd.timeframe = @timeframe
    ORDER BY pd.candle_time DESC
    LIMIT 1
) lp ON true
WHERE pa.portfolio_id = @portfolio_id AND pa.is_active
ORDER BY a.symbol, pa.id;
