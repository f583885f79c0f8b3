-- Operations (see docs/queries.md).

-- name: endpoint_latency_hourly :many
-- Requests, median and 95th-percentile response time (ms) per endpoint and hour (UTC
-- hours when the session's TimeZone is UTC) in [@from_time, @to_time). percentile_cont
-- returns double precision, which the row codec has no type for: cast to numeric.
SELECT date_trunc('hour', l.created_at) AS hour, l.endpoint, count(*) AS requests,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY l.response_time_ms)::numeric(12,3)
           AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY l.response_time_ms)::numeric(12,3)
           AS p95_ms
FROM api_request_logs l
WHERE l.created_at >= @from_time AND l.created_at < @to_time
GROUP BY 1, 2
ORDER BY 1, 2;
