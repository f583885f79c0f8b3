/* Shared parts of the cryptoerd subcommands (cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_value(int argc, char **argv, int *i, const char *name, const char *shrt,
              const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (!strncmp(a, name, n) && a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (strcmp(a, name) && (!shrt || strcmp(a, shrt)))
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "cryptoerd: %s needs a value\n", a);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_common_option(cli_common *c, int argc, char **argv, int *i)
{
    int r;
    if (!strcmp(argv[*i], "-q") || !strcmp(argv[*i], "--quiet")) {
        c->quiet = true;
        return 1;
    }
    if ((r = cli_value(argc, argv, i, "--dsn", "-d", &c->dsn)))
        return r;
    return 0;
}

int cli_usage(const cli_common *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cryptoerd %s: ", c->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'cryptoerd %s --help'.\n", c->cmd);
    return EXIT_USAGE;
}

int cli_connect(cerd_conn **out, const cli_common *c)
{
    const char *dsn = c->dsn ? c->dsn : getenv("CRYPTOERD_DSN");
    int rc = cerd_conn_open(out, dsn ? dsn : "");
    if (rc) {
        fprintf(stderr, "cryptoerd %s: %s\n", c->cmd, cerd_error_last()->message);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_fail(const cli_common *c, int rc)
{
    const cerd_error *e = cerd_error_last();
    fprintf(stderr, "cryptoerd %s: %s\n", c->cmd, e->message[0] ? e->message : cerd_strerror(rc));
    if (e->detail[0])
        fprintf(stderr, "  detail: %s\n", e->detail);
    switch (rc) {
    case CERD_ECONNECT:
    case CERD_ECONNLOST:
    case CERD_EMISUSE:
    case CERD_ENOMEM:
    case CERD_ERROR:
    case CERD_ETIMEOUT:
        return EXIT_USAGE;
    default:
        return EXIT_SOME_INVALID;
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_start(cli_progress *p, const cli_common *c, const char *label)
{
    memset(p, 0, sizeof *p);
    p->on = !c->quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->start = now();
}

static void draw(cli_progress *p, int64_t total)
{
    double el = now() - p->start;
    double rate = el > 0 ? (double)p->done / el : 0;
    if (total > 0)
        fprintf(stderr, "\r%s: %lld/%lld rows (%3.0f%%), %.0f rows/s   ", p->label,
                (long long)p->done, (long long)total, 100.0 * (double)p->done / (double)total,
                rate);
    else
        fprintf(stderr, "\r%s: %lld rows, %.0f rows/s   ", p->label, (long long)p->done, rate);
}

void cli_progress_cb(void *arg, int64_t done, int64_t total)
{
    cli_progress *p = arg;
    double t;
    if (!p->on)
        return;
    p->done = done;
    t = now();
    if (t - p->last < 0.1 && done != total)
        return;
    p->last = t;
    draw(p, total);
}

void cli_progress_end(cli_progress *p)
{
    if (!p->on)
        return;
    draw(p, 0);
    fputc('\n', stderr);
}

FILE *cli_open_out(const cli_common *c, const char *path)
{
    FILE *f;
    if (!path || !strcmp(path, "-"))
        return stdout;
    if (!(f = fopen(path, "wb")))
        fprintf(stderr, "cryptoerd %s: %s: %s\n", c->cmd, path, strerror(errno));
    return f;
}
