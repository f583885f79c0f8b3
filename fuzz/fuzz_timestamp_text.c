/* libFuzzer target: timestamp text from outside (CSV, JSON, exchange feeds). Checks that
   every text the parser accepts formats (or is refused as out of range) and that the
   formatted text parses back to the same instant, to the microsecond. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[256], buf[CERD_TIMESTAMP_BUFSIZE];
    cerd_timestamp ts, again;
    int rc;

    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (cerd_timestamp_parse(&ts, text) != 0)
        return 0;
    rc = cerd_timestamp_format(ts, buf);
    CHECK(rc == 0 || rc == CERD_ERANGE);
    if (rc == 0) {
        CHECK(cerd_timestamp_parse(&again, buf) == 0);
        CHECK(again == ts);
    }
    return 0;
}
