-- 001_foundation: roles and functions every later migration uses.

-- Roles for row-level security. cryptoerd_app is what application logins are granted:
-- subject to RLS. cryptoerd_admin bypasses RLS. Roles are cluster-wide, so they are
-- created only when missing, and skipped (with a notice) when the migrating user may
-- not create roles; policies apply to PUBLIC and do not depend on them.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cryptoerd_app') THEN
        CREATE ROLE cryptoerd_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cryptoerd_admin') THEN
        CREATE ROLE cryptoerd_admin NOLOGIN BYPASSRLS;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'cryptoerd: roles cryptoerd_app/cryptoerd_admin not created (%)', SQLERRM;
END
$$;

-- The user on whose behalf the current transaction acts, as set by the library with
-- set_config('app.current_user_id', id, true). NULL when unset.
CREATE FUNCTION current_app_user_id() RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.current_user_id', true), '')::bigint $$;

COMMENT ON FUNCTION current_app_user_id() IS
    'User id from app.current_user_id (transaction-local), or NULL when unset.';

-- Keeps updated_at current on every UPDATE (trigger trg_<table>_updated_at).
CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION set_updated_at() IS
    'BEFORE UPDATE trigger function: sets NEW.updated_at to the transaction time.';
