/* inet text I/O as PostgreSQL's inet_in/inet_out do it. Output follows PostgreSQL's
   inet_net_ntop (BIND's formatting, which is also the classic inet_ntop form): the
   longest run of two or more zero groups becomes "::" (the first of equal runs),
   groups in lower-case hex without leading zeros, IPv4-compatible (::a.b.c.d) and
   IPv4-mapped (::ffff:a.b.c.d) addresses with a dotted quad, and "/bits" only when the
   prefix is shorter than the address. Written out here rather than borrowed from libc so
   the text never depends on the C library's version. */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "cryptoerd/types.h"
#include "util/error_internal.h"

static int bad(const char *text, const char *why)
{
    return cerd__error(CERD_EINVALID, "invalid inet \"%.100s\": %s", text, why);
}

int cerd_inet_parse(cerd_inet *out, const char *text)
{
    char addr[64];
    const char *slash;
    size_t alen;
    unsigned bits, maxbits;
    cerd_inet v;

    if (!out || !text)
        return cerd__error(CERD_EMISUSE, "cerd_inet_parse: NULL argument");
    memset(&v, 0, sizeof v);
    slash = strchr(text, '/');
    alen = slash ? (size_t)(slash - text) : strlen(text);
    if (alen == 0 || alen >= sizeof addr)
        return bad(text, "expected an IPv4 or IPv6 address");
    memcpy(addr, text, alen);
    addr[alen] = '\0';

    if (inet_pton(AF_INET, addr, v.addr) == 1) {
        v.family = 4;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, addr, v.addr) == 1) {
        v.family = 6;
        maxbits = 128;
    } else {
        return bad(text, "not an IPv4 or IPv6 address");
    }

    bits = maxbits;
    if (slash) {
        const char *p = slash + 1;
        int n = 0;
        bits = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (++n > 3)
                return bad(text, "prefix length out of range");
            bits = bits * 10 + (unsigned)(*p - '0');
        }
        if (n == 0 || *p != '\0')
            return bad(text, "expected a decimal prefix length after '/'");
        if (bits > maxbits)
            return bad(text, v.family == 4 ? "prefix length above 32" : "prefix length above 128");
    }
    v.bits = (uint8_t)bits;
    *out = v;
    return 0;
}

static char *put_dec(char *p, unsigned v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

static char *put_quad(char *p, const uint8_t *a)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            *p++ = '.';
        p = put_dec(p, a[i]);
    }
    return p;
}

static char *put_hex(char *p, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    int started = 0;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned nib = (v >> shift) & 15;
        if (nib || started || shift == 0) {
            *p++ = hex[nib];
            started = 1;
        }
    }
    return p;
}

void cerd_inet_format(const cerd_inet *in, char buf[CERD_INET_BUFSIZE])
{
    char *p = buf;
    unsigned maxbits;

    if (!in || (in->family != 4 && in->family != 6)) {
        buf[0] = '\0';
        return;
    }
    if (in->family == 4) {
        maxbits = 32;
        p = put_quad(p, in->addr);
    } else {
        unsigned words[8];
        int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;

        maxbits = 128;
        for (int i = 0; i < 8; i++)
            words[i] = (unsigned)in->addr[2 * i] << 8 | in->addr[2 * i + 1];
        for (int i = 0; i < 8; i++) {
            if (words[i] == 0) {
                if (cur_base == -1) {
                    cur_base = i;
                    cur_len = 1;
                } else {
                    cur_len++;
                }
            } else if (cur_base != -1) {
                if (best_base == -1 || cur_len > best_len) {
                    best_base = cur_base;
                    best_len = cur_len;
                }
                cur_base = -1;
            }
        }
        if (cur_base != -1 && (best_base == -1 || cur_len > best_len)) {
            best_base = cur_base;
            best_len = cur_len;
        }
        if (best_base != -1 && best_len < 2)
            best_base = -1;

        for (int i = 0; i < 8; i++) {
            if (best_base != -1 && i >= best_base && i < best_base + best_len) {
                if (i == best_base)
                    *p++ = ':';
                continue;
            }
            if (i != 0)
                *p++ = ':';
            /* An encapsulated IPv4 address. */
            if (i == 6 && best_base == 0 &&
                (best_len == 6 || (best_len == 7 && words[7] != 0x0001) ||
                 (best_len == 5 && words[5] == 0xffff))) {
                p = put_quad(p, in->addr + 12);
                break;
            }
            p = put_hex(p, words[i]);
        }
        if (best_base != -1 && best_base + best_len == 8)
            *p++ = ':';
    }
    if (in->bits < maxbits) {
        *p++ = '/';
        p = put_dec(p, in->bits);
    }
    *p = '\0';
}
