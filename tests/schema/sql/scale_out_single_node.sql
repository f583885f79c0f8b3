-- Single-node checks of schema/011_scale_out.sql. Run against a database migrated with
-- schema/*.sql (001..011), as a superuser:
--   psql -X -v ON_ERROR_STOP=1 -f tests/schema/sql/scale_out_single_node.sql
-- Everything runs in one transaction that is rolled back; any failed expectation raises.
\set ON_ERROR_STOP on
\pset tuples_only on
\pset format unaligned
BEGIN;

CREATE FUNCTION pg_temp.expect(ok boolean, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN RAISE EXCEPTION 'FAILED: %', what; END IF;
    RAISE NOTICE 'ok: %', what;
END $$;

-- Runs stmt and requires it to fail with SQLSTATE code (optionally naming constraint).
CREATE FUNCTION pg_temp.expect_error(stmt text, code text, what text, cons text DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    got text; gotcons text;
BEGIN
    BEGIN
        EXECUTE stmt;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS got = RETURNED_SQLSTATE, gotcons = CONSTRAINT_NAME;
        IF got <> code OR (cons IS NOT NULL AND gotcons IS DISTINCT FROM cons) THEN
            RAISE EXCEPTION 'FAILED: % (got % %, want % %)', what, got, gotcons, code, cons;
        END IF;
        RAISE NOTICE 'ok: % (% %)', what, got, coalesce(gotcons, '');
        RETURN;
    END;
    RAISE EXCEPTION 'FAILED: % (statement succeeded)', what;
END $$;

-- Keys, owners and sequences ------------------------------------------------
SELECT pg_temp.expect((SELECT email FROM users WHERE id = system_user_id()) = 'system@cryptoerd.invalid',
                      'system user 0 exists');
SELECT pg_temp.expect((SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                        WHERE c.relname IN ('portfolio_assets', 'trade_actions', 'watchlist_assets',
                                            'ai_watchlist_analysis', 'ai_portfolio_analysis',
                                            'ai_portfolio_asset_analysis', 'watchlists')
                          AND a.attname = 'user_id' AND a.attnotnull) = 7,
                      'user_id NOT NULL on the per-user child tables and watchlists');
SELECT pg_temp.expect((SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'price_data_pkey'
                        AND conrelid = 'price_data'::regclass) = 'PRIMARY KEY (id, candle_time, asset_id)',
                      'price_data_pkey includes asset_id');
SELECT pg_temp.expect((SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'portfolios_pkey')
                        = 'PRIMARY KEY (id, user_id)', 'portfolios_pkey includes user_id');
SELECT pg_temp.expect(NOT EXISTS (SELECT 1 FROM pg_attribute a
                                   WHERE a.attrelid IN ('portfolios'::regclass, 'price_data'::regclass,
                                                        'ai_trading_signals'::regclass, 'api_request_logs'::regclass)
                                     AND a.attname = 'id' AND a.attidentity <> ''),
                      'distributed tables have no identity column');
SELECT pg_temp.expect(pg_get_expr(d.adbin, d.adrelid) = 'nextval(''portfolios_id_seq''::regclass)',
                      'portfolios.id DEFAULT nextval(portfolios_id_seq)')
  FROM pg_attrdef d WHERE d.adrelid = 'portfolios'::regclass
   AND d.adnum = (SELECT attnum FROM pg_attribute WHERE attrelid = 'portfolios'::regclass AND attname = 'id');

-- Two users, their data (the checks count only rows made here: the database may hold others)
SELECT set_config('t.audit0', (SELECT coalesce(max(id), 0)::text FROM audit_log), true);
SELECT set_config('t.defaults', (SELECT count(*)::text FROM watchlists WHERE watchlist_type = 'default'), true);
INSERT INTO users (email, password_hash) VALUES ('alice@example.com', 'x'), ('bob@example.com', 'x');
INSERT INTO assets (symbol, name, asset_type) VALUES ('ZZBTC', 'Test Bitcoin', 'crypto');
SELECT set_config('t.alice', (SELECT id::text FROM users WHERE email = 'alice@example.com'), true),
       set_config('t.bob',   (SELECT id::text FROM users WHERE email = 'bob@example.com'), true),
       set_config('t.asset', (SELECT id::text FROM assets WHERE symbol = 'ZZBTC'), true);

INSERT INTO portfolios (user_id, is_active) VALUES (current_setting('t.alice')::bigint, true),
                                                   (current_setting('t.bob')::bigint, true);
INSERT INTO portfolio_assets (user_id, portfolio_id, asset_id, asset_type, quantity, trade_status, sort_order,
                              is_active, added_by, last_modified_by)
SELECT p.user_id, p.id, current_setting('t.asset')::bigint, 'Crypto Asset', 1, 'open', 1, true, p.user_id, p.user_id
  FROM portfolios p
 WHERE p.user_id IN (current_setting('t.alice')::bigint, current_setting('t.bob')::bigint);
INSERT INTO trade_actions (user_id, portfolio_asset_id, action_type, asset_price, quantity, timeframe, action_source)
SELECT pa.user_id, pa.id, 'buy', 50000, 1, '1h', 'manual' FROM portfolio_assets pa
 WHERE pa.user_id IN (current_setting('t.alice')::bigint, current_setting('t.bob')::bigint);

-- Composite ownership foreign keys refuse a child whose owner differs from its parent's
SELECT pg_temp.expect_error(format(
    'INSERT INTO portfolio_assets (user_id, portfolio_id, asset_id, asset_type, quantity, trade_status, sort_order,
                                   is_active, added_by, last_modified_by)
     SELECT %1$s, id, %2$s, ''Crypto Asset'', 1, ''open'', 1, true, %1$s, %1$s FROM portfolios WHERE user_id = %3$s',
    current_setting('t.bob'), current_setting('t.asset'), current_setting('t.alice')),
    '23503', 'portfolio_assets owned by bob in alice''s portfolio is refused', 'portfolio_assets_portfolio_id_fkey');
SELECT pg_temp.expect_error(format(
    'INSERT INTO trade_actions (user_id, portfolio_asset_id, action_type, asset_price, quantity, timeframe, action_source)
     SELECT %s, id, ''sell'', 1, 1, ''1h'', ''manual'' FROM portfolio_assets WHERE user_id = %s',
    current_setting('t.alice'), current_setting('t.bob')),
    '23503', 'trade_actions of alice on bob''s position is refused', 'trade_actions_portfolio_asset_id_fkey');
SELECT pg_temp.expect_error(format(
    'UPDATE portfolio_assets SET user_id = %s WHERE user_id = %s',
    current_setting('t.bob'), current_setting('t.alice')),
    '23503', 'moving a position to another owner is refused', NULL);

-- Default watchlists belong to the system user -----------------------------------
INSERT INTO watchlists (name, user_id, watchlist_type) VALUES ('Top 10', 0, 'default');
INSERT INTO watchlist_assets (user_id, watchlist_id, asset_id, position_type, sort_order, is_active, added_by, last_modified_by)
SELECT 0, id, current_setting('t.asset')::bigint, 'long', 1, true, 0, 0 FROM watchlists WHERE name = 'Top 10';
SELECT pg_temp.expect_error('INSERT INTO watchlists (name, watchlist_type) VALUES (''x'', ''default'')',
                            '23502', 'a default watchlist without owner is refused (NOT NULL)');
SELECT pg_temp.expect_error(format('INSERT INTO watchlists (name, user_id, watchlist_type) VALUES (''x'', %s, ''default'')',
                                   current_setting('t.alice')),
                            '23514', 'a default watchlist owned by a person is refused', 'chk_watchlists_owner');
SELECT pg_temp.expect_error('INSERT INTO watchlists (name, user_id, watchlist_type) VALUES (''x'', 0, ''personal'')',
                            '23514', 'a personal watchlist of the system user is refused', 'chk_watchlists_owner');
INSERT INTO watchlists (name, user_id, watchlist_type)
VALUES ('alice list', current_setting('t.alice')::bigint, 'personal'),
       ('bob list', current_setting('t.bob')::bigint, 'personal');

-- Audit rows: logical table names, acting user from SET LOCAL ---------------------
SELECT pg_temp.expect((SELECT count(*) FROM audit_log WHERE id > current_setting('t.audit0')::bigint
                         AND table_name = 'portfolio_assets' AND operation = 'INSERT') = 2,
                      'audit_log has the two portfolio_assets inserts');
SELECT pg_temp.expect((SELECT count(*) FROM audit_log WHERE id > current_setting('t.audit0')::bigint
                         AND table_name = 'watchlists' AND operation = 'INSERT'
                         AND (new_values ->> 'user_id')::bigint = 0) = 1,
                      'audit_log has the default watchlist insert (owner 0)');
SELECT pg_temp.expect((SELECT count(*) FROM audit_log WHERE table_name = 'users' AND new_values ? 'password_hash') = 0,
                      'audit_log holds no password hashes');

-- RLS through SET LOCAL with the cryptoerd_app role -------------------------------
SELECT set_config('t.audit_before', (SELECT count(*)::text FROM audit_log), true);
SET LOCAL ROLE cryptoerd_app;

SELECT pg_temp.expect((SELECT count(*) FROM portfolios) = 0, 'no user set: no portfolios visible');
SELECT pg_temp.expect((SELECT count(*) FILTER (WHERE user_id <> 0) FROM watchlist_assets) = 0
                      AND (SELECT count(*) FROM watchlist_assets) >= 1, 'no user set: only default watchlist entries visible');

-- SET LOCAL takes a literal: the ids go through psql variables.
SELECT current_setting('t.alice') AS alice_id \gset
SELECT current_setting('t.bob') AS bob_id \gset
SET LOCAL app.current_user_id = :'alice_id';
SELECT pg_temp.expect(current_app_user_id() = current_setting('t.alice')::bigint, 'SET LOCAL sets the helper');
SELECT pg_temp.expect((SELECT count(*) FROM portfolios) = 1 AND (SELECT count(*) FROM portfolio_assets) = 1
                      AND (SELECT count(*) FROM trade_actions) = 1,
                      'alice sees exactly her portfolio, position and trade action');
SELECT pg_temp.expect((SELECT count(*) FROM watchlists) = current_setting('t.defaults')::bigint + 2
                      AND (SELECT count(*) FROM watchlists WHERE user_id NOT IN (0, current_app_user_id())) = 0,
                      'alice sees the default watchlists and her own');
SELECT pg_temp.expect((SELECT count(*) FILTER (WHERE user_id NOT IN (0, current_app_user_id())) FROM watchlist_assets) = 0,
                      'alice sees only default watchlist entries and her own');
SELECT pg_temp.expect_error(format(
    'INSERT INTO portfolios (user_id, is_active) VALUES (%s, true)', current_setting('t.bob')),
    '42501', 'alice cannot insert a portfolio for bob');
SELECT pg_temp.expect_error(
    'INSERT INTO watchlist_assets (user_id, watchlist_id, asset_id, position_type, sort_order, is_active, added_by, last_modified_by)
     SELECT 0, watchlist_id, asset_id, ''long'', 2, true, 0, 0 FROM watchlist_assets',
    '42501', 'alice cannot add entries to a default watchlist');
UPDATE trade_actions SET notes = 'alice was here';
INSERT INTO watchlist_assets (user_id, watchlist_id, asset_id, position_type, sort_order, is_active, added_by, last_modified_by)
SELECT user_id, id, current_setting('t.asset')::bigint, 'long', 1, true, user_id, user_id
  FROM watchlists WHERE watchlist_type = 'personal';

SET LOCAL app.current_user_id = :'bob_id';
SELECT pg_temp.expect((SELECT count(*) FROM portfolios) = 1
                      AND (SELECT user_id FROM portfolios) = current_setting('t.bob')::bigint,
                      'bob sees only his portfolio');
SELECT pg_temp.expect((SELECT count(*) FROM trade_actions WHERE notes IS NOT NULL) = 0,
                      'bob does not see alice''s updated trade action');
SELECT pg_temp.expect((SELECT count(*) FROM watchlist_assets WHERE user_id = current_setting('t.alice')::bigint) = 0,
                      'bob does not see alice''s watchlist entry');
RESET ROLE;

SELECT pg_temp.expect((SELECT count(*) FROM audit_log
                        WHERE id > current_setting('t.audit0')::bigint AND table_name = 'trade_actions' AND operation = 'UPDATE'
                          AND changed_by = current_setting('t.alice')::bigint) = 1,
                      'the update made as alice is audited with changed_by = alice');

-- Archive flow -----------------------------------------------------------------
INSERT INTO price_data (asset_id, timeframe, open_price, high_price, low_price, close_price, volume, candle_time)
SELECT current_setting('t.asset')::bigint, '1h', 100 + g % 7, 110 + g % 7, 90 + g % 7, 101 + g % 7, g,
       timestamptz '2025-01-01 00:00:00+00' + g * interval '1 hour'
  FROM generate_series(0, 24 * 90 - 1) g;            -- 2025-01 .. 2025-03 (90 days)
SELECT set_config('t.sum', (SELECT sum(close_price)::text FROM price_data
                             WHERE asset_id = current_setting('t.asset')::bigint
                               AND candle_time < '2025-03-01 00:00:00+00'), true);
SELECT set_config('t.due', (SELECT count(*)::text FROM price_data
                             WHERE candle_time >= '2025-01-01 00:00:00+00' AND candle_time < '2025-03-01 00:00:00+00'), true);
SELECT pg_temp.expect(archive_price_data_months('2025-03-01') = current_setting('t.due')::bigint
                      AND current_setting('t.due')::bigint >= 24 * (31 + 28),
                      'every row of the two whole months moved');
SELECT pg_temp.expect(to_regclass('price_data_y2025m01') IS NULL AND to_regclass('price_data_y2025m02') IS NULL
                      AND to_regclass('price_data_y2025m03') IS NOT NULL,
                      'January and February partitions dropped, March kept');
SELECT pg_temp.expect((SELECT sum(close_price) FROM price_data_archive
                        WHERE asset_id = current_setting('t.asset')::bigint)::text = current_setting('t.sum'),
                      'archive holds the moved rows with the same sum');
SELECT pg_temp.expect((SELECT count(*) FROM price_data WHERE asset_id = current_setting('t.asset')::bigint) = 24 * 31,
                      'price_data keeps March only');
SELECT pg_temp.expect(archive_price_data_months('2025-03-01') = 0, 'second call moves nothing');
-- a duplicate candle in the archive makes the whole call fail and keeps the partition
INSERT INTO price_data_archive (asset_id, timeframe, open_price, high_price, low_price, close_price, candle_time)
VALUES (current_setting('t.asset')::bigint, '1h', 1, 1, 1, 1, '2025-03-01 00:00:00+00');
SELECT pg_temp.expect_error('SELECT archive_price_data_months(''2025-04-01'')', '23505',
                            'a conflicting archived candle aborts the month');
SELECT pg_temp.expect(to_regclass('price_data_y2025m03') IS NOT NULL
                      AND (SELECT count(*) FROM price_data WHERE asset_id = current_setting('t.asset')::bigint) = 24 * 31,
                      'after the failed call March is intact');

ROLLBACK;
\echo scale_out_single_node: all checks passed
