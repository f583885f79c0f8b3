/* A program outside the project that links the installed library. */
#include <stdio.h>

#include <cryptoerd/cryptoerd.h>

int main(void)
{
    if (cerd_version_number() != CERD_VERSION_NUMBER) {
        fprintf(stderr, "header %s, library %s\n", CERD_VERSION, cerd_version_string());
        return 1;
    }
    printf("cryptoerd %s, %zu migrations, %s\n", cerd_version_string(), cerd_migration_count(),
           cerd_strerror(CERD_EUNIQUE));
    return 0;
}
