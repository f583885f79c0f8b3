/* Lists of violations (cerd_violations, validate.h): what the JSON reader and validation
   report about a row, built here and only here. */
#ifndef CERD_WIRE_VIOLATIONS_H
#define CERD_WIRE_VIOLATIONS_H

#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/validate.h>

/* cerd__column_index[i] == i: a violation of one column points its `columns` here (the
   list's column arrays are static, never allocated per violation). */
extern const uint16_t cerd__column_index[CERD_MAX_COLUMNS];

/* Appends a violation to v, whose items array has room for *cap (0 for a new list).
   constraint and columns are static (not copied); the message is formatted and owned by
   the list. Returns 0 or CERD_ENOMEM (error record set; v unchanged). */
int cerd__violations_add(cerd_violations *v, size_t *cap, cerd_violation_kind kind,
                         const char *constraint, uint16_t ncolumns, const uint16_t *columns,
                         const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
