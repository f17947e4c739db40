#include "sspi_buffers.h"

#include "alloc.h"

static ng_status check_desc(const SecBufferDesc *desc)
{
    if (desc->ulVersion != SECBUFFER_VERSION || desc->cBuffers > NG_MAX_SEC_BUFFERS ||
        (desc->cBuffers > 0 && desc->pBuffers == NULL))
        return NG_ERR_INVALID_PARAM;
    return NG_OK;
}

ng_status ng_find_buffer(const SecBufferDesc *desc, ULONG type, SecBuffer **out)
{
    *out = NULL;
    if (desc == NULL)
        return NG_OK;
    NG_GUARD(check_desc(desc));
    for (ULONG i = 0; i < desc->cBuffers; i++) {
        if ((desc->pBuffers[i].BufferType & ~SECBUFFER_ATTRMASK) == type) {
            *out = &desc->pBuffers[i];
            return NG_OK;
        }
    }
    return NG_OK;
}

static struct ng_slice buffer_slice(const SecBuffer *b)
{
    if (b == NULL || b->pvBuffer == NULL)
        return NG_SLICE_EMPTY;
    return ng_slice_of(b->pvBuffer, b->cbBuffer);
}

ng_status ng_input_token(const SecBufferDesc *in, struct ng_slice *token, struct ng_slice *bindings)
{
    SecBuffer *tok = NULL, *cb = NULL;
    NG_GUARD(ng_find_buffer(in, SECBUFFER_TOKEN, &tok));
    NG_GUARD(ng_find_buffer(in, SECBUFFER_CHANNEL_BINDINGS, &cb));
    if ((tok != NULL && tok->cbBuffer > 0 && tok->pvBuffer == NULL) ||
        (cb != NULL && cb->cbBuffer > 0 && cb->pvBuffer == NULL))
        return NG_ERR_INVALID_PARAM;
    *token = buffer_slice(tok);
    *bindings = buffer_slice(cb);
    return NG_OK;
}

ng_status ng_output_begin(SecBufferDesc *out, bool allocate, struct ng_output *o)
{
    o->allocate = allocate;
    NG_GUARD(ng_find_buffer(out, SECBUFFER_TOKEN, &o->buffer));
    if (allocate || o->buffer == NULL)
        o->writer = ng_writer_growable();
    else
        o->writer =
            ng_writer_fixed(o->buffer->pvBuffer, o->buffer->pvBuffer ? o->buffer->cbBuffer : 0);
    return NG_OK;
}

void ng_output_abandon(struct ng_output *o)
{
    if (o->writer.growable)
        ng_writer_free(&o->writer);
    if (o->buffer != NULL && !o->allocate)
        o->buffer->cbBuffer = 0;
}

ng_status ng_output_finish(struct ng_output *o)
{
    ng_status status = ng_writer_status(&o->writer);
    if (status == NG_ERR_BUFFER_TOO_SMALL) {
        o->buffer->cbBuffer = o->writer.len > UINT32_MAX ? UINT32_MAX : (ULONG)o->writer.len;
        return status;
    }
    NG_GUARD(status);
    if (o->buffer == NULL) {
        bool produced = o->writer.len > 0;
        ng_writer_free(&o->writer);
        return produced ? NG_ERR_INVALID_PARAM : NG_OK;
    }
    if (o->writer.len > UINT32_MAX) {
        ng_output_abandon(o);
        return NG_ERR_INTERNAL;
    }
    o->buffer->cbBuffer = (ULONG)o->writer.len;
    if (o->allocate) {
        size_t len;
        o->buffer->pvBuffer = o->writer.len ? ng_writer_take(&o->writer, &len) : NULL;
        ng_writer_free(&o->writer);
    }
    return NG_OK;
}

ng_status ng_run_leg(struct ng_context *ctx, ng_leg_fn step, SecBufferDesc *in, SecBufferDesc *out,
                     bool allocate, bool *allocated)
{
    struct ng_slice token, bindings;
    struct ng_output output;
    NG_GUARD(ng_input_token(in, &token, &bindings));
    NG_GUARD(ng_output_begin(out, allocate, &output));
    ng_status status = step(ctx, token, bindings, &output.writer);
    ng_status finish = ng_output_finish(&output);
    if (finish != NG_OK) {
        ng_status result = status == NG_OK || status == NG_CONTINUE ? finish : status;
        /* Only a SEC_E_BUFFER_TOO_SMALL answer leaves cbBuffer saying the size needed; after
         * any other failure (an error token that did not fit) the caller must find no token, or
         * it would send cbBuffer bytes from a buffer that holds fewer. */
        if (result != NG_ERR_BUFFER_TOO_SMALL)
            ng_output_abandon(&output);
        return result;
    }
    *allocated = output.allocate && output.buffer != NULL && output.buffer->cbBuffer > 0;
    return status;
}
