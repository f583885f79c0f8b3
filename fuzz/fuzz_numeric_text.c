/* libFuzzer target: numeric text from outside (exchange feeds, CSV, JSON strings).
   Input: byte 0 = precision (0: unconstrained), byte 1 = scale, the rest = the text.
   Checks, for every text the parser accepts: format -> parse gives the same value and
   dscale; rounding to numeric(p,s) either fails with CERD_ERANGE or gives a value of scale
   s that rounds to itself; a + b - b == a and (a * 1) == a whenever the library can hold
   the results. Any violation aborts (a crash for libFuzzer). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[512], small[1], *buf;
    cerd_numeric n, again, rounded, twice, one, sum, back, prod;
    int precision, scale, len;

    if (size < 2 || size - 2 >= sizeof text)
        return 0;
    precision = data[0] % 40;       /* 0: unconstrained (-1) */
    scale = data[1] % (precision + 1); /* 0 <= scale <= precision */
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    if (cerd_numeric_parse(&n, text) != 0)
        return 0;

    /* The text may be long (1e-6000 has 6000 digits): ask for its length first. */
    len = cerd_numeric_format(&n, small, sizeof small);
    CHECK(len > 0);
    buf = malloc((size_t)len + 1);
    CHECK(buf && cerd_numeric_format(&n, buf, (size_t)len + 1) == len);
    CHECK(cerd_numeric_parse(&again, buf) == 0);
    CHECK(cerd_numeric_cmp(&n, &again) == 0 && n.dscale == again.dscale);
    free(buf);

    if (precision > 0) {
        int rc = cerd_numeric_round_to_typmod(&rounded, &n, precision, scale);
        CHECK(rc == 0 || rc == CERD_ERANGE);
        if (rc == 0) {
            CHECK(cerd_numeric_round_to_typmod(&twice, &rounded, precision, scale) == 0);
            CHECK(cerd_numeric_cmp(&rounded, &twice) == 0);
            CHECK(rounded.dscale == scale || rounded.sign == CERD_NUMERIC_NAN);
        }
    }

    cerd_numeric_from_int64(&one, 1);
    if (cerd_numeric_mul(&prod, &n, &one) == 0)
        CHECK(cerd_numeric_cmp(&prod, &n) == 0);
    if (cerd_numeric_add(&sum, &n, &again) == 0 && cerd_numeric_sub(&back, &sum, &again) == 0
        && n.sign != CERD_NUMERIC_NAN && n.sign != CERD_NUMERIC_PINF
        && n.sign != CERD_NUMERIC_NINF)
        CHECK(cerd_numeric_cmp(&back, &n) == 0);
    return 0;
}
