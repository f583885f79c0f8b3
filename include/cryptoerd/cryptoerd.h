/**
 * @file cryptoerd.h
 * @brief libcryptoerd: the data layer of the crypto-market analytics platform.
 *
 * Include this one header. Link with `-lcryptoerd` (pkg-config: `cryptoerd`;
 * CMake: `find_package(cryptoerd CONFIG)` and `cryptoerd::cryptoerd`).
 *
 * Ownership, stated once: what a function returns through `T **out` belongs to the
 * caller and is released with `cerd_T_free()`, which accepts NULL; pointers returned
 * by getters are borrowed. Thread safety: a ::cerd_conn is used by one thread at a
 * time; the error record is per thread.
 */
#ifndef CRYPTOERD_H
#define CRYPTOERD_H

#include <cryptoerd/common.h>
#include <cryptoerd/version.h>
#include <cryptoerd/error.h>
#include <cryptoerd/conn.h>
#include <cryptoerd/migrate.h>
#include <cryptoerd/types.h>
#include <cryptoerd/descriptor.h>
#include <cryptoerd/row.h>
#include <cryptoerd/json.h>
#include <cryptoerd/validate.h>
#include <cryptoerd/factory.h>
#include <cryptoerd/pool.h>
#include <cryptoerd/bulk.h>
#include <cryptoerd/fixtures.h>
#include <cryptoerd/partitions.h>
#include <cryptoerd/transfer.h>
#include <cryptoerd/rowtext.h>
#include <cryptoerd/tables.h>

#endif
