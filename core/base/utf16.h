/* Strict UTF-8 <-> UTF-16LE conversion for the W forms of the SSPI surface (SEC_WCHAR is 16
 * bits, as on Windows). Invalid input is refused, never repaired: overlong or truncated UTF-8,
 * encoded or unpaired surrogates, code points above U+10FFFF, and U+0000 inside a counted
 * string (every consumer treats the result as a C string, so an embedded NUL would silently
 * truncate a principal name). All failures of the input are NG_ERR_INVALID_PARAM.
 *
 * Outputs are NUL-terminated, allocated with ng_alloc and owned by the caller (ng_free, or
 * FreeContextBuffer when handed to an SSPI caller). `out_len` (may be NULL) receives the length
 * without the terminator, in code units. On failure *out is NULL. Thread-safe. */
#ifndef NEGRING_CORE_UTF16_H
#define NEGRING_CORE_UTF16_H

#include <stddef.h>

#include <negring/sspi.h>

#include "status.h"

/* `len` bytes of UTF-8 -> UTF-16. */
ng_status ng_utf8_to_utf16(const char *in, size_t len, SEC_WCHAR **out, size_t *out_len);
/* A NUL-terminated UTF-8 string -> UTF-16. */
ng_status ng_utf8z_to_utf16(const char *in, SEC_WCHAR **out, size_t *out_len);
/* `len` UTF-16 code units -> UTF-8. */
ng_status ng_utf16_to_utf8(const SEC_WCHAR *in, size_t len, char **out, size_t *out_len);
/* A NUL-terminated UTF-16 string -> UTF-8. */
ng_status ng_utf16z_to_utf8(const SEC_WCHAR *in, char **out, size_t *out_len);

/* Code units before the first 0 unit (wcslen for 16-bit strings). */
size_t ng_wcslen16(const SEC_WCHAR *s);

#endif
