-- Market data: candles, resampling and sector rotation (see docs/queries.md).

-- name: latest_candles_in_sector :many
-- The latest candle of one timeframe of every active asset of a sector, by symbol; an
-- asset without a candle of that timeframe yet comes with NULL prices (LEFT JOIN).
SELECT a.id AS asset_id, a.symbol, a.name,
       p.candle_time, p.open_price, p.high_price, p.low_price, p.close_price, p.volume
FROM sector_mapping sm
JOIN assets a ON a.id = sm.asset_id
LEFT JOIN LATERAL (
    SELECT pd.candle_time, pd.open_price, pd.high_price, pd.low_price, pd.close_price,
           pd.volume
    FROM price_data pd
    WHERE pd.asset_id = a.id AND pd.timeframe = @timeframe
    ORDER BY pd.candle_time DESC
    LIMIT 1
) p ON true
WHERE sm.sector_id = @sector_id AND a.is_active
ORDER BY a.symbol, a.id;

-- name: resample_candles :many
-- Re-aggregates an asset's 1h candles into buckets of @bucket_hours hours (4: 4h, 24: 1d)
-- aligned on midnight UTC, with exact numerics: open of the first candle, close of the
-- last, highest high, lowest low, summed volume.
WITH c AS (
    SELECT date_bin(@bucket_hours::integer * interval '1 hour', pd.candle_time,
                    timestamptz '2000-01-01 00:00:00+00') AS bucket,
           pd.candle_time, pd.open_price, pd.high_price, pd.low_price, pd.close_price,
           pd.volume
    FROM price_data pd
    WHERE pd.asset_id = @asset_id AND pd.timeframe = '1h'
      AND pd.candle_time >= @from_time AND pd.candle_time < @to_time
),
b AS (
    SELECT c.bucket, min(c.candle_time) AS first_time, max(c.candle_time) AS last_time,
           max(c.high_price) AS high_price, min(c.low_price) AS low_price,
           sum(c.volume) AS volume, count(*) AS candles
    FROM c
    GROUP BY c.bucket
)
SELECT b.bucket, f.open_price, b.high_price, b.low_price, l.close_price, b.volume, b.candles
FROM b
JOIN c f ON f.bucket = b.bucket AND f.candle_time = b.first_time
JOIN c l ON l.bucket = b.bucket AND l.candle_time = b.last_time
ORDER BY b.bucket;

-- name: sector_rotation_ranked :many
-- Sector rotation flows created in [@from_time, @to_time), ranked by score (ties share a
-- rank), at most @max_rows of them.
SELECT f.id AS flow_id, fs.name AS from_sector, ts.name AS to_sector, f.score, f.created_at,
       rank() OVER (ORDER BY f.score DESC) AS score_rank
FROM sector_rotation_flows f
JOIN sectors fs ON fs.id = f.from_sector_id
JOIN sectors ts ON ts.id = f.to_sector_id
WHERE f.created_at >= @from_time AND f.created_at < @to_time
ORDER BY score_rank, f.id
LIMIT @max_rows;

-- name: latest_close :one
-- The latest close of an asset in one timeframe (CERD_ENOTFOUND when it has no candle).
SELECT pd.close_price, pd.candle_time
FROM price_data pd
WHERE pd.asset_id = @asset_id AND pd.timeframe = @timeframe
ORDER BY pd.candle_time DESC
LIMIT 1;
