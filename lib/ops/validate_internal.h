/* Client-side validation, as the row operations of lib/crud.c call it. */
#ifndef CERD_VALIDATE_INTERNAL_H
#define CERD_VALIDATE_INTERNAL_H

#include "cryptoerd/validate.h"

/* cerd_row_validate() restricted to the columns in `known` (NULL: every column): only
   their single-column rules are checked, and only the CHECKs that read nothing else (an
   update sets some columns; the others keep stored values the client does not know).
   Returns 0, CERD_EINVALID (error record set as cerd_row_validate() says), CERD_EMISUSE
   or CERD_ENOMEM. */
int cerd__row_validate(const cerd_table *t, const void *row, cerd_validate_mode mode,
                       const cerd_colset *known, cerd_violations *out);

/* After a server error of an operation on t: the record names t's own table and
   constraint, not a partition's or a Citus shard's (cerd__error_to_logical_names with t's
   primary key, unique keys, foreign keys and CHECKs). */
void cerd__error_logical_names(const cerd_table *t);

#endif
