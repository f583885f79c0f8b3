-- The scenario of tests/queries/test_queries.c: a little of everything the starter queries
-- read, with deliberate gaps (an asset without candles, a signal without a regime of the
-- asked timeframe, a model without scores) so that outer joins produce NULLs.
SELECT create_monthly_partitions('price_data', date '2026-01-01', date '2026-02-01');

INSERT INTO users (id, email, password_hash) VALUES
    (1, 'ada@example.com', 'x'), (2, 'bob@example.com', 'x');

INSERT INTO sectors (id, coingecko_id, name, description) VALUES
    (1, 'defi', 'DeFi', 'Decentralised finance'),
    (2, 'layer-1', 'Layer 1', 'Base chains'),
    (3, 'gaming', 'Gaming', 'Games');

INSERT INTO assets (id, symbol, name, asset_type, current_price, is_active) VALUES
    (1, 'BTC', 'Bitcoin', 'crypto', 95000.12345678, true),
    (2, 'ETH', 'Ether', 'crypto', 3500.5, true),
    (3, 'UNI', 'Uniswap', 'crypto', 7.25, true),
    (4, 'AAVE', 'Aave', 'crypto', NULL, true),
    (5, 'OLD', 'Delisted', 'crypto', 1, false);

INSERT INTO sector_mapping (asset_id, sector_id, is_primary_sector) VALUES
    (3, 1, true), (4, 1, true), (5, 1, true), (2, 1, false), (1, 2, true), (2, 2, true);

-- 1h candles for BTC, ETH and UNI over two days, with eight-decimal prices; 1d candles for
-- BTC; a 1h candle of the inactive asset.
INSERT INTO price_data (asset_id, timeframe, open_price, high_price, low_price, close_price,
                        volume, candle_time)
SELECT a, '1h',
       100 * a + g * 0.12345678,
       100 * a + g * 0.12345678 + 1.00000001 + (g % 5) * 0.3,
       100 * a + g * 0.12345678 - 0.99999999,
       100 * a + g * 0.12345678 + (g % 3) * 0.25 - 0.2,
       1000.25 + g * a,
       timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 3) a, generate_series(0, 47) g;
INSERT INTO price_data (asset_id, timeframe, open_price, high_price, low_price, close_price,
                        volume, candle_time) VALUES
    (1, '1d', 100.1, 120.5, 90.25, 110.33333333, 99999.99, '2026-01-01 00:00:00+00'),
    (1, '1d', 110.33333333, 130, 100, 125.5, 88888.88, '2026-01-02 00:00:00+00'),
    (5, '1h', 1, 1, 1, 1, 0, '2026-01-01 05:00:00+00');

INSERT INTO ai_models (id, name, version, architecture, model_type, training_data_timeframe,
                       target_variable) VALUES
    (1, 'trend-lstm', '1.0', 'lstm', 'asset', '1h', 'price_direction'),
    (2, 'trend-xf', '2.1', 'transformer', 'asset', '1h', 'price_direction'),
    (3, 'macro-ens', '0.9', 'ensemble', 'macro', '1d', 'regime_change_probability'),
    (4, 'timing-reg', '0.1', 'regression', 'timing', '1h', 'trend_strength');

INSERT INTO model_performance (model_id, evaluation_date, evaluation_type, accuracy,
                               overall_score) VALUES
    (1, '2026-01-01 00:00:00+00', 'backtesting', 0.612345, 0.6100),
    (1, '2026-01-02 00:00:00+00', 'backtesting', 0.633333, 0.6400),
    (1, '2026-01-03 00:00:00+00', 'live_performance', NULL, 0.6500),
    (2, '2026-01-01 00:00:00+00', 'backtesting', 0.700001, 0.7000),
    (2, '2026-01-03 00:00:00+00', 'live_performance', 0.5, 0.5200),
    (3, '2026-01-02 00:00:00+00', 'backtesting', 0.55, 0.5500),
    (4, '2026-01-02 00:00:00+00', 'backtesting', 0.1, NULL),
    (1, '2025-12-01 00:00:00+00', 'backtesting', 0.9, 0.9900);

INSERT INTO metrics_snapshot (id, snapshot_time, timeframe, btc_price_usd) VALUES
    (1, '2026-01-02 00:00:00+00', '1h', 95000),
    (2, '2026-01-02 04:00:00+00', '4h', 95100);

INSERT INTO ai_regime_analysis (metrics_snapshot_id, ai_model_id, analysis_time,
                                analysis_timeframe, current_regime, regime_confidence) VALUES
    (1, 3, '2026-01-02 00:00:00+00', '4h', 'Bull', 0.81),
    (2, 3, '2026-01-02 04:00:00+00', '4h', 'Sideways', 0.64),
    (1, 3, '2026-01-01 00:00:00+00', '1d', 'Accumulation', 0.70);

INSERT INTO ai_trading_signals (id, asset_id, ai_model_id, metrics_snapshot_id, signal_type,
                                signal_origin, signal_quality, confidence_score, entry_price,
                                target_price, status, expires_at) VALUES
    (1, 1, 1, 1, 'long', 'market_opportunity', 'high', 0.91, 95000.5, 99000, 'active',
     '2026-01-05 00:00:00+00'),
    (2, 2, 2, 1, 'short', 'risk_management', 'medium', 0.66, 3500, NULL, 'active', NULL),
    (3, 3, 1, 2, 'long', 'watchlist_screening', 'low', 0.55, NULL, NULL, 'active',
     '2026-01-01 12:00:00+00'),
    (4, 1, 2, 2, 'long', 'market_opportunity', 'high', 0.99, 94000, 98000, 'executed', NULL),
    (5, 2, 1, 1, 'long', 'market_opportunity', 'medium', 0.75, 3400, 3900, 'active',
     '2026-01-02 06:00:00+00');

INSERT INTO ai_cross_sector_analysis (id, metrics_snapshot_id, ai_model_id, analysis_time)
VALUES (1, 1, 3, '2026-01-02 00:00:00+00');
INSERT INTO sector_rotation_flows (ai_cross_sector_analysis_id, from_sector_id, to_sector_id,
                                   score, created_at) VALUES
    (1, 1, 2, 0.75, '2026-01-02 01:00:00+00'),
    (1, 2, 3, 0.40, '2026-01-02 02:00:00+00'),
    (1, 3, 1, 0.75, '2026-01-02 03:00:00+00'),
    (1, 2, 1, 0.90, '2026-01-03 03:00:00+00'),
    (1, 1, 3, 0.12, '2026-01-02 04:00:00+00');

INSERT INTO portfolios (id, user_id) VALUES (1, 1), (2, 2);
INSERT INTO portfolio_assets (user_id, portfolio_id, asset_id, asset_type, quantity,
                              entry_price, trade_status, sort_order, is_active, added_by,
                              last_modified_by) VALUES
    (1, 1, 1, 'Crypto Asset', 0.5, 90000.123, 'open', 1, true, 1, 1),
    (1, 1, 2, 'Crypto Asset', 10, 3000, 'accumulating', 2, true, 1, 1),
    (1, 1, 4, 'Crypto Asset', 100, 150.5, 'open', 3, true, 1, 1),
    (1, 1, 3, 'Crypto Asset', 1000, NULL, 'open', 4, true, 1, 1),
    (1, 1, 3, 'Crypto Asset', 5, 8, 'closed', 5, false, 1, 1),
    (2, 2, 2, 'Crypto Asset', 1, 3100, 'open', 1, true, 2, 2);

INSERT INTO notifications (user_id, notification_type, title, message, status, priority,
                           read_at, created_at) VALUES
    (1, 'signal', 'BTC long', 'A new long signal on BTC', 'unread', 'high', NULL,
     '2026-01-02 01:00:00+00'),
    (1, 'system', 'Welcome', 'Welcome aboard', NULL, NULL, NULL, '2026-01-01 00:00:00+00'),
    (1, 'alert', 'Read one', 'Already read', 'read', 'low', '2026-01-02 00:00:00+00',
     '2026-01-01 12:00:00+00'),
    (2, 'alert', 'Other user', 'Not for Ada', 'unread', 'normal', NULL,
     '2026-01-02 02:00:00+00');

INSERT INTO signal_alerts (user_id, asset_id, alert_type, trigger_value, condition,
                           is_triggered, is_active, message, triggered_at) VALUES
    (1, 1, 'price_target', 95000, 'above', true, true, 'BTC above 95k',
     '2026-01-02 03:00:00+00'),
    (1, 4, 'price_target', 100, 'below', true, true, NULL, NULL),
    (1, 2, 'volume_spike', 2.5, 'percentage_change', false, true, 'not yet', NULL),
    (1, 3, 'price_target', 7, 'above', true, false, 'inactive', '2026-01-01 00:00:00+00'),
    (2, 1, 'price_target', 90000, 'above', true, true, 'Bob', '2026-01-02 00:00:00+00');

INSERT INTO user_sessions (id, user_id) VALUES (1, 1), (2, 2);
INSERT INTO user_activities (user_id, session_id, activity_type, entity_type, entity_id,
                             action, details, ip_address, created_at)
SELECT 1, 1, (ARRAY['login', 'watchlist_update', 'ai_interaction'])[1 + g % 3],
       CASE WHEN g % 3 = 1 THEN 'watchlist' END, CASE WHEN g % 3 = 1 THEN g END,
       (ARRAY['create', 'update', 'delete', 'view'])[1 + g % 4],
       CASE WHEN g % 2 = 0 THEN jsonb_build_object('step', g, 'page', 'home') END,
       CASE WHEN g % 4 = 0 THEN inet '10.0.0.7' WHEN g % 4 = 1 THEN inet '2001:db8::1' END,
       timestamptz '2026-01-01 00:00:00+00' + (g / 2) * interval '1 hour'
FROM generate_series(1, 25) g;
INSERT INTO user_activities (user_id, session_id, activity_type, action, created_at) VALUES
    (2, 2, 'login', 'view', '2026-01-01 00:00:00+00');

INSERT INTO api_request_logs (user_id, endpoint, http_method, response_status,
                              response_time_ms, created_at)
SELECT CASE WHEN g % 5 = 0 THEN NULL ELSE 1 + g % 2 END,
       (ARRAY['/api/assets', '/api/signals', '/api/portfolio'])[1 + g % 3], 'GET', 200,
       (g * 37 % 500) + (g % 7) * 0.125,
       timestamptz '2026-01-01 00:00:00+00' + (g * 7) * interval '1 minute'
FROM generate_series(1, 60) g;

SELECT setval(pg_get_serial_sequence(t, 'id'), 1000)
FROM unnest(ARRAY['users', 'sectors', 'assets', 'ai_models', 'metrics_snapshot',
                  'ai_trading_signals', 'ai_cross_sector_analysis', 'portfolios',
                  'user_sessions']) t;
