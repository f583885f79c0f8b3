#include "cryptoerd/version.h"

int cerd_version_number(void)
{
    return CERD_VERSION_NUMBER;
}

const char *cerd_version_string(void)
{
    return CERD_VERSION;
}
