/* Rows to and from JSON (row_json.c): what other files of the library share. */
#ifndef CERD_ROW_JSON_H
#define CERD_ROW_JSON_H

#include <cJSON.h>

#include "cryptoerd/descriptor.h"

/* Sets field `column` of row from the JSON value v by cerd_row_from_json()'s rules
   (JSON null: NULL), releasing what the field held first; the other fields are kept. */
int cerd__row_set_json(void *row, const cerd_table *t, int column, const cJSON *v);

/* cerd_row_to_json() for a row read from the server: an identity field of 0 is the stored
   value 0 (the reserved system user) rather than "not numbered yet" (null). */
int cerd__row_to_json_stored(cJSON **out, const cerd_table *t, const void *row);

#endif
