/* Writing the generated files (see output.h). */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "emit.h"
#include "model.h"

void cg_mkdirs(const char *path)
{
    char *p = cg_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "cerdgen: cannot create directory %s: %s\n", p, strerror(errno));
            exit(1);
        }
        *s = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cerdgen: cannot create directory %s: %s\n", p, strerror(errno));
        exit(1);
    }
    free(p);
}

/* The whole file, or NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

bool cg_write_if_changed(const char *path, const char *content)
{
    size_t want = strlen(content), have = 0;
    char *old = slurp(path, &have);
    bool same = old && have == want && memcmp(old, content, want) == 0;
    free(old);
    if (same)
        return false;

    char *tmp = cg_xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(content, 1, want, f) != want || fclose(f) != 0) {
        fprintf(stderr, "cerdgen: cannot write %s: %s\n", tmp, strerror(errno));
        exit(1);
    }
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "cerdgen: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
        exit(1);
    }
    free(tmp);
    return true;
}

int cg_remove_stale(const char *dir, const char *suffix, char **keep, int nkeep)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    int n = 0;
    size_t sl = strlen(suffix);
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l > sl && strcmp(e->d_name + l - sl, suffix) == 0) {
            names = cg_grow(names, &n, sizeof *names);
            names[n - 1] = cg_xasprintf("%s/%s", dir, e->d_name);
        }
    }
    closedir(d);

    int removed = 0;
    for (int i = 0; i < n; i++) {
        bool kept = false;
        for (int k = 0; k < nkeep && !kept; k++)
            kept = strcmp(keep[k], names[i]) == 0;
        size_t len = 0;
        char *text = kept ? NULL : slurp(names[i], &len);
        size_t bl = strlen(CG_BANNER_PREFIX);
        if (text && len >= bl && memcmp(text, CG_BANNER_PREFIX, bl) == 0) {
            if (unlink(names[i]) != 0) {
                fprintf(stderr, "cerdgen: cannot remove %s: %s\n", names[i], strerror(errno));
                exit(1);
            }
            printf("cerdgen: removed %s (no longer generated)\n", names[i]);
            removed++;
        }
        free(text);
        free(names[i]);
    }
    free(names);
    return removed;
}

int cg_read_json(const char *path, cJSON **out)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f)
        return 0;
    cg_buf text = {0};
    char chunk[4096];
    size_t n;
    cg_buf_puts(&text, "");
    while ((n = fread(chunk, 1, sizeof chunk - 1, f)) > 0) {
        chunk[n] = '\0';
        cg_buf_puts(&text, chunk);
    }
    fclose(f);
    *out = cJSON_Parse(text.data);
    cg_buf_free(&text);
    if (!*out) {
        fprintf(stderr, "cerdgen: %s: not valid JSON\n", path);
        return 1;
    }
    return 0;
}
