/* libFuzzer target: the row-text reader of the bindings (rowtext.h: flag byte, fields
   separated by 0x1F, rows ended by 0x1E, escapes in `e` rows), the text the Python
   package hands to the library for writes, read by cerd_rows_parse_text().

   The first byte chooses the table (modulo the number of tables); the rest is the text.
   Besides crashes, leaks and sanitizer reports, the target aborts when an invariant
   breaks:
   - bad text gets only ::CERD_EINVALID, ::CERD_ERANGE, ::CERD_EENCODING (or
     ::CERD_ENOMEM), with a message starting "row N" (N the 0-based row);
   - rows read are written back (cerd_rows_format_text(); a timestamp outside the years
     1-9999, readable as microseconds, may be refused with ::CERD_ERANGE) and that text
     reads back to the same rows: written again it is the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>
#include <cryptoerd/rowtext.h>

static void check_refusal(int rc)
{
    const cerd_error *e = cerd_error_last();
    if (rc == CERD_ENOMEM)
        return;
    if (rc != CERD_EINVALID && rc != CERD_ERANGE && rc != CERD_EENCODING) {
        fprintf(stderr, "code %s: %s\n", cerd_error_name(rc), e->message);
        abort();
    }
    if (strncmp(e->message, "row ", 4) || e->message[4] < '0' || e->message[4] > '9') {
        fprintf(stderr, "message \"%s\"\n", e->message);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const cerd_table *t;
    cerd_rows rows = {0}, again = {0};
    char *text = NULL, *text2 = NULL;
    size_t len = 0, len2 = 0;
    int rc;

    if (size < 1)
        return 0;
    t = cerd_table_at(data[0] % cerd_table_count());
    rc = cerd_rows_parse_text(&rows, t, (const char *)data + 1, size - 1);
    if (rc) {
        check_refusal(rc);
        if (rows.count)
            abort();
        cerd_rows_free(t, &rows);
        return 0;
    }
    rc = cerd_rows_format_text(&text, &len, t, rows.rows, rows.count);
    if (rc == 0 && rows.count) {
        if ((rc = cerd_rows_parse_text(&again, t, text, len))) {
            fprintf(stderr, "written rows do not read back: %s\n", cerd_error_last()->message);
            abort();
        }
        if (again.count != rows.count)
            abort();
        if (cerd_rows_format_text(&text2, &len2, t, again.rows, again.count))
            abort();
        if (len2 != len || memcmp(text, text2, len)) {
            fprintf(stderr, "round trip differs:\n%.*s\n%.*s\n", (int)len, text, (int)len2,
                    text2);
            abort();
        }
    } else if (rc && rc != CERD_ERANGE && rc != CERD_ENOMEM) {
        fprintf(stderr, "format: %s\n", cerd_error_last()->message);
        abort();
    }
    cerd_text_free(text);
    cerd_text_free(text2);
    cerd_rows_free(t, &again);
    cerd_rows_free(t, &rows);
    return 0;
}
