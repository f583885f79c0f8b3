-- 011_scale_out: keys, owners, policies and audit that are correct on one PostgreSQL node
-- and make the distribution plan of docs/scale-out.md possible on Citus
-- (schema/citus/distribute.sql, applied only on a Citus coordinator).
--
-- What changes (every decision is recorded in docs/schema.md, section 011_scale_out):
--   * a reserved system user (id 0, system_user_id()) owns the default watchlists, so
--     watchlists.user_id is NOT NULL;
--   * per-user child tables carry user_id (backfilled from the parent, NOT NULL) and
--     reference their parent by (user_id, parent_id) -> parent(user_id, id), so a child
--     whose owner differs from its parent's is refused;
--   * primary keys of the tables that will be distributed include the distribution
--     column: (id, user_id) for per-user tables, (id, candle_time, asset_id) for the
--     candles, (id, asset_id) for ai_trading_signals;
--   * those tables number their rows from a sequence (DEFAULT nextval) instead of an
--     identity column (identity blocks Citus resharding and undistribute_table);
--   * RLS policies compare columns with current_app_user_id() directly (no subqueries);
--   * audit_row_change() takes the logical table name as its trigger argument and reads
--     nothing but the session's user id (no subquery), so it works per node;
--   * archive_price_data_months(before) moves whole months of price_data into
--     price_data_archive with counts and sums checked in the same transaction.

-- ---------------------------------------------------------------------------
-- The system user: owner of everything the platform (not a person) owns
-- ---------------------------------------------------------------------------
CREATE FUNCTION system_user_id() RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 0::bigint $$;

COMMENT ON FUNCTION system_user_id() IS
    'Id of the reserved system user (0): owner of the default watchlists and their rows. It cannot log in.';

COMMENT ON FUNCTION current_app_user_id() IS
    'User id from app.current_user_id (transaction-local), or NULL when unset. Set it with SET LOCAL app.current_user_id = ''<id>'' (on Citus with citus.propagate_set_commands = ''local'', which carries SET LOCAL to the workers; set_config(..., true) does not reach them). Every RLS policy uses this helper.';

-- Sequences never produce 0, so the id cannot collide with a generated one.
INSERT INTO users (id, email, password_hash, first_name, role, is_active, is_verified, notes)
VALUES (0, 'system@cryptoerd.invalid', '!', 'system', 'guest', false, true,
        'Reserved system user (system_user_id()): owns the default watchlists. Not a login: the password hash ''!'' matches no password and the account is inactive.');

-- ---------------------------------------------------------------------------
-- Default watchlists get the system user as owner
-- ---------------------------------------------------------------------------
ALTER TABLE watchlists DROP CONSTRAINT chk_watchlists_owner;
UPDATE watchlists SET user_id = 0 WHERE watchlist_type = 'default';
ALTER TABLE watchlists ALTER COLUMN user_id SET NOT NULL;
ALTER TABLE watchlists ADD CONSTRAINT chk_watchlists_owner CHECK (
    (watchlist_type = 'default' AND user_id = 0)
    OR (watchlist_type <> 'default' AND user_id <> 0));

COMMENT ON COLUMN watchlists.user_id IS $$Foreign key linking to users table; the system user (0, system_user_id()) for default watchlists, exactly when watchlist_type is 'default' (chk_watchlists_owner)$$;

-- ---------------------------------------------------------------------------
-- Foreign keys that point at keys about to change are dropped first and re-added
-- (same names) further down.
-- ---------------------------------------------------------------------------
ALTER TABLE portfolio_assets DROP CONSTRAINT portfolio_assets_portfolio_id_fkey;
ALTER TABLE ai_portfolio_analysis DROP CONSTRAINT ai_portfolio_analysis_portfolio_id_fkey;
ALTER TABLE trade_actions DROP CONSTRAINT trade_actions_portfolio_asset_id_fkey;
ALTER TABLE ai_portfolio_asset_analysis DROP CONSTRAINT ai_portfolio_asset_analysis_portfolio_asset_id_fkey;
ALTER TABLE watchlist_assets DROP CONSTRAINT watchlist_assets_watchlist_id_fkey;
ALTER TABLE ai_watchlist_analysis DROP CONSTRAINT ai_watchlist_analysis_watchlist_id_fkey;
ALTER TABLE user_activities DROP CONSTRAINT user_activities_session_id_fkey;
ALTER TABLE ai_trading_signals DROP CONSTRAINT ai_trading_signals_watchlist_analysis_id_fkey;
ALTER TABLE ai_trading_signals DROP CONSTRAINT ai_trading_signals_portfolio_analysis_id_fkey;
ALTER TABLE trade_actions DROP CONSTRAINT trade_actions_ai_signal_id_fkey;
ALTER TABLE recommendations DROP CONSTRAINT recommendations_ai_trading_signal_id_fkey;

-- ---------------------------------------------------------------------------
-- user_id on the per-user child tables, backfilled from the parent (parents first)
-- ---------------------------------------------------------------------------
ALTER TABLE portfolio_assets ADD COLUMN user_id bigint;
UPDATE portfolio_assets c SET user_id = p.user_id FROM portfolios p WHERE p.id = c.portfolio_id;
ALTER TABLE portfolio_assets ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE trade_actions ADD COLUMN user_id bigint;
UPDATE trade_actions c SET user_id = p.user_id FROM portfolio_assets p WHERE p.id = c.portfolio_asset_id;
ALTER TABLE trade_actions ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE watchlist_assets ADD COLUMN user_id bigint;
UPDATE watchlist_assets c SET user_id = p.user_id FROM watchlists p WHERE p.id = c.watchlist_id;
ALTER TABLE watchlist_assets ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE ai_watchlist_analysis ADD COLUMN user_id bigint;
UPDATE ai_watchlist_analysis c SET user_id = p.user_id FROM watchlists p WHERE p.id = c.watchlist_id;
ALTER TABLE ai_watchlist_analysis ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE ai_portfolio_analysis ADD COLUMN user_id bigint;
UPDATE ai_portfolio_analysis c SET user_id = p.user_id FROM portfolios p WHERE p.id = c.portfolio_id;
ALTER TABLE ai_portfolio_analysis ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE ai_portfolio_asset_analysis ADD COLUMN user_id bigint;
UPDATE ai_portfolio_asset_analysis c SET user_id = p.user_id FROM portfolio_assets p WHERE p.id = c.portfolio_asset_id;
ALTER TABLE ai_portfolio_asset_analysis ALTER COLUMN user_id SET NOT NULL;

COMMENT ON COLUMN portfolio_assets.user_id IS $$Owner of the position: the owner of its portfolio (enforced by portfolio_assets_portfolio_id_fkey on (user_id, portfolio_id)); distribution column on Citus$$;
COMMENT ON COLUMN trade_actions.user_id IS $$Owner of the trade action: the owner of its portfolio position (enforced by trade_actions_portfolio_asset_id_fkey on (user_id, portfolio_asset_id)); distribution column on Citus$$;
COMMENT ON COLUMN watchlist_assets.user_id IS $$Owner of the entry: the owner of its watchlist, the system user (0) for default watchlists (enforced by watchlist_assets_watchlist_id_fkey on (user_id, watchlist_id)); distribution column on Citus$$;
COMMENT ON COLUMN ai_watchlist_analysis.user_id IS $$Owner of the analysed watchlist, the system user (0) for default watchlists (enforced by ai_watchlist_analysis_watchlist_id_fkey on (user_id, watchlist_id)); distribution column on Citus$$;
COMMENT ON COLUMN ai_portfolio_analysis.user_id IS $$Owner of the analysed portfolio (enforced by ai_portfolio_analysis_portfolio_id_fkey on (user_id, portfolio_id)); distribution column on Citus$$;
COMMENT ON COLUMN ai_portfolio_asset_analysis.user_id IS $$Owner of the analysed position (enforced by ai_portfolio_asset_analysis_portfolio_asset_id_fkey on (user_id, portfolio_asset_id)); distribution column on Citus$$;

-- ---------------------------------------------------------------------------
-- Primary keys that include the distribution column (names kept)
-- ---------------------------------------------------------------------------
ALTER TABLE portfolios DROP CONSTRAINT portfolios_pkey,
    ADD CONSTRAINT portfolios_pkey PRIMARY KEY (id, user_id);
ALTER TABLE portfolio_assets DROP CONSTRAINT portfolio_assets_pkey,
    ADD CONSTRAINT portfolio_assets_pkey PRIMARY KEY (id, user_id);
ALTER TABLE trade_actions DROP CONSTRAINT trade_actions_pkey,
    ADD CONSTRAINT trade_actions_pkey PRIMARY KEY (id, user_id);
ALTER TABLE watchlists DROP CONSTRAINT watchlists_pkey,
    ADD CONSTRAINT watchlists_pkey PRIMARY KEY (id, user_id);
ALTER TABLE watchlist_assets DROP CONSTRAINT watchlist_assets_pkey,
    ADD CONSTRAINT watchlist_assets_pkey PRIMARY KEY (id, user_id);
ALTER TABLE notifications DROP CONSTRAINT notifications_pkey,
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (id, user_id);
ALTER TABLE signal_alerts DROP CONSTRAINT signal_alerts_pkey,
    ADD CONSTRAINT signal_alerts_pkey PRIMARY KEY (id, user_id);
ALTER TABLE user_sessions DROP CONSTRAINT user_sessions_pkey,
    ADD CONSTRAINT user_sessions_pkey PRIMARY KEY (id, user_id);
ALTER TABLE user_activities DROP CONSTRAINT user_activities_pkey,
    ADD CONSTRAINT user_activities_pkey PRIMARY KEY (id, user_id);
ALTER TABLE user_feedback DROP CONSTRAINT user_feedback_pkey,
    ADD CONSTRAINT user_feedback_pkey PRIMARY KEY (id, user_id);
ALTER TABLE ai_watchlist_analysis DROP CONSTRAINT ai_watchlist_analysis_pkey,
    ADD CONSTRAINT ai_watchlist_analysis_pkey PRIMARY KEY (id, user_id);
ALTER TABLE ai_portfolio_analysis DROP CONSTRAINT ai_portfolio_analysis_pkey,
    ADD CONSTRAINT ai_portfolio_analysis_pkey PRIMARY KEY (id, user_id);
ALTER TABLE ai_portfolio_asset_analysis DROP CONSTRAINT ai_portfolio_asset_analysis_pkey,
    ADD CONSTRAINT ai_portfolio_asset_analysis_pkey PRIMARY KEY (id, user_id);
ALTER TABLE ai_trading_signals DROP CONSTRAINT ai_trading_signals_pkey,
    ADD CONSTRAINT ai_trading_signals_pkey PRIMARY KEY (id, asset_id);
ALTER TABLE price_data DROP CONSTRAINT price_data_pkey,
    ADD CONSTRAINT price_data_pkey PRIMARY KEY (id, candle_time, asset_id);
ALTER TABLE price_data_archive DROP CONSTRAINT price_data_archive_pkey,
    ADD CONSTRAINT price_data_archive_pkey PRIMARY KEY (id, candle_time, asset_id);

-- Single-node-only keys: targets of references that cross distribution groups (a signal
-- is per asset, the analyses and trade actions per user), and the global uniqueness of
-- session tokens. schema/citus/distribute.sql drops them together with the foreign keys
-- that use them; on one node they keep enforcing what they enforced before.
ALTER TABLE ai_trading_signals ADD CONSTRAINT ai_trading_signals_id_key UNIQUE (id);
ALTER TABLE ai_watchlist_analysis ADD CONSTRAINT ai_watchlist_analysis_id_key UNIQUE (id);
ALTER TABLE ai_portfolio_analysis ADD CONSTRAINT ai_portfolio_analysis_id_key UNIQUE (id);

COMMENT ON CONSTRAINT ai_trading_signals_id_key ON ai_trading_signals IS
    'Single node only (dropped by schema/citus/distribute.sql): target of trade_actions_ai_signal_id_fkey and recommendations_ai_trading_signal_id_fkey.';
COMMENT ON CONSTRAINT ai_watchlist_analysis_id_key ON ai_watchlist_analysis IS
    'Single node only (dropped by schema/citus/distribute.sql): target of ai_trading_signals_watchlist_analysis_id_fkey.';
COMMENT ON CONSTRAINT ai_portfolio_analysis_id_key ON ai_portfolio_analysis IS
    'Single node only (dropped by schema/citus/distribute.sql): target of ai_trading_signals_portfolio_analysis_id_fkey.';
COMMENT ON CONSTRAINT user_sessions_session_token_key ON user_sessions IS
    'Single node only (replaced by the plain index idx_user_sessions_session_token in schema/citus/distribute.sql: Citus cannot enforce a unique key without user_id).';

-- ---------------------------------------------------------------------------
-- Foreign keys: composite ownership references inside the per-user group, plain ones
-- across groups (names kept)
-- ---------------------------------------------------------------------------
ALTER TABLE portfolio_assets ADD CONSTRAINT portfolio_assets_portfolio_id_fkey
    FOREIGN KEY (user_id, portfolio_id) REFERENCES portfolios (user_id, id);
ALTER TABLE ai_portfolio_analysis ADD CONSTRAINT ai_portfolio_analysis_portfolio_id_fkey
    FOREIGN KEY (user_id, portfolio_id) REFERENCES portfolios (user_id, id);
ALTER TABLE trade_actions ADD CONSTRAINT trade_actions_portfolio_asset_id_fkey
    FOREIGN KEY (user_id, portfolio_asset_id) REFERENCES portfolio_assets (user_id, id);
ALTER TABLE ai_portfolio_asset_analysis ADD CONSTRAINT ai_portfolio_asset_analysis_portfolio_asset_id_fkey
    FOREIGN KEY (user_id, portfolio_asset_id) REFERENCES portfolio_assets (user_id, id);
ALTER TABLE watchlist_assets ADD CONSTRAINT watchlist_assets_watchlist_id_fkey
    FOREIGN KEY (user_id, watchlist_id) REFERENCES watchlists (user_id, id);
ALTER TABLE ai_watchlist_analysis ADD CONSTRAINT ai_watchlist_analysis_watchlist_id_fkey
    FOREIGN KEY (user_id, watchlist_id) REFERENCES watchlists (user_id, id);
ALTER TABLE user_activities ADD CONSTRAINT user_activities_session_id_fkey
    FOREIGN KEY (user_id, session_id) REFERENCES user_sessions (user_id, id);

ALTER TABLE ai_trading_signals ADD CONSTRAINT ai_trading_signals_watchlist_analysis_id_fkey
    FOREIGN KEY (watchlist_analysis_id) REFERENCES ai_watchlist_analysis (id);
ALTER TABLE ai_trading_signals ADD CONSTRAINT ai_trading_signals_portfolio_analysis_id_fkey
    FOREIGN KEY (portfolio_analysis_id) REFERENCES ai_portfolio_analysis (id);
ALTER TABLE trade_actions ADD CONSTRAINT trade_actions_ai_signal_id_fkey
    FOREIGN KEY (ai_signal_id) REFERENCES ai_trading_signals (id);
ALTER TABLE recommendations ADD CONSTRAINT recommendations_ai_trading_signal_id_fkey
    FOREIGN KEY (ai_trading_signal_id) REFERENCES ai_trading_signals (id);

-- ---------------------------------------------------------------------------
-- Sequences instead of identity on the tables that will be distributed. The new
-- sequence <table>_id_seq (owned by the column) continues after both the old identity
-- sequence and the largest stored id, so no id is ever handed out twice.
-- ---------------------------------------------------------------------------
-- Written out per table (no dynamic SQL), so that cerdgen reads every change. For each
-- table: a new sequence under a temporary name starts after the old identity sequence's
-- next value and after the largest stored id; the identity (and its sequence
-- <table>_id_seq) is dropped; the new sequence takes the name <table>_id_seq, is owned by
-- the column and becomes its DEFAULT.

CREATE SEQUENCE portfolios_id_seq_new AS bigint;
SELECT setval('portfolios_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM portfolios_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM portfolios)),
              false);
ALTER TABLE portfolios ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE portfolios_id_seq_new RENAME TO portfolios_id_seq;
ALTER SEQUENCE portfolios_id_seq OWNED BY portfolios.id;
ALTER TABLE portfolios ALTER COLUMN id SET DEFAULT nextval('portfolios_id_seq'::regclass);

CREATE SEQUENCE portfolio_assets_id_seq_new AS bigint;
SELECT setval('portfolio_assets_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM portfolio_assets_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM portfolio_assets)),
              false);
ALTER TABLE portfolio_assets ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE portfolio_assets_id_seq_new RENAME TO portfolio_assets_id_seq;
ALTER SEQUENCE portfolio_assets_id_seq OWNED BY portfolio_assets.id;
ALTER TABLE portfolio_assets ALTER COLUMN id SET DEFAULT nextval('portfolio_assets_id_seq'::regclass);

CREATE SEQUENCE trade_actions_id_seq_new AS bigint;
SELECT setval('trade_actions_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM trade_actions_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM trade_actions)),
              false);
ALTER TABLE trade_actions ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE trade_actions_id_seq_new RENAME TO trade_actions_id_seq;
ALTER SEQUENCE trade_actions_id_seq OWNED BY trade_actions.id;
ALTER TABLE trade_actions ALTER COLUMN id SET DEFAULT nextval('trade_actions_id_seq'::regclass);

CREATE SEQUENCE watchlists_id_seq_new AS bigint;
SELECT setval('watchlists_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM watchlists_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM watchlists)),
              false);
ALTER TABLE watchlists ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE watchlists_id_seq_new RENAME TO watchlists_id_seq;
ALTER SEQUENCE watchlists_id_seq OWNED BY watchlists.id;
ALTER TABLE watchlists ALTER COLUMN id SET DEFAULT nextval('watchlists_id_seq'::regclass);

CREATE SEQUENCE watchlist_assets_id_seq_new AS bigint;
SELECT setval('watchlist_assets_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM watchlist_assets_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM watchlist_assets)),
              false);
ALTER TABLE watchlist_assets ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE watchlist_assets_id_seq_new RENAME TO watchlist_assets_id_seq;
ALTER SEQUENCE watchlist_assets_id_seq OWNED BY watchlist_assets.id;
ALTER TABLE watchlist_assets ALTER COLUMN id SET DEFAULT nextval('watchlist_assets_id_seq'::regclass);

CREATE SEQUENCE notifications_id_seq_new AS bigint;
SELECT setval('notifications_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM notifications_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM notifications)),
              false);
ALTER TABLE notifications ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE notifications_id_seq_new RENAME TO notifications_id_seq;
ALTER SEQUENCE notifications_id_seq OWNED BY notifications.id;
ALTER TABLE notifications ALTER COLUMN id SET DEFAULT nextval('notifications_id_seq'::regclass);

CREATE SEQUENCE signal_alerts_id_seq_new AS bigint;
SELECT setval('signal_alerts_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM signal_alerts_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM signal_alerts)),
              false);
ALTER TABLE signal_alerts ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE signal_alerts_id_seq_new RENAME TO signal_alerts_id_seq;
ALTER SEQUENCE signal_alerts_id_seq OWNED BY signal_alerts.id;
ALTER TABLE signal_alerts ALTER COLUMN id SET DEFAULT nextval('signal_alerts_id_seq'::regclass);

CREATE SEQUENCE user_sessions_id_seq_new AS bigint;
SELECT setval('user_sessions_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM user_sessions_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM user_sessions)),
              false);
ALTER TABLE user_sessions ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE user_sessions_id_seq_new RENAME TO user_sessions_id_seq;
ALTER SEQUENCE user_sessions_id_seq OWNED BY user_sessions.id;
ALTER TABLE user_sessions ALTER COLUMN id SET DEFAULT nextval('user_sessions_id_seq'::regclass);

CREATE SEQUENCE user_activities_id_seq_new AS bigint;
SELECT setval('user_activities_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM user_activities_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM user_activities)),
              false);
ALTER TABLE user_activities ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE user_activities_id_seq_new RENAME TO user_activities_id_seq;
ALTER SEQUENCE user_activities_id_seq OWNED BY user_activities.id;
ALTER TABLE user_activities ALTER COLUMN id SET DEFAULT nextval('user_activities_id_seq'::regclass);

CREATE SEQUENCE user_feedback_id_seq_new AS bigint;
SELECT setval('user_feedback_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM user_feedback_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM user_feedback)),
              false);
ALTER TABLE user_feedback ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE user_feedback_id_seq_new RENAME TO user_feedback_id_seq;
ALTER SEQUENCE user_feedback_id_seq OWNED BY user_feedback.id;
ALTER TABLE user_feedback ALTER COLUMN id SET DEFAULT nextval('user_feedback_id_seq'::regclass);

CREATE SEQUENCE ai_watchlist_analysis_id_seq_new AS bigint;
SELECT setval('ai_watchlist_analysis_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM ai_watchlist_analysis_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM ai_watchlist_analysis)),
              false);
ALTER TABLE ai_watchlist_analysis ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE ai_watchlist_analysis_id_seq_new RENAME TO ai_watchlist_analysis_id_seq;
ALTER SEQUENCE ai_watchlist_analysis_id_seq OWNED BY ai_watchlist_analysis.id;
ALTER TABLE ai_watchlist_analysis ALTER COLUMN id SET DEFAULT nextval('ai_watchlist_analysis_id_seq'::regclass);

CREATE SEQUENCE ai_portfolio_analysis_id_seq_new AS bigint;
SELECT setval('ai_portfolio_analysis_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM ai_portfolio_analysis_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM ai_portfolio_analysis)),
              false);
ALTER TABLE ai_portfolio_analysis ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE ai_portfolio_analysis_id_seq_new RENAME TO ai_portfolio_analysis_id_seq;
ALTER SEQUENCE ai_portfolio_analysis_id_seq OWNED BY ai_portfolio_analysis.id;
ALTER TABLE ai_portfolio_analysis ALTER COLUMN id SET DEFAULT nextval('ai_portfolio_analysis_id_seq'::regclass);

CREATE SEQUENCE ai_portfolio_asset_analysis_id_seq_new AS bigint;
SELECT setval('ai_portfolio_asset_analysis_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM ai_portfolio_asset_analysis_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM ai_portfolio_asset_analysis)),
              false);
ALTER TABLE ai_portfolio_asset_analysis ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE ai_portfolio_asset_analysis_id_seq_new RENAME TO ai_portfolio_asset_analysis_id_seq;
ALTER SEQUENCE ai_portfolio_asset_analysis_id_seq OWNED BY ai_portfolio_asset_analysis.id;
ALTER TABLE ai_portfolio_asset_analysis ALTER COLUMN id SET DEFAULT nextval('ai_portfolio_asset_analysis_id_seq'::regclass);

CREATE SEQUENCE ai_trading_signals_id_seq_new AS bigint;
SELECT setval('ai_trading_signals_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM ai_trading_signals_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM ai_trading_signals)),
              false);
ALTER TABLE ai_trading_signals ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE ai_trading_signals_id_seq_new RENAME TO ai_trading_signals_id_seq;
ALTER SEQUENCE ai_trading_signals_id_seq OWNED BY ai_trading_signals.id;
ALTER TABLE ai_trading_signals ALTER COLUMN id SET DEFAULT nextval('ai_trading_signals_id_seq'::regclass);

CREATE SEQUENCE price_data_id_seq_new AS bigint;
SELECT setval('price_data_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM price_data_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM price_data)),
              false);
ALTER TABLE price_data ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE price_data_id_seq_new RENAME TO price_data_id_seq;
ALTER SEQUENCE price_data_id_seq OWNED BY price_data.id;
ALTER TABLE price_data ALTER COLUMN id SET DEFAULT nextval('price_data_id_seq'::regclass);

CREATE SEQUENCE price_data_archive_id_seq_new AS bigint;
SELECT setval('price_data_archive_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM price_data_archive_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM price_data_archive)),
              false);
ALTER TABLE price_data_archive ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE price_data_archive_id_seq_new RENAME TO price_data_archive_id_seq;
ALTER SEQUENCE price_data_archive_id_seq OWNED BY price_data_archive.id;
ALTER TABLE price_data_archive ALTER COLUMN id SET DEFAULT nextval('price_data_archive_id_seq'::regclass);

CREATE SEQUENCE api_request_logs_id_seq_new AS bigint;
SELECT setval('api_request_logs_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM api_request_logs_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM api_request_logs)),
              false);
ALTER TABLE api_request_logs ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE api_request_logs_id_seq_new RENAME TO api_request_logs_id_seq;
ALTER SEQUENCE api_request_logs_id_seq OWNED BY api_request_logs.id;
ALTER TABLE api_request_logs ALTER COLUMN id SET DEFAULT nextval('api_request_logs_id_seq'::regclass);

CREATE SEQUENCE external_api_logs_id_seq_new AS bigint;
SELECT setval('external_api_logs_id_seq_new',
              greatest((SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM external_api_logs_id_seq),
                       (SELECT coalesce(max(id), 0) + 1 FROM external_api_logs)),
              false);
ALTER TABLE external_api_logs ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE external_api_logs_id_seq_new RENAME TO external_api_logs_id_seq;
ALTER SEQUENCE external_api_logs_id_seq OWNED BY external_api_logs.id;
ALTER TABLE external_api_logs ALTER COLUMN id SET DEFAULT nextval('external_api_logs_id_seq'::regclass);

-- ---------------------------------------------------------------------------
-- Row-level security without subqueries: child tables compare their own user_id
-- ---------------------------------------------------------------------------
ALTER POLICY portfolio_assets_owner ON portfolio_assets
    USING (user_id = current_app_user_id())
    WITH CHECK (user_id = current_app_user_id());

ALTER POLICY trade_actions_owner ON trade_actions
    USING (user_id = current_app_user_id())
    WITH CHECK (user_id = current_app_user_id());

-- The entries of a watchlist follow the watchlist's rules: the system's (default) ones
-- are read by everyone and changed only by roles that bypass RLS.
ALTER TABLE watchlist_assets ENABLE ROW LEVEL SECURITY;
CREATE POLICY watchlist_assets_read ON watchlist_assets FOR SELECT
    USING (user_id = 0 OR user_id = current_app_user_id());
CREATE POLICY watchlist_assets_insert ON watchlist_assets FOR INSERT
    WITH CHECK (user_id <> 0 AND user_id = current_app_user_id());
CREATE POLICY watchlist_assets_update ON watchlist_assets FOR UPDATE
    USING (user_id <> 0 AND user_id = current_app_user_id())
    WITH CHECK (user_id <> 0 AND user_id = current_app_user_id());
CREATE POLICY watchlist_assets_delete ON watchlist_assets FOR DELETE
    USING (user_id <> 0 AND user_id = current_app_user_id());

-- ---------------------------------------------------------------------------
-- Audit that works per node: the logical table name is the trigger's argument (on a
-- Citus shard TG_TABLE_NAME is the shard's name), and the function reads nothing but the
-- session's user id, so it never runs a query on another (distributed) table.
-- changed_by is what app.current_user_id claims; it is no longer checked against users,
-- so the foreign key goes (a per-node audit table cannot reference a reference table,
-- and an audit trail keeps the acting id after the user is deleted).
-- ---------------------------------------------------------------------------
ALTER TABLE audit_log DROP CONSTRAINT audit_log_changed_by_fkey;

COMMENT ON COLUMN audit_log.changed_by IS $$User on whose behalf the change was made (app.current_user_id as set by the session, not checked against users), NULL when unset.$$;
COMMENT ON COLUMN audit_log.table_name IS $$Logical table whose row changed (the trigger's argument; never a Citus shard name).$$;

CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    secrets constant text[] := ARRAY['password_hash', 'reset_password_token',
                                     'email_verification_token'];
BEGIN
    INSERT INTO audit_log (table_name, operation, old_values, new_values, changed_by)
    VALUES (coalesce(TG_ARGV[0], TG_TABLE_NAME), TG_OP,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - secrets END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - secrets END,
            current_app_user_id());
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION audit_row_change() IS
    'AFTER row trigger: records the change in the audit_log of the node that holds the row, under the logical table name given as the trigger argument (TG_TABLE_NAME when absent).';

DROP TRIGGER trg_users_audit ON users;
DROP TRIGGER trg_portfolios_audit ON portfolios;
DROP TRIGGER trg_portfolio_assets_audit ON portfolio_assets;
DROP TRIGGER trg_trade_actions_audit ON trade_actions;
DROP TRIGGER trg_watchlists_audit ON watchlists;

CREATE TRIGGER trg_users_audit AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('users');
CREATE TRIGGER trg_portfolios_audit AFTER INSERT OR UPDATE OR DELETE ON portfolios
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('portfolios');
CREATE TRIGGER trg_portfolio_assets_audit AFTER INSERT OR UPDATE OR DELETE ON portfolio_assets
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('portfolio_assets');
CREATE TRIGGER trg_trade_actions_audit AFTER INSERT OR UPDATE OR DELETE ON trade_actions
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('trade_actions');
CREATE TRIGGER trg_watchlists_audit AFTER INSERT OR UPDATE OR DELETE ON watchlists
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('watchlists');

-- ---------------------------------------------------------------------------
-- Archive flow: whole months of price_data move into price_data_archive
-- ---------------------------------------------------------------------------
-- Every monthly partition of price_data whose upper bound is at or before `before`
-- (read as UTC midnight) is, month by month in ascending order: given its archive
-- partition (created if missing), detached from price_data, copied into
-- price_data_archive, checked (rows copied = rows in the partition; count and the sums of
-- open/high/low/close/volume of the archive month grew by exactly the partition's), then
-- dropped. Any difference raises, and since everything runs in the caller's transaction
-- nothing of the call is kept. Returns the number of rows moved.
-- Not touched: the DEFAULT partition (rows of months without a partition); a NOTICE says
-- how many of its rows are older than `before`. After the call, candles inserted for an
-- archived month land in price_data_default.
-- Takes ACCESS EXCLUSIVE on price_data for the detach (plain DETACH: CONCURRENTLY cannot
-- run in a transaction); run it off-peak.
CREATE FUNCTION archive_price_data_months(before date) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    cutoff    timestamptz;
    part      record;
    lo        timestamptz;
    hi        timestamptz;
    arch_part regclass;
    cols      constant text := 'id, asset_id, timeframe, open_price, high_price, low_price, close_price, volume, market_cap, trade_count, vwap, technical_indicators, candle_time, is_validated, created_at, updated_at';
    src       record;
    a_before  record;
    a_after   record;
    copied    bigint;
    moved     bigint := 0;
    stray     bigint;
BEGIN
    IF before IS NULL THEN
        RAISE EXCEPTION 'archive_price_data_months: before must not be NULL';
    END IF;
    cutoff := (to_char(before, 'YYYY-MM-DD') || ' 00:00:00+00')::timestamptz;

    FOR part IN
        SELECT c.oid::regclass AS rel, c.relname,
               (regexp_match(pg_get_expr(c.relpartbound, c.oid),
                             'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)')) AS b
          FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'price_data'::regclass
           AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
         ORDER BY (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz
    LOOP
        lo := part.b[1]::timestamptz;
        hi := part.b[2]::timestamptz;
        CONTINUE WHEN hi > cutoff;
        IF lo <> date_trunc('month', lo AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
           OR hi <> (date_trunc('month', lo AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC' THEN
            RAISE EXCEPTION 'archive_price_data_months: partition % is not one whole UTC month (% .. %)',
                part.rel, lo, hi;
        END IF;

        PERFORM create_monthly_partitions('price_data_archive', (lo AT TIME ZONE 'UTC')::date,
                                          (hi AT TIME ZONE 'UTC')::date);
        arch_part := format('%I.%I',
                            (SELECT nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid
                              WHERE c.oid = 'price_data_archive'::regclass),
                            'price_data_archive' || to_char(lo AT TIME ZONE 'UTC', '"_y"YYYY"m"MM'))::regclass;

        EXECUTE format('ALTER TABLE price_data DETACH PARTITION %s', part.rel);

        EXECUTE format('SELECT count(*) AS n, coalesce(sum(open_price), 0) AS o, coalesce(sum(high_price), 0) AS h, '
                       'coalesce(sum(low_price), 0) AS l, coalesce(sum(close_price), 0) AS c, '
                       'coalesce(sum(volume), 0) AS v FROM %s', part.rel) INTO src;
        EXECUTE format('SELECT count(*) AS n, coalesce(sum(open_price), 0) AS o, coalesce(sum(high_price), 0) AS h, '
                       'coalesce(sum(low_price), 0) AS l, coalesce(sum(close_price), 0) AS c, '
                       'coalesce(sum(volume), 0) AS v FROM %s', arch_part) INTO a_before;

        EXECUTE format('INSERT INTO price_data_archive (%s) SELECT %s FROM %s', cols, cols, part.rel);
        GET DIAGNOSTICS copied = ROW_COUNT;

        EXECUTE format('SELECT count(*) AS n, coalesce(sum(open_price), 0) AS o, coalesce(sum(high_price), 0) AS h, '
                       'coalesce(sum(low_price), 0) AS l, coalesce(sum(close_price), 0) AS c, '
                       'coalesce(sum(volume), 0) AS v FROM %s', arch_part) INTO a_after;

        IF copied <> src.n
           OR a_after.n - a_before.n <> src.n
           OR a_after.o - a_before.o <> src.o OR a_after.h - a_before.h <> src.h
           OR a_after.l - a_before.l <> src.l OR a_after.c - a_before.c <> src.c
           OR a_after.v - a_before.v <> src.v THEN
            RAISE EXCEPTION 'archive_price_data_months: % does not match its copy in % (rows % / copied % / archive grew by %)',
                part.rel, arch_part, src.n, copied, a_after.n - a_before.n;
        END IF;

        EXECUTE format('DROP TABLE %s', part.rel);
        moved := moved + src.n;
        RAISE NOTICE 'archive_price_data_months: % -> % (% rows)', part.relname, arch_part, src.n;
    END LOOP;

    SELECT count(*) INTO stray FROM price_data_default WHERE candle_time < cutoff;
    IF stray > 0 THEN
        RAISE NOTICE 'archive_price_data_months: % rows older than % stay in price_data_default (no monthly partition)',
            stray, before;
    END IF;
    RETURN moved;
END
$$;

COMMENT ON FUNCTION archive_price_data_months(date) IS
    'Moves every whole monthly partition of price_data that ends at or before the given date (UTC) into price_data_archive: detach, copy, check counts and sums, drop; raises (nothing kept) on any difference. Returns the rows moved.';

-- Privileges on the sequences created above (001's roles, when they exist).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['cryptoerd_app', 'cryptoerd_admin'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', r);
        END IF;
    END LOOP;
END
$$;
