/* Field sizes and releasing fields (see field.h), and so releasing a row. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cryptoerd/row.h"
#include "wire/field.h"

size_t cerd__field_size(const cerd_column *c)
{
    bool opt = (c->flags & CERD_COL_OPTIONAL) && !(c->flags & CERD_COL_IDENTITY);

    switch (c->type) {
    case CERD_TYPE_INT64: return opt ? sizeof(cerd_opt_int64) : sizeof(int64_t);
    case CERD_TYPE_INT32: return opt ? sizeof(cerd_opt_int32) : sizeof(int32_t);
    case CERD_TYPE_BOOL: return opt ? sizeof(cerd_opt_bool) : sizeof(bool);
    case CERD_TYPE_NUMERIC: return opt ? sizeof(cerd_opt_numeric) : sizeof(cerd_numeric);
    case CERD_TYPE_TIMESTAMPTZ: return opt ? sizeof(cerd_opt_timestamp) : sizeof(cerd_timestamp);
    case CERD_TYPE_INET: return opt ? sizeof(cerd_opt_inet) : sizeof(cerd_inet);
    case CERD_TYPE_TEXT: return sizeof(char *);
    case CERD_TYPE_JSONB: return sizeof(cJSON *);
    case CERD_TYPE_INT32_ARRAY: return sizeof(cerd_int32_array);
    case CERD_TYPE_TEXT_ARRAY: return sizeof(cerd_text_array);
    }
    return 0;
}

void cerd__field_set_present(const cerd_column *c, void *row)
{
    char *f = (char *)row + c->offset;

    if (!(c->flags & CERD_COL_OPTIONAL) || (c->flags & CERD_COL_IDENTITY))
        return;
    switch (c->type) {
    case CERD_TYPE_INT64: ((cerd_opt_int64 *)f)->valid = true; break;
    case CERD_TYPE_INT32: ((cerd_opt_int32 *)f)->valid = true; break;
    case CERD_TYPE_BOOL: ((cerd_opt_bool *)f)->valid = true; break;
    case CERD_TYPE_NUMERIC: ((cerd_opt_numeric *)f)->valid = true; break;
    case CERD_TYPE_TIMESTAMPTZ: ((cerd_opt_timestamp *)f)->valid = true; break;
    case CERD_TYPE_INET: ((cerd_opt_inet *)f)->valid = true; break;
    default: break;
    }
}

void cerd__field_set_null(const cerd_column *c, void *row)
{
    memset((char *)row + c->offset, 0, cerd__field_size(c));
}

void cerd__field_free(const cerd_column *c, void *row)
{
    char *f = (char *)row + c->offset;

    switch (c->type) {
    case CERD_TYPE_TEXT:
        free(*(char **)f);
        break;
    case CERD_TYPE_JSONB:
        cJSON_Delete(*(cJSON **)f);
        break;
    case CERD_TYPE_INT32_ARRAY: {
        cerd_int32_array *a = (cerd_int32_array *)f;
        free(a->values);
        free(a->nulls);
        break;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        cerd_text_array *a = (cerd_text_array *)f;
        if (a->values)
            for (size_t i = 0; i < a->count; i++)
                free(a->values[i]);
        free(a->values);
        break;
    }
    default:
        break;
    }
    cerd__field_set_null(c, row);
}

void cerd_row_clear(const cerd_table *t, void *row)
{
    if (!t || !row)
        return;
    for (int i = 0; i < t->ncolumns; i++)
        cerd__field_free(&t->columns[i], row);
    memset(row, 0, t->row_size);
}
