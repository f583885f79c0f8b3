/*
 * hand_candle.h: the hand-written libpq baseline's decoding (binary results into C
 * structs of the same information as the library's rows: exact numeric digits, strings
 * copied, jsonb parsed with cJSON). Shared by bench_typed_api.c and bench_bulk.c so that
 * every libpq baseline decodes the same way.
 */
#ifndef CERD_BENCH_HAND_CANDLE_H
#define CERD_BENCH_HAND_CANDLE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <libpq-fe.h>

static inline int64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (unsigned char)p[i];
    return (int64_t)v;
}

static inline int32_t be32(const char *p)
{
    return (int32_t)(((uint32_t)(unsigned char)p[0] << 24) | ((uint32_t)(unsigned char)p[1] << 16)
                     | ((uint32_t)(unsigned char)p[2] << 8) | (uint32_t)(unsigned char)p[3]);
}

static inline uint16_t be16(const char *p)
{
    return (uint16_t)(((unsigned char)p[0] << 8) | (unsigned char)p[1]);
}

/* An exact decimal as the wire has it: the same information cerd_numeric keeps. */
typedef struct hand_numeric {
    int16_t ndigits, weight;
    uint16_t sign, dscale;
    uint16_t digits[12];
} hand_numeric;

static inline void hand_numeric_decode(const char *p, int len, hand_numeric *n, int *valid)
{
    *valid = len >= 0;
    if (len < 0)
        return;
    n->ndigits = (int16_t)be16(p);
    n->weight = (int16_t)be16(p + 2);
    n->sign = be16(p + 4);
    n->dscale = be16(p + 6);
    for (int i = 0; i < n->ndigits && i < 12; i++)
        n->digits[i] = be16(p + 8 + 2 * i);
}

static inline cJSON *hand_json(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    /* jsonb binary: a version byte, then the text */
    return cJSON_ParseWithLength(PQgetvalue(r, row, col) + 1, (size_t)PQgetlength(r, row, col) - 1);
}

typedef struct hand_candle {
    int64_t id, asset_id, candle_time, created_at, updated_at;
    char *timeframe;
    hand_numeric open, high, low, close, volume, market_cap, vwap;
    int valid[8];
    int32_t trade_count;
    cJSON *technical_indicators;
    int is_validated;
} hand_candle;

static inline void hand_candle_decode(const PGresult *r, int row, hand_candle *c)
{
#define LEN(col) (PQgetisnull(r, row, col) ? -1 : PQgetlength(r, row, col))
#define VAL(col) PQgetvalue(r, row, col)
    c->id = be64(VAL(0));
    c->asset_id = be64(VAL(1));
    c->timeframe = strdup(VAL(2));
    hand_numeric_decode(VAL(3), LEN(3), &c->open, &c->valid[0]);
    hand_numeric_decode(VAL(4), LEN(4), &c->high, &c->valid[1]);
    hand_numeric_decode(VAL(5), LEN(5), &c->low, &c->valid[2]);
    hand_numeric_decode(VAL(6), LEN(6), &c->close, &c->valid[3]);
    hand_numeric_decode(VAL(7), LEN(7), &c->volume, &c->valid[4]);
    hand_numeric_decode(VAL(8), LEN(8), &c->market_cap, &c->valid[5]);
    c->trade_count = LEN(9) < 0 ? 0 : be32(VAL(9));
    hand_numeric_decode(VAL(10), LEN(10), &c->vwap, &c->valid[6]);
    c->technical_indicators = hand_json(r, row, 11);
    c->candle_time = be64(VAL(12));
    c->is_validated = VAL(13)[0];
    c->created_at = be64(VAL(14));
    c->updated_at = be64(VAL(15));
#undef LEN
#undef VAL
}

static inline void hand_candle_free(hand_candle *c)
{
    free(c->timeframe);
    cJSON_Delete(c->technical_indicators);
    c->timeframe = NULL;
    c->technical_indicators = NULL;
}

#endif
