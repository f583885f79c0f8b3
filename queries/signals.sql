-- Trading signals and AI analyses (see docs/queries.md).

-- name: active_signals_with_regime :many
-- Active signals not expired at @now, with their asset and the latest regime analysis of
-- one timeframe (NULL when there is none), most confident first.
SELECT s.id AS signal_id, a.symbol, s.signal_type, s.confidence_score, s.entry_price,
       s.target_price, s.expires_at,
       r.current_regime, r.regime_confidence, r.analysis_time AS regime_time
FROM ai_trading_signals s
JOIN assets a ON a.id = s.asset_id
LEFT JOIN LATERAL (
    SELECT ra.current_regime, ra.regime_confidence, ra.analysis_time
    FROM ai_regime_analysis ra
    WHERE ra.analysis_timeframe = @regime_timeframe
    ORDER BY ra.analysis_time DESC, ra.id DESC
    LIMIT 1
) r ON true
WHERE s.status = 'active' AND (s.expires_at IS NULL OR s.expires_at > @now)
ORDER BY s.confidence_score DESC, s.id;

-- name: expire_stale_signals :exec
-- Marks active signals whose expiry is at or before @now as expired.
UPDATE ai_trading_signals
SET status = 'expired', updated_at = @now
WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= @now;

-- name: set_signal_status :exec
-- Sets the status of one signal (active, executed, expired, cancelled or invalidated) as
-- of @now; with cerd_q_set_signal_status_many() many signals in one round trip.
UPDATE ai_trading_signals
SET status = @status, updated_at = @now
WHERE id = @signal_id;

-- name: model_performance_history :many
-- Every evaluation since @since of every model, with the previous score of the same model
-- and whether the model is the best of its category (model_type) by average score.
WITH scores AS (
    SELECT mp.model_id, avg(mp.overall_score) AS avg_score
    FROM model_performance mp
    WHERE mp.evaluation_date >= @since
    GROUP BY mp.model_id
),
best AS (
    SELECT DISTINCT ON (m.model_type) m.model_type, m.id AS best_model_id,
           s.avg_score AS best_avg_score
    FROM scores s
    JOIN ai_models m ON m.id = s.model_id
    WHERE s.avg_score IS NOT NULL
    ORDER BY m.model_type, s.avg_score DESC, m.id
)
SELECT m.id AS model_id, m.name AS model_name, m.model_type, mp.evaluation_date,
       mp.overall_score, mp.accuracy,
       lag(mp.overall_score) OVER (PARTITION BY m.id ORDER BY mp.evaluation_date, mp.id)
           AS previous_score,
       b.best_avg_score AS category_best_score,
       COALESCE(b.best_model_id = m.id, false) AS is_best_in_category
FROM model_performance mp
JOIN ai_models m ON m.id = mp.model_id
LEFT JOIN best b ON b.model_type = m.model_type
WHERE mp.evaluation_date >= @since
ORDER BY m.model_type, m.id, mp.evaluation_date, mp.id;
