-- What the migrated database holds, table by table (used by scripts/demo.sh).
\pset footer off
SELECT c.relname AS "table",
       (SELECT count(*) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'c') AS checks,
       (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f') AS foreign_keys,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) AS indexes,
       CASE WHEN c.relrowsecurity THEN 'yes' ELSE '' END AS row_security,
       (SELECT count(*) FROM pg_inherits h WHERE h.inhparent = c.oid) AS partitions
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND c.relname <> 'cerd_schema_migrations'
 ORDER BY c.relname;

SELECT version, name, applied_at FROM cerd_schema_migrations ORDER BY version;
