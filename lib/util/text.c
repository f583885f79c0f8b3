/* UTF-8 text as a PostgreSQL UTF8 database accepts it: well-formed UTF-8 (no overlong
   forms, no surrogates, nothing above U+10FFFF) and no NUL byte. */
#include <stdint.h>
#include <string.h>

#include "cryptoerd/types.h"
#include "util/error_internal.h"

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Length of the well-formed sequence starting at s (avail > 0 bytes left), or 0 when
   the bytes there are not one (PostgreSQL's pg_utf8_islegal, which is RFC 3629). */
static size_t seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return c ? 1 : 0;
    if (c < 0xC2)
        return 0; /* continuation byte, or overlong two-byte lead C0/C1 */
    if (c < 0xE0)
        return avail >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* UTF-16 surrogates */
        return avail >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c < 0xF5) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
        return avail >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
                       (s[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

int cerd_text_check(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;

    if (len > 0 && !text)
        return cerd__error(CERD_EMISUSE, "cerd_text_check: NULL text of length %zu", len);
    while (i < len) {
        /* Fast path: eight ASCII bytes, none of them NUL. */
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & HIGHS) && !((w - ONES) & ~w & HIGHS)) {
                i += 8;
                continue;
            }
        }
        size_t n = seq_len(s + i, len - i);
        if (n == 0) {
            if (s[i] == 0)
                return cerd__error(CERD_EENCODING, "text contains a NUL byte at byte offset %zu",
                                   i);
            /* Quote the bytes of the bad sequence, as PostgreSQL does. */
            char bytes[4 * 5 + 1];
            size_t k, shown = 0;
            static const char hex[] = "0123456789abcdef";
            for (k = 0; k < 4 && i + k < len; k++) {
                if (k > 0 && (s[i + k] & 0xC0) != 0x80)
                    break;
                bytes[shown++] = k ? ' ' : '0';
                if (k) {
                    bytes[shown++] = '0';
                }
                bytes[shown++] = 'x';
                bytes[shown++] = hex[s[i + k] >> 4];
                bytes[shown++] = hex[s[i + k] & 15];
            }
            bytes[shown] = '\0';
            return cerd__error(CERD_EENCODING,
                               "text is not valid UTF-8: invalid byte sequence %s at byte "
                               "offset %zu",
                               bytes, i);
        }
        i += n;
    }
    return 0;
}

size_t cerd_text_chars(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, chars = 0;

    /* Every byte that is not a continuation byte (10xxxxxx) starts a character. */
    for (; i + 8 <= len; i += 8) {
        uint64_t w, cont;
        memcpy(&w, s + i, 8);
        /* a byte is a continuation byte when bit 7 is set and bit 6 is clear */
        cont = w & ~(w << 1) & HIGHS;
        chars += 8 - (size_t)__builtin_popcountll(cont);
    }
    for (; i < len; i++)
        chars += (s[i] & 0xC0) != 0x80;
    return chars;
}
