/* ExportSecurityContext / ImportSecurityContextA/W: an established context as a versioned blob,
 * so it can move to another thread or process (e.g. from a ring thread to a worker) and go on
 * protecting messages with the same keys and sequence numbers.
 *
 * The blob is SECRET: it holds the context key and any delegated tickets with their session
 * keys. It is not encrypted or signed (as on Windows, protecting it in transit is the caller's
 * job); ImportSecurityContext parses it with the bounded reader and refuses anything malformed
 * with SEC_E_INVALID_TOKEN. Format, all integers big-endian:
 *
 *   "NGCX" | u16 version (2) | u8 role | u8 package | u8 mech (OID) | u32 req_flags
 *   | u32 ret_flags | i64 start_time | i64 end_time
 *   | the mechanism's record (its export_state, mechanism.h: session keys, sequence numbers and
 *     what else the context needs to go on, in the mechanism's own layout)
 *   | string client | string server | string target      (u16 length, 0xFFFF: none)
 *
 * Version 1 (before the mechanism interface) put the mechanism's fields in the middle; it is
 * refused. Only established contexts export (others: SEC_E_INVALID_HANDLE while negotiating). The
 * export holds the context exclusively, so it never sees a sequence number or an RC4 stream
 * half-updated; SECPKG_CONTEXT_EXPORT_DELETE_OLD then deletes the old handle, otherwise both
 * contexts live on independently (their sequence numbers and NTLM streams would then diverge from
 * the peer's: use one of them). SECPKG_CONTEXT_EXPORT_RESET_NEW has nothing to reset and is
 * accepted; SECPKG_CONTEXT_EXPORT_TO_KERNEL is unsupported. The imported context has no credentials
 * handle behind it: it serves messages and attributes, not further handshake legs. Thread-safe. */
#include <negring/sspi.h>
#include <string.h>

#include "alloc.h"
#include "mechanisms.h"
#include "packages.h"
#include "reader.h"
#include "security_context.h"
#include "sspi_status.h"
#include "utf16.h"
#include "writer.h"

#define BLOB_MAGIC "NGCX"

enum { BLOB_VERSION = 2, NO_STRING = 0xffff };

static void write_string(struct ng_writer *w, const char *s)
{
    size_t len = s != NULL ? strlen(s) : 0;
    if (s == NULL || len >= NO_STRING) {
        ng_write_be16(w, NO_STRING);
        return;
    }
    ng_write_be16(w, (uint16_t)len);
    ng_write_bytes(w, s, len);
}

static ng_status read_string(struct ng_reader *r, char **out)
{
    uint16_t len = ng_read_be16(r);
    if (len == NO_STRING)
        return ng_reader_status(r);
    struct ng_slice s = ng_read_slice(r, len);
    NG_GUARD(ng_reader_status(r));
    if (memchr(s.ptr, '\0', s.len) != NULL)
        return NG_ERR_INVALID_TOKEN;
    *out = ng_alloc(s.len + 1);
    if (*out == NULL)
        return NG_ERR_NOMEM;
    memcpy(*out, s.ptr, s.len);
    return NG_OK;
}

static ng_status serialize(struct ng_context *ctx, struct ng_writer *w)
{
    ng_write_bytes(w, BLOB_MAGIC, 4);
    ng_write_be16(w, BLOB_VERSION);
    ng_write_u8(w, (uint8_t)ctx->role);
    ng_write_u8(w, (uint8_t)ctx->package);
    ng_write_u8(w, (uint8_t)ctx->mech);
    ng_write_be32(w, ctx->req_flags);
    ng_write_be32(w, ctx->ret_flags);
    ng_write_be64(w, (uint64_t)ctx->start_time);
    ng_write_be64(w, (uint64_t)ctx->end_time);
    NG_GUARD(ctx->ops->export_state(ctx, w));
    write_string(w, ctx->client_name);
    write_string(w, ctx->server_name);
    write_string(w, ctx->target_name);
    return NG_OK;
}

/* Measures, then writes into a block of exactly that size (no reallocation leaves copies of the
 * key behind). The caller frees the block with FreeContextBuffer, which wipes it. */
static ng_status export_blob(struct ng_context *ctx, uint8_t **out, size_t *out_len)
{
    if (ctx->state != NG_CTX_COMPLETE)
        return NG_ERR_NO_CONTEXT;
    struct ng_writer measure = ng_writer_fixed(NULL, 0);
    NG_GUARD(serialize(ctx, &measure));
    if (measure.error != NG_ERR_BUFFER_TOO_SMALL)
        return measure.error == NG_OK ? NG_ERR_INTERNAL : measure.error;
    uint8_t *blob = ng_alloc(measure.len);
    if (blob == NULL)
        return NG_ERR_NOMEM;
    struct ng_writer w = ng_writer_fixed(blob, measure.len);
    ng_status status = serialize(ctx, &w);
    if (status == NG_OK)
        status = w.len == measure.len ? ng_writer_status(&w) : NG_ERR_INTERNAL;
    if (status != NG_OK) {
        ng_free_secret(blob, measure.len);
        return status;
    }
    *out = blob;
    *out_len = measure.len;
    return NG_OK;
}

static ng_status check_export_flags(ULONG flags)
{
    if (flags & ~(ULONG)(SECPKG_CONTEXT_EXPORT_RESET_NEW | SECPKG_CONTEXT_EXPORT_DELETE_OLD |
                         SECPKG_CONTEXT_EXPORT_TO_KERNEL))
        return NG_ERR_INVALID_PARAM;
    return (flags & SECPKG_CONTEXT_EXPORT_TO_KERNEL) ? NG_ERR_UNSUPPORTED : NG_OK;
}

SECURITY_STATUS SEC_ENTRY ExportSecurityContext(PCtxtHandle phContext, ULONG fFlags,
                                                PSecBuffer pPackedContext, void **pToken)
{
    struct ng_context *ctx;
    uint8_t *blob = NULL;
    size_t len = 0;
    if (phContext == NULL || ng_context_acquire(phContext, &ctx) != NG_OK)
        return SEC_E_INVALID_HANDLE;
    ng_status status = pPackedContext == NULL ? NG_ERR_INVALID_PARAM : check_export_flags(fFlags);
    if (status == NG_OK && !ng_context_enter_exclusive(ctx))
        status = NG_ERR_INVALID_HANDLE; /* a leg or a message call is using it right now */
    else if (status == NG_OK) {
        status = export_blob(ctx, &blob, &len);
        ng_context_leave_exclusive(ctx);
    }
    ng_context_release(phContext);
    if (status != NG_OK)
        return ng_sec_status(status);
    pPackedContext->pvBuffer = blob;
    pPackedContext->cbBuffer = (ULONG)len;
    if (pToken != NULL)
        *pToken = NULL; /* no impersonation token handle on Linux: see QuerySecurityContextToken */
    if (fFlags & SECPKG_CONTEXT_EXPORT_DELETE_OLD)
        ng_context_delete(phContext);
    return SEC_E_OK;
}

static ng_status parse_blob(struct ng_reader *r, struct ng_context *ctx)
{
    struct ng_slice magic = ng_read_slice(r, 4);
    uint16_t version = ng_read_be16(r);
    uint8_t role = ng_read_u8(r), package = ng_read_u8(r), mech = ng_read_u8(r);
    ctx->req_flags = ng_read_be32(r);
    ctx->ret_flags = ng_read_be32(r);
    ctx->start_time = (int64_t)ng_read_be64(r);
    ctx->end_time = (int64_t)ng_read_be64(r);
    NG_GUARD(ng_reader_status(r));
    const struct ng_mech_ops *ops = ng_mechanism_for_oid((enum ng_mech)mech);
    if (memcmp(magic.ptr, BLOB_MAGIC, 4) != 0 || version != BLOB_VERSION ||
        role > NG_ROLE_INITIATOR || package >= NG_PKG_COUNT || ops == NULL)
        return NG_ERR_INVALID_TOKEN;
    ctx->role = role;
    ctx->package = package;
    ng_context_set_mech(ctx, (enum ng_mech)mech, ops);
    NG_GUARD(ops->import_state(ctx, r));
    NG_GUARD(read_string(r, &ctx->client_name));
    NG_GUARD(read_string(r, &ctx->server_name));
    NG_GUARD(read_string(r, &ctx->target_name));
    return ng_reader_done(r) ? NG_OK : NG_ERR_INVALID_TOKEN;
}

static SECURITY_STATUS import_context(const struct ng_package *pkg, PSecBuffer packed,
                                      PCtxtHandle out)
{
    if (packed == NULL || out == NULL || (packed->cbBuffer > 0 && packed->pvBuffer == NULL))
        return SEC_E_INVALID_PARAMETER;
    if (pkg == NULL)
        return SEC_E_SECPKG_NOT_FOUND;
    struct ng_context *ctx;
    if (ng_context_new(NG_ROLE_ACCEPTOR, pkg->id, NULL, &ctx) != NG_OK) /* no credentials */
        return SEC_E_INSUFFICIENT_MEMORY;
    struct ng_reader r = ng_reader_of(ng_slice_of(packed->pvBuffer, packed->cbBuffer));
    ng_status status = parse_blob(&r, ctx);
    if (status == NG_OK && ctx->package != pkg->id)
        status = NG_ERR_INVALID_TOKEN; /* imported under another package than it came from */
    if (status != NG_OK) {
        ng_context_free(ctx);
        return ng_sec_status(status);
    }
    ctx->state = NG_CTX_COMPLETE;
    return ng_sec_status(ng_context_publish(ctx, out));
}

SECURITY_STATUS SEC_ENTRY ImportSecurityContextA(LPSTR pszPackage, PSecBuffer pPackedContext,
                                                 void *Token, PCtxtHandle phContext)
{
    return import_context(ng_package_find(pszPackage), pPackedContext, phContext);
}

SECURITY_STATUS SEC_ENTRY ImportSecurityContextW(LPWSTR pszPackage, PSecBuffer pPackedContext,
                                                 void *Token, PCtxtHandle phContext)
{
    char *name = NULL;
    if (pszPackage != NULL && ng_utf16z_to_utf8(pszPackage, &name, NULL) != NG_OK)
        return SEC_E_SECPKG_NOT_FOUND;
    SECURITY_STATUS status = import_context(ng_package_find(name), pPackedContext, phContext);
    ng_free(name);
    return status;
}
