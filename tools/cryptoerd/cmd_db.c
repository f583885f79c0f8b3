/* cryptoerd migrate, seed, dump, partitions and distribute (see help.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cli.h"

/* The common start of every option loop: --help, --dsn, --quiet. */
#define COMMON_OPTION(c, help_name)                                                      \
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {                          \
        cli_help(help_name);                                                             \
        return 0;                                                                        \
    }                                                                                    \
    if ((r = cli_common_option(&c, argc, argv, &i)) < 0)                                 \
        return EXIT_USAGE;                                                               \
    if (r)                                                                               \
        continue;

int cmd_migrate(int argc, char **argv)
{
    cli_common c = {"migrate", NULL, false};
    bool status = false;
    cerd_conn *conn = NULL;
    int r, rc, applied = 0, exit_code = 0;

    for (int i = 1; i < argc; i++) {
        COMMON_OPTION(c, "migrate")
        if (!strcmp(argv[i], "--status"))
            status = true;
        else
            return cli_usage(&c, "unexpected argument %s", argv[i]);
    }
    if ((r = cli_connect(&conn, &c)))
        return r;
    if (status) {
        cerd_migration_state *s = NULL;
        size_t n = 0;
        if ((rc = cerd_migration_status(&s, &n, conn))) {
            exit_code = cli_fail(&c, rc);
        } else {
            for (size_t k = 0; k < n; k++) {
                const char *state = !s[k].embedded ? "unknown"
                                    : !s[k].applied ? "pending"
                                    : strcmp(s[k].checksum, s[k].recorded_checksum) ? "changed"
                                                                                    : "applied";
                printf("%s\t%s\t%s\t%s\t%s\n", s[k].name, state,
                       s[k].checksum[0] ? s[k].checksum : "-",
                       s[k].recorded_checksum[0] ? s[k].recorded_checksum : "-",
                       s[k].applied_at[0] ? s[k].applied_at : "-");
                if (!strcmp(state, "changed") || !strcmp(state, "unknown"))
                    exit_code = EXIT_SOME_INVALID;
            }
            free(s);
        }
    } else if ((rc = cerd_migrate(&applied, conn))) {
        exit_code = cli_fail(&c, rc);
    } else {
        printf("{\"applied\":%d,\"migrations\":%zu}\n", applied, cerd_migration_count());
        if (!c.quiet)
            fprintf(stderr, "cryptoerd migrate: %d migration(s) applied\n", applied);
    }
    cerd_conn_free(conn);
    return exit_code;
}

int cmd_seed(int argc, char **argv)
{
    cli_common c = {"seed", NULL, false};
    const char *preset = NULL, *scale_s = NULL, *seed_s = NULL, *path = NULL;
    unsigned long scale = 1;
    unsigned long long seed = 0;
    cerd_conn *conn = NULL;
    cli_progress p;
    int64_t rows = 0;
    int r, rc, exit_code = 0;

    for (int i = 1; i < argc; i++) {
        COMMON_OPTION(c, "seed")
        if ((r = cli_value(argc, argv, &i, "--preset", "-p", &preset)) ||
            (r = cli_value(argc, argv, &i, "--scale", NULL, &scale_s)) ||
            (r = cli_value(argc, argv, &i, "--seed", NULL, &seed_s))) {
            if (r < 0)
                return EXIT_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage(&c, "unknown option %s", argv[i]);
        } else if (path) {
            return cli_usage(&c, "more than one fixture path (%s)", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (path && (preset || scale_s || seed_s))
        return cli_usage(&c, "a fixture path and --preset/--scale/--seed exclude each other");
    if (scale_s) {
        char *end;
        errno = 0;
        scale = strtoul(scale_s, &end, 10);
        if (*end || errno || scale < 1 || scale > 100000)
            return cli_usage(&c, "--scale takes an integer from 1 to 100000, not \"%s\"", scale_s);
    }
    if (seed_s) {
        char *end;
        errno = 0;
        seed = strtoull(seed_s, &end, 10);
        if (*end || errno || !*seed_s || *seed_s == '-')
            return cli_usage(&c, "--seed takes a non-negative integer, not \"%s\"", seed_s);
    }
    if (!path) {
        bool known = false;
        if (!preset)
            preset = "demo";
        for (size_t k = 0; cerd_seed_preset_name(k); k++)
            known |= !strcmp(cerd_seed_preset_name(k), preset);
        if (!known)
            return cli_usage(&c, "no preset named \"%s\" (cryptoerd seed --help lists them)", preset);
    }
    if ((r = cli_connect(&conn, &c)))
        return r;
    cli_progress_start(&p, &c, "seed");
    if (path) {
        cerd_fixture_set *set = NULL;
        cerd_fixture_load_options lo = CERD_FIXTURE_LOAD_OPTIONS_INIT;
        cerd_fixture_result res = {0};
        lo.progress = cli_progress_cb;
        lo.progress_arg = &p;
        if (!(rc = cerd_fixture_set_new(&set)) && !(rc = cerd_fixture_set_add_path(set, path)) &&
            !(rc = cerd_fixture_set_resolve(set)))
            rc = cerd_fixture_load(&res, conn, set, &lo);
        cerd_fixture_set_free(set);
        rows = res.rows + res.parents_created;
    } else {
        cerd_seed_options so = CERD_SEED_OPTIONS_INIT;
        so.preset = preset;
        so.scale = (unsigned)scale;
        so.seed = seed;
        so.progress = cli_progress_cb;
        so.progress_arg = &p;
        rc = cerd_seed(&rows, conn, &so);
    }
    cli_progress_end(&p);
    if (rc)
        exit_code = cli_fail(&c, rc);
    else
        printf("{\"rows\":%lld}\n", (long long)rows);
    cerd_conn_free(conn);
    return exit_code;
}

int cmd_dump(int argc, char **argv)
{
    cli_common c = {"dump", NULL, false};
    const char *outpath = NULL, *v;
    const char **tables = calloc((size_t)argc, sizeof *tables);
    cerd_fixture_root *roots = calloc((size_t)argc, sizeof *roots);
    char **root_tables = calloc((size_t)argc, sizeof *root_tables);
    size_t ntables = 0, nroots = 0;
    cerd_fixture_dump_options o = CERD_FIXTURE_DUMP_OPTIONS_INIT;
    cerd_conn *conn = NULL;
    cli_progress p;
    char *text = NULL;
    FILE *out;
    int r, rc, exit_code = 0;

    if (!tables || !roots || !root_tables) {
        fprintf(stderr, "cryptoerd dump: out of memory\n");
        exit_code = EXIT_USAGE;
        goto done;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            cli_help("dump");
            goto done;
        }
        if ((r = cli_common_option(&c, argc, argv, &i)) < 0) {
            exit_code = EXIT_USAGE;
            goto done;
        }
        if (r)
            continue;
        if ((r = cli_value(argc, argv, &i, "--output", "-o", &outpath))) {
            if (r < 0) {
                exit_code = EXIT_USAGE;
                goto done;
            }
        } else if ((r = cli_value(argc, argv, &i, "--table", "-t", &v))) {
            if (r < 0) {
                exit_code = EXIT_USAGE;
                goto done;
            }
            if (!cerd_table_find(v)) {
                exit_code = cli_usage(&c, "no table named \"%s\"", v);
                goto done;
            }
            tables[ntables++] = v;
        } else if ((r = cli_value(argc, argv, &i, "--root", "-r", &v))) {
            const char *colon = r > 0 ? strrchr(v, ':') : NULL;
            char *end;
            if (r < 0) {
                exit_code = EXIT_USAGE;
                goto done;
            }
            if (!colon || colon == v) {
                exit_code = cli_usage(&c, "--root takes TABLE:ID, not \"%s\"", v);
                goto done;
            }
            root_tables[nroots] = strndup(v, (size_t)(colon - v));
            errno = 0;
            roots[nroots].id = strtoll(colon + 1, &end, 10);
            if (!root_tables[nroots] || *end || errno || !colon[1] ||
                !cerd_table_find(root_tables[nroots])) {
                exit_code = cli_usage(&c, "--root takes TABLE:ID with a table of the schema, not \"%s\"", v);
                free(root_tables[nroots]);
                goto done;
            }
            roots[nroots].table = root_tables[nroots];
            nroots++;
        } else {
            exit_code = cli_usage(&c, "unexpected argument %s", argv[i]);
            goto done;
        }
    }
    if ((exit_code = cli_connect(&conn, &c)))
        goto done;
    o.tables = ntables ? tables : NULL;
    o.ntables = ntables;
    o.roots = nroots ? roots : NULL;
    o.nroots = nroots;
    cli_progress_start(&p, &c, "dump");
    o.progress = cli_progress_cb;
    o.progress_arg = &p;
    rc = cerd_fixture_dump(&text, conn, &o);
    cli_progress_end(&p);
    if (rc) {
        exit_code = cli_fail(&c, rc);
        goto done;
    }
    if (!(out = cli_open_out(&c, outpath))) {
        exit_code = EXIT_USAGE;
        goto done;
    }
    fputs(text, out);
    if ((out != stdout ? fclose(out) : fflush(out)) != 0) {
        fprintf(stderr, "cryptoerd dump: writing the output: %s\n", strerror(errno));
        exit_code = EXIT_USAGE;
    }
done:
    for (size_t k = 0; k < nroots; k++)
        free(root_tables[k]);
    free(root_tables);
    free(roots);
    free(tables);
    free(text);
    cerd_conn_free(conn);
    return exit_code;
}

static int partitions_create(cli_common *c, cerd_conn *conn, const char *table,
                             const char *from_s, const char *to_s)
{
    cerd_month from, to;
    int created = 0, rc;
    if (cerd_month_parse(&from, from_s) || cerd_month_parse(&to, to_s))
        return cli_usage(c, "%s", cerd_error_last()->message);
    if ((rc = cerd_partitions_create(&created, conn, table, from, to)))
        return cli_fail(c, rc);
    printf("{\"table\":\"%s\",\"created\":%d}\n", table, created);
    return 0;
}

int cmd_partitions(int argc, char **argv)
{
    cli_common c = {"partitions", NULL, false};
    const char *action = NULL, *from = NULL, *to = NULL, *before = NULL, *table = "price_data";
    cerd_conn *conn = NULL;
    cerd_month bm = {0, 0}, fm, tm;
    int r, exit_code = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            cli_help(action ? (!strcmp(action, "create") ? "partitions create"
                               : !strcmp(action, "list") ? "partitions list"
                               : !strcmp(action, "archive") ? "partitions archive" : "partitions")
                            : "partitions");
            return 0;
        }
        if ((r = cli_common_option(&c, argc, argv, &i)) < 0)
            return EXIT_USAGE;
        if (r)
            continue;
        if ((r = cli_value(argc, argv, &i, "--from", NULL, &from)) ||
            (r = cli_value(argc, argv, &i, "--to", NULL, &to)) ||
            (r = cli_value(argc, argv, &i, "--before", NULL, &before)) ||
            (r = cli_value(argc, argv, &i, "--table", "-t", &table))) {
            if (r < 0)
                return EXIT_USAGE;
        } else if (!action && argv[i][0] != '-') {
            action = argv[i];
        } else {
            return cli_usage(&c, "unexpected argument %s", argv[i]);
        }
    }
    if (!action)
        return cli_usage(&c, "which action: create, list or archive?");
    if (strcmp(action, "create") && strcmp(action, "list") && strcmp(action, "archive"))
        return cli_usage(&c, "unknown action \"%s\" (create, list, archive)", action);
    if (strcmp(table, "price_data") && strcmp(table, "price_data_archive"))
        return cli_usage(&c, "--table is price_data or price_data_archive, not \"%s\"", table);
    if (!strcmp(action, "create")) {
        if (!from || !to || before)
            return cli_usage(&c, "create takes --from YYYY-MM and --to YYYY-MM");
        if (cerd_month_parse(&fm, from) || cerd_month_parse(&tm, to))
            return cli_usage(&c, "%s", cerd_error_last()->message);
        if (tm.year * 12 + tm.month < fm.year * 12 + fm.month)
            return cli_usage(&c, "--to %s is before --from %s", to, from);
    } else if (!strcmp(action, "archive")) {
        if (!before || from || to)
            return cli_usage(&c, "archive takes --before YYYY-MM");
        if (cerd_month_parse(&bm, before))
            return cli_usage(&c, "%s", cerd_error_last()->message);
        if (strcmp(table, "price_data"))
            return cli_usage(&c, "archive moves price_data into price_data_archive (no --table)");
    } else if (from || to || before) {
        return cli_usage(&c, "list takes no --from, --to or --before");
    }
    if ((r = cli_connect(&conn, &c)))
        return r;
    if (!strcmp(action, "create")) {
        exit_code = partitions_create(&c, conn, table, from, to);
    } else if (!strcmp(action, "list")) {
        cerd_partition_list l = {0};
        int rc = cerd_partitions_list(&l, conn, table);
        if (rc)
            exit_code = cli_fail(&c, rc);
        for (size_t k = 0; k < l.count; k++) {
            if (l.items[k].is_default)
                printf("default\t%lld\t%s\n", (long long)l.items[k].rows, l.items[k].name);
            else
                printf("%04d-%02d\t%lld\t%s\n", l.items[k].month.year, l.items[k].month.month,
                       (long long)l.items[k].rows, l.items[k].name);
        }
        cerd_partitions_free(&l);
    } else {
        cerd_partition_list moved = {0};
        int64_t rows = 0;
        int rc = cerd_partitions_archive(&moved, &rows, conn, bm);
        if (rc)
            exit_code = cli_fail(&c, rc);
        for (size_t k = 0; k < moved.count; k++)
            printf("%04d-%02d\t%lld\t%s -> price_data_archive\n", moved.items[k].month.year,
                   moved.items[k].month.month, (long long)moved.items[k].rows,
                   moved.items[k].name);
        if (!rc && !c.quiet)
            fprintf(stderr, "cryptoerd partitions archive: %zu month(s), %lld row(s) moved\n",
                    moved.count, (long long)rows);
        cerd_partitions_free(&moved);
    }
    cerd_conn_free(conn);
    return exit_code;
}

int cmd_distribute(int argc, char **argv)
{
    cli_common c = {"distribute", NULL, false};
    cerd_conn *conn = NULL;
    int r, rc, exit_code = 0;

    for (int i = 1; i < argc; i++) {
        COMMON_OPTION(c, "distribute")
        return cli_usage(&c, "unexpected argument %s", argv[i]);
    }
    if ((r = cli_connect(&conn, &c)))
        return r;
    if ((rc = cerd_distribute(conn)))
        exit_code = cli_fail(&c, rc);
    else
        printf("{\"distributed\":true}\n");
    cerd_conn_free(conn);
    return exit_code;
}
