-- 010_row_level_security: each user sees and changes only their own rows.
--
-- The acting user is current_app_user_id() (app.current_user_id, set per transaction by
-- the library). With no user set, user-owned rows are invisible. Policies apply to
-- every role except superusers, the tables' owner and roles with BYPASSRLS
-- (cryptoerd_admin): applications connect as a role granted cryptoerd_app.

-- Tables whose rows carry their owner in user_id.
ALTER TABLE portfolios ENABLE ROW LEVEL SECURITY;
CREATE POLICY portfolios_owner ON portfolios
    USING (user_id = current_app_user_id())
    WITH CHECK (user_id = current_app_user_id());

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY notifications_owner ON notifications
    USING (user_id = current_app_user_id())
    WITH CHECK (user_id = current_app_user_id());

ALTER TABLE signal_alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY signal_alerts_owner ON signal_alerts
    USING (user_id = current_app_user_id())
    WITH CHECK (user_id = current_app_user_id());

ALTER TABLE user_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_sessions_owner ON user_sessions
    USING (user_id = current_app_user_id())
    WITH CHECK (user_id = current_app_user_id());

ALTER TABLE user_activities ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_activities_owner ON user_activities
    USING (user_id = current_app_user_id())
    WITH CHECK (user_id = current_app_user_id());

ALTER TABLE user_feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_feedback_owner ON user_feedback
    USING (user_id = current_app_user_id())
    WITH CHECK (user_id = current_app_user_id());

-- A portfolio's positions and their trade actions belong to the portfolio's owner.
ALTER TABLE portfolio_assets ENABLE ROW LEVEL SECURITY;
CREATE POLICY portfolio_assets_owner ON portfolio_assets
    USING (EXISTS (SELECT 1 FROM portfolios p
                    WHERE p.id = portfolio_id AND p.user_id = current_app_user_id()))
    WITH CHECK (EXISTS (SELECT 1 FROM portfolios p
                         WHERE p.id = portfolio_id AND p.user_id = current_app_user_id()));

ALTER TABLE trade_actions ENABLE ROW LEVEL SECURITY;
CREATE POLICY trade_actions_owner ON trade_actions
    USING (EXISTS (SELECT 1 FROM portfolio_assets pa JOIN portfolios p ON p.id = pa.portfolio_id
                    WHERE pa.id = portfolio_asset_id AND p.user_id = current_app_user_id()))
    WITH CHECK (EXISTS (SELECT 1 FROM portfolio_assets pa JOIN portfolios p ON p.id = pa.portfolio_id
                         WHERE pa.id = portfolio_asset_id AND p.user_id = current_app_user_id()));

-- Personal watchlists belong to their user; the system's default watchlists are read by
-- everyone and changed only by roles that bypass RLS.
ALTER TABLE watchlists ENABLE ROW LEVEL SECURITY;
CREATE POLICY watchlists_read ON watchlists FOR SELECT
    USING (watchlist_type = 'default' OR user_id = current_app_user_id());
CREATE POLICY watchlists_insert ON watchlists FOR INSERT
    WITH CHECK (watchlist_type = 'personal' AND user_id = current_app_user_id());
CREATE POLICY watchlists_update ON watchlists FOR UPDATE
    USING (watchlist_type = 'personal' AND user_id = current_app_user_id())
    WITH CHECK (watchlist_type = 'personal' AND user_id = current_app_user_id());
CREATE POLICY watchlists_delete ON watchlists FOR DELETE
    USING (watchlist_type = 'personal' AND user_id = current_app_user_id());

-- Privileges for the roles of 001, when they could be created there. audit_log and the
-- migration history are read-only for the application: only the audit trigger and the
-- migration runner write them.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['cryptoerd_app', 'cryptoerd_admin'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', r);
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', r);
            EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', r);
            EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON audit_log FROM %I', r);
            IF to_regclass('cerd_schema_migrations') IS NOT NULL THEN
                EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON cerd_schema_migrations FROM %I', r);
            END IF;
        END IF;
    END LOOP;
END
$$;
