/* `cerdgen --dump-model`: writes the model as text (for debugging cerdgen). */
#ifndef CERDGEN_DUMP_MODEL_H
#define CERDGEN_DUMP_MODEL_H

#include <stdio.h>

#include "model.h"

void cg_schema_dump(const cg_schema *s, FILE *out);

#endif
