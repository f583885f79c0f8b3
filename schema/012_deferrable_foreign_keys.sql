-- 012_deferrable_foreign_keys: every foreign key becomes DEFERRABLE INITIALLY IMMEDIATE.
--
-- Nothing changes for a statement that does not ask: an INITIALLY IMMEDIATE foreign key is
-- checked at the end of each statement, as before. What it allows is
-- `SET CONSTRAINTS ALL DEFERRED` in a transaction, which the library's COPY writer issues in
-- the transaction of its own (lib/ops/copy.c): the checks then run at COMMIT, after the
-- COPY statement has released its multi-insert buffers. PostgreSQL 15 runs a COPY's queued
-- checks while those buffers still pin one tuple descriptor per buffered row, and in some
-- backends every check then probes along those pins: 1,000,000 candles cost 16-34 s of
-- server CPU in such a backend against 11-12 s with the checks deferred
-- (docs/benchmarks.md, "COPY: the variable server cost explained").
--
-- The foreign keys of partitions are the parent's (conparentid <> 0): altering the parent's
-- constraint alters them too.
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN
        SELECT c.conrelid::regclass AS tbl, c.conname
        FROM pg_constraint c
        JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE c.contype = 'f' AND n.nspname = current_schema()
          AND c.conparentid = 0 AND NOT c.condeferrable
        ORDER BY c.conrelid::regclass::text, c.conname
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER CONSTRAINT %I DEFERRABLE INITIALLY IMMEDIATE',
                       fk.tbl, fk.conname);
    END LOOP;
END
$$;
