/* Monthly partitions and the archive flow (partitions.h): thin wrappers over the schema's
   create_monthly_partitions() and archive_price_data_months(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn/conn_internal.h"
#include "util/error_internal.h"
#include "cryptoerd/partitions.h"

int cerd_month_parse(cerd_month *out, const char *text)
{
    int y = 0, m = 0;

    if (!out || !text)
        return cerd__error(CERD_EMISUSE, "month: NULL argument");
    for (int i = 0; i < 7; i++) {
        char ch = text[i];
        if (i == 4 ? ch != '-' : (ch < '0' || ch > '9'))
            return cerd__error(CERD_EINVALID, "month \"%s\": expected YYYY-MM", text);
        if (i < 4)
            y = y * 10 + (ch - '0');
        else if (i > 4)
            m = m * 10 + (ch - '0');
    }
    if (text[7] || y < 1 || m < 1 || m > 12)
        return cerd__error(CERD_EINVALID, "month \"%s\": expected YYYY-MM (month 01..12)", text);
    out->year = y;
    out->month = m;
    return 0;
}

static int month_ok(cerd_month m)
{
    return m.year >= 1 && m.year <= 9999 && m.month >= 1 && m.month <= 12;
}

static void month_text(char buf[16], cerd_month m)
{
    snprintf(buf, 16, "%04d-%02d-01", m.year, m.month);
}

static int exec_params(PGresult **out, cerd_conn *conn, const char *sql, int n,
                       const char *const *params, const char *what)
{
    PGresult *res = cerd__pq_exec_params(conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        int rc = cerd__conn_error(conn, res, what);
        PQclear(res);
        return rc;
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

int cerd_partitions_create(int *created, cerd_conn *conn, const char *table, cerd_month from,
                           cerd_month to)
{
    char a[16], b[16];
    cerd_month next = to;
    const char *params[3] = {table, a, b};
    PGresult *res = NULL;
    int rc;

    if (created)
        *created = 0;
    if (!conn || !table)
        return cerd__error(CERD_EMISUSE, "partitions create: NULL argument");
    if (!month_ok(from) || !month_ok(to) || to.year * 12 + to.month < from.year * 12 + from.month)
        return cerd__error(CERD_EMISUSE, "partitions create: the last month is before the first");
    if (++next.month > 12) {
        next.month = 1;
        next.year++;
    }
    month_text(a, from);
    month_text(b, next);
    if ((rc = exec_params(&res, conn, "SELECT create_monthly_partitions($1::regclass, $2::date, $3::date)",
                          3, params, "partitions create")))
        return rc;
    if (created)
        *created = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* Every partition of the table (its name already checked) with exact counts, in one
   statement; months before `before` only when before is not NULL. */
static int list_parts(cerd_partition_list *out, cerd_conn *conn, const char *table,
                      const char *before)
{
    char *ident = PQescapeIdentifier(conn->pg, table, strlen(table));
    char sql[2048];
    const char *params[2] = {table, before};
    PGresult *res = NULL;
    int rc, n;

    if (!ident)
        return cerd__error(CERD_ENOMEM, "partitions: quoting the table name");
    snprintf(sql, sizeof sql,
             "WITH parts AS ("
             " SELECT c.oid, c.relname::text AS name, pg_get_expr(c.relpartbound, c.oid) AS bound"
             " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
             " WHERE i.inhparent = $1::regclass),"
             " counts AS (SELECT tableoid AS oid, count(*) AS n FROM %s GROUP BY 1),"
             " named AS (SELECT p.name, p.bound = 'DEFAULT' AS dflt,"
             "  CASE WHEN p.bound <> 'DEFAULT' THEN (regexp_match(p.bound,"
             "   'FROM \\(''([^'']+)''\\)'))[1]::timestamptz END AS lo, coalesce(c.n, 0) AS n"
             "  FROM parts p LEFT JOIN counts c USING (oid))"
             " SELECT name, dflt, coalesce(to_char(lo AT TIME ZONE 'UTC', 'YYYY-MM'), ''), n"
             " FROM named WHERE $2::timestamptz IS NULL OR (NOT dflt AND lo < $2::timestamptz)"
             " ORDER BY dflt, lo",
             ident);
    PQfreemem(ident);
    if ((rc = exec_params(&res, conn, sql, 2, params, "partitions list")))
        return rc;
    n = PQntuples(res);
    out->items = calloc(n ? (size_t)n : 1, sizeof *out->items);
    if (!out->items) {
        PQclear(res);
        return cerd__error(CERD_ENOMEM, "partitions list");
    }
    for (int r = 0; r < n; r++) {
        cerd_partition *p = &out->items[r];
        snprintf(p->name, sizeof p->name, "%s", PQgetvalue(res, r, 0));
        p->is_default = PQgetvalue(res, r, 1)[0] == 't';
        if (!p->is_default)
            sscanf(PQgetvalue(res, r, 2), "%d-%d", &p->month.year, &p->month.month);
        p->rows = strtoll(PQgetvalue(res, r, 3), NULL, 10);
    }
    out->count = (size_t)n;
    PQclear(res);
    return 0;
}

int cerd_partitions_list(cerd_partition_list *out, cerd_conn *conn, const char *table)
{
    if (!out || !conn || !table)
        return cerd__error(CERD_EMISUSE, "partitions list: NULL argument");
    memset(out, 0, sizeof *out);
    return list_parts(out, conn, table, NULL);
}

void cerd_partitions_free(cerd_partition_list *list)
{
    if (!list)
        return;
    free(list->items);
    memset(list, 0, sizeof *list);
}

int cerd_partitions_archive(cerd_partition_list *moved, int64_t *rows, cerd_conn *conn,
                            cerd_month before)
{
    cerd_partition_list parts = {0};
    char day[16];
    const char *params[1] = {day};
    PGresult *res = NULL;
    int rc;

    if (rows)
        *rows = 0;
    if (moved)
        memset(moved, 0, sizeof *moved);
    if (!conn || !month_ok(before))
        return cerd__error(CERD_EMISUSE, "partitions archive: NULL connection or bad month");
    if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "partitions archive: a transaction is open on this connection");
    month_text(day, before);
    if ((rc = cerd_conn_begin(conn)))
        return rc;
    /* Writers wait from here on, so the counts listed are the rows moved; readers go on. */
    rc = cerd__exec(conn, "LOCK TABLE price_data IN SHARE ROW EXCLUSIVE MODE",
                    "partitions archive: locking price_data", NULL);
    if (!rc)
        rc = list_parts(&parts, conn, "price_data", day);
    if (!rc)
        rc = exec_params(&res, conn, "SELECT archive_price_data_months($1::date)", 1, params,
                         "partitions archive");
    if (!rc) {
        int64_t total = strtoll(PQgetvalue(res, 0, 0), NULL, 10), listed = 0;
        PQclear(res);
        for (size_t i = 0; i < parts.count; i++)
            listed += parts.items[i].rows;
        if (listed != total)
            rc = cerd__error(CERD_ERROR,
                             "partitions archive: archive_price_data_months moved %lld rows, "
                             "the months listed held %lld",
                             (long long)total, (long long)listed);
        else
            rc = cerd_conn_commit(conn);
        if (!rc && rows)
            *rows = total;
    }
    if (rc) {
        cerd_conn_rollback(conn);
        cerd_partitions_free(&parts);
        return rc;
    }
    if (moved)
        *moved = parts;
    else
        cerd_partitions_free(&parts);
    return 0;
}
