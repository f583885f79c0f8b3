/* PostgreSQL's binary wire format of numeric (numeric_send / numeric_recv), for the
   codec and its tests. */
#ifndef CERD_TYPES_NUMERIC_INTERNAL_H
#define CERD_TYPES_NUMERIC_INTERNAL_H

#include "cryptoerd/types.h"
#include "util/buf.h"

/* Appends the binary form of n. Returns 0; CERD_ERANGE for what the server cannot
   receive; CERD_ENOMEM. */
int cerd__numeric_send(const cerd_numeric *n, cerd__buf *b);
/* Decodes len bytes of numeric_send output. Returns 0; CERD_ERANGE beyond
   CERD_NUMERIC_MAX_DIGITS; CERD_ERROR for a malformed value. */
int cerd__numeric_recv(cerd_numeric *out, const char *data, int len);

#endif
