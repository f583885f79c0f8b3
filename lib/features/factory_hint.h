/* Row factories, hints: how cerd_factory_make() makes a realistic value of one column.
   cerdgen writes one hint per column into every descriptor (cerd_table::hints), from the
   rules and vocabularies of schema/api/factory_hints.json; the factory reads them and
   knows no table, column or word of the schema itself. The generated descriptors include
   this header. */
#ifndef CERD_FEATURES_FACTORY_HINT_H
#define CERD_FEATURES_FACTORY_HINT_H

#include <stdint.h>

#include "cryptoerd/descriptor.h"

/* What kind of value a column gets; each kind says which of the hint's texts, vocabularies
   and numbers it reads. A kind that does not fit the column's type is read as that type's
   NONE. "h" is the column's hash (seed, table, column, salt); "persona" the row's. */
typedef enum cerd__hint_kind {
    CERD__HINT_NONE = 0,    /* the type's plain value */
    /* text */
    CERD__HINT_PLAIN,       /* "<column>_<vocab0 word>_<n>", two letters for varchar(<=4) */
    CERD__HINT_SENTENCE,    /* words of vocab0, sometimes ending with one of vocab1 */
    CERD__HINT_PICK,        /* a word of vocab0 */
    CERD__HINT_TEMPLATE,    /* texts[0] with its {slots} filled (factory_values.c) */
    /* numbers */
    CERD__HINT_NUMBER,      /* 0 .. 1000 */
    CERD__HINT_RANGE,       /* lo .. hi (log-uniform when CERD__HINT_LOG) */
    CERD__HINT_PRICE,       /* near the number of vocab0's record `index` (-1: the row's) */
    CERD__HINT_PICK_NUMBER, /* a number of vocab0 */
    /* timestamps; texts[0] names the column whose hash sets the row's creation time */
    CERD__HINT_TIME_ANCHOR, CERD__HINT_TIME_CANDLE, CERD__HINT_TIME_CREATED,
    CERD__HINT_TIME_UPDATED, CERD__HINT_TIME_START, CERD__HINT_TIME_END,
    CERD__HINT_TIME_FUTURE, CERD__HINT_TIME_PAST, CERD__HINT_TIME_DELETED,
    CERD__HINT_TIME_LATER,
    /* booleans */
    CERD__HINT_COIN,        /* true or false */
    CERD__HINT_MOSTLY_TRUE, /* true nine times in ten */
    /* text arrays */
    CERD__HINT_PICK_ARRAY,  /* consecutive words of vocab0 */
    /* JSON: texts are the keys (and constant strings) in the order the shape uses them */
    CERD__HINT_JSON_PRICE_METRICS, /* nested figures around the row's price (vocab0) */
    CERD__HINT_JSON_OBJECT,        /* {texts[2i]: texts[2i+1] as a template} */
    CERD__HINT_JSON_PREFERENCES,   /* a choice of two, a word of vocab0, two flags */
    CERD__HINT_JSON_DEVICE,        /* a word of vocab0, of vocab1, a flag */
    CERD__HINT_JSON_CONFIG,        /* training figures and one of the first `index` words */
    CERD__HINT_JSON_LIST,          /* an array of {word of vocab0, weight} */
    CERD__HINT_JSON_STATUS,        /* a state of two, a latency, the constant hi */
    CERD__HINT_JSON_USAGE,         /* counts keyed by consecutive words of vocab0 */
    CERD__HINT_JSON_AUDIT,         /* the row's record of vocab0: word, flag, number */
    CERD__HINT_JSON_GENERIC        /* a constant, the record's word, a score, tags, a note */
} cerd__hint_kind;

/* Flags of a hint. */
#define CERD__HINT_LOG 1u         /* RANGE: log-uniform */
#define CERD__HINT_SELF_UNIQUE 2u /* TEMPLATE: the template itself keeps a unique column's
                                     value unique (no "-<seed token>" suffix) */

/* A vocabulary: count records of nfields words each (row-major), and per record a
   number when numbers is not NULL. */
typedef struct cerd__vocab {
    const char *const *words;
    const double *numbers;
    uint16_t count, nfields;
} cerd__vocab;

/* The hint of one column. */
struct cerd_factory_hint {
    uint16_t kind;                          /* cerd__hint_kind */
    uint16_t flags;                         /* CERD__HINT_* */
    int16_t scale;                          /* decimals of an unconstrained numeric */
    int16_t index;                          /* PRICE: record (-1 the row's); CONFIG: count */
    double lo, hi;                          /* RANGE; STATUS: hi */
    const char *const *texts;
    uint16_t ntexts;
    uint16_t nvocabs;
    const cerd__vocab *const *vocabs;
};

#endif
