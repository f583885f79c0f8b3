/* A program outside the project that uses what the library's API hands out with the
   dependencies' own functions: a cJSON tree freed with cJSON_Delete, a libpq status.
   It links against cryptoerd alone (pkg-config --libs cryptoerd, or the CMake target):
   libcjson and libpq must come with it. */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include <cryptoerd/cryptoerd.h>

int main(void)
{
    static const char text[] = "{\"price\": 12345.678901234567890123}";
    cJSON *doc = NULL;
    int rc = cerd_json_parse(&doc, text, strlen(text));

    if (rc || !cJSON_IsObject(doc)) {
        fprintf(stderr, "cerd_json_parse: %s\n", cerd_strerror(rc));
        return 1;
    }
    cJSON_Delete(doc);
    if (PQstatus(NULL) != CONNECTION_BAD) {
        fprintf(stderr, "PQstatus(NULL) is not CONNECTION_BAD\n");
        return 1;
    }
    printf("cJSON and libpq through cryptoerd\n");
    return 0;
}
