/**
 * @file common.h
 * @brief Export macro and the conventions every libcryptoerd header follows.
 *
 * Conventions, stated once for the whole API:
 * - Functions return `int`: 0 (::CERD_OK) on success, a negative ::cerd_error_code on
 *   failure; details of the last failure are in the calling thread's error record
 *   (cerd_error_last()).
 * - Out-parameters come first. What a function hands back through `T **out` belongs to
 *   the caller, who releases it with the matching `cerd_T_free()`; every free function
 *   accepts NULL.
 * - Getters return borrowed pointers that live as long as the object they came from.
 */
#ifndef CRYPTOERD_COMMON_H
#define CRYPTOERD_COMMON_H

/** @cond INTERNAL */
#if defined(CERD_STATIC)
#  define CERD_EXTERN extern
#elif defined(__GNUC__)
#  define CERD_EXTERN extern __attribute__((visibility("default")))
#else
#  define CERD_EXTERN extern
#endif

#ifdef __cplusplus
#  define CERD_BEGIN_DECLS extern "C" {
#  define CERD_END_DECLS }
#else
#  define CERD_BEGIN_DECLS
#  define CERD_END_DECLS
#endif
/** @endcond */

#endif
