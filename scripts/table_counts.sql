-- Rows per table (used by scripts/demo.sh after seeding): exact counts, largest first.
\pset footer off
SELECT c.relname AS "table",
       (xpath('/row/n/text()',
              query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname),
                           false, true, '')))[1]::text::bigint AS "rows"
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND c.relname <> 'cerd_schema_migrations'
 ORDER BY 2 DESC, 1;
