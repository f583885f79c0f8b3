/* timestamptz as microseconds since the Unix epoch, in UTC: ISO 8601 text both ways.
   The calendar is the proleptic Gregorian one, computed here (days <-> civil date after
   Howard Hinnant's algorithms), so nothing depends on a time zone database or locale. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cryptoerd/types.h"
#include "util/error_internal.h"

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)
/* 0001-01-01 and 10000-01-01 as days since 1970-01-01. */
#define DAY_YEAR_1 INT64_C(-719162)
#define DAY_YEAR_10000 INT64_C(2932897)

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

static char *put_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

int cerd_timestamp_format(cerd_timestamp ts, char buf[CERD_TIMESTAMP_BUFSIZE])
{
    int64_t days, us, y;
    unsigned m, d, secs;
    char *p = buf;

    if (ts == CERD_TIMESTAMP_INFINITY) {
        memcpy(buf, "infinity", sizeof "infinity");
        return 0;
    }
    if (ts == CERD_TIMESTAMP_NEG_INFINITY) {
        memcpy(buf, "-infinity", sizeof "-infinity");
        return 0;
    }
    days = ts / US_PER_DAY;
    us = ts % US_PER_DAY;
    if (us < 0) {
        us += US_PER_DAY;
        days--;
    }
    if (days < DAY_YEAR_1 || days >= DAY_YEAR_10000) {
        buf[0] = '\0';
        return cerd__error(CERD_ERANGE,
                           "timestamp %lld is outside the years 0001-9999 that can be formatted",
                           (long long)ts);
    }
    civil_from_days(days, &y, &m, &d);
    secs = (unsigned)(us / US_PER_SEC);
    p = put_digits(p, (unsigned)y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, secs / 3600, 2);
    *p++ = ':';
    p = put_digits(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, secs % 60, 2);
    *p++ = '.';
    p = put_digits(p, (unsigned)(us % US_PER_SEC), 6);
    *p++ = 'Z';
    *p = '\0';
    return 0;
}

/* Reads exactly n digits at *p into *out. */
static int fixed_digits(const char **p, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        if (ca != *b)
            return 0;
    }
    return *a == *b;
}

static int bad(const char *text, const char *why)
{
    return cerd__error(CERD_EINVALID, "invalid timestamp \"%.100s\": %s", text, why);
}

int cerd_timestamp_parse(cerd_timestamp *out, const char *text)
{
    const char *p = text;
    unsigned year, mon, day, hour = 0, min = 0, sec = 0, frac = 0;
    int64_t offset_sec = 0, ts;

    if (!out || !text)
        return cerd__error(CERD_EMISUSE, "cerd_timestamp_parse: NULL argument");
    if (ieq(text, "infinity")) {
        *out = CERD_TIMESTAMP_INFINITY;
        return 0;
    }
    if (ieq(text, "-infinity")) {
        *out = CERD_TIMESTAMP_NEG_INFINITY;
        return 0;
    }

    if (!fixed_digits(&p, 4, &year) || *p++ != '-' || !fixed_digits(&p, 2, &mon) ||
        *p++ != '-' || !fixed_digits(&p, 2, &day))
        return bad(text, "expected a date YYYY-MM-DD");
    if (year < 1)
        return bad(text, "year 0000 does not exist (years are 0001-9999)");
    if (mon < 1 || mon > 12)
        return bad(text, "month out of range 01-12");
    if (day < 1 || day > days_in_month(year, mon))
        return bad(text, "day out of range for the month");

    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!fixed_digits(&p, 2, &hour) || *p++ != ':' || !fixed_digits(&p, 2, &min))
            return bad(text, "expected a time HH:MM[:SS[.ffffff]]");
        if (*p == ':') {
            p++;
            if (!fixed_digits(&p, 2, &sec))
                return bad(text, "expected two digits of seconds");
            if (*p == '.') {
                int n = 0;
                p++;
                while (*p >= '0' && *p <= '9') {
                    if (++n > 6)
                        return bad(text, "more than six fractional digits of seconds");
                    frac = frac * 10 + (unsigned)(*p++ - '0');
                }
                if (n == 0)
                    return bad(text, "expected digits after the decimal point");
                for (; n < 6; n++)
                    frac *= 10;
            }
        }
        if (hour > 23)
            return bad(text, "hour out of range 00-23");
        if (min > 59)
            return bad(text, "minute out of range 00-59");
        if (sec > 59)
            return bad(text, "second out of range 00-59");

        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int neg = *p++ == '-';
            unsigned oh, om = 0;
            if (!fixed_digits(&p, 2, &oh))
                return bad(text, "expected a UTC offset +HH, +HH:MM or +HHMM");
            if (*p == ':') {
                p++;
                if (!fixed_digits(&p, 2, &om))
                    return bad(text, "expected two digits of offset minutes");
            } else if (*p >= '0' && *p <= '9') {
                if (!fixed_digits(&p, 2, &om))
                    return bad(text, "expected two digits of offset minutes");
            }
            if (oh > 15 || om > 59)
                return bad(text, "UTC offset out of range");
            offset_sec = (int64_t)oh * 3600 + (int64_t)om * 60;
            if (neg)
                offset_sec = -offset_sec;
        }
    }
    if (*p != '\0')
        return bad(text, "unexpected characters after the timestamp");

    ts = days_from_civil(year, mon, day) * US_PER_DAY +
         ((int64_t)hour * 3600 + (int64_t)min * 60 + (int64_t)sec - offset_sec) * US_PER_SEC +
         (int64_t)frac;
    *out = ts;
    return 0;
}

cerd_timestamp cerd_timestamp_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * US_PER_SEC + (int64_t)(now.tv_nsec / 1000);
}
