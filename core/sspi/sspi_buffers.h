/* SecBufferDesc handling shared by the context functions: finding the input token and the
 * channel bindings, and producing the output token either in the caller's buffer (zero-copy,
 * SEC_E_BUFFER_TOO_SMALL when it does not fit) or in memory we allocate
 * (ASC_REQ_ALLOCATE_MEMORY / ISC_REQ_ALLOCATE_MEMORY, freed with FreeContextBuffer). */
#ifndef NEGRING_CORE_SSPI_BUFFERS_H
#define NEGRING_CORE_SSPI_BUFFERS_H

#include <negring/sspi.h>
#include <stdbool.h>

#include "message.h"
#include "slice.h"
#include "status.h"
#include "writer.h"

/* The first buffer of `type` (READONLY attribute bits ignored); NULL if none. */
ng_status ng_find_buffer(const SecBufferDesc *desc, ULONG type, SecBuffer **out);

/* The input token and the channel bindings (empty slices when absent). */
ng_status ng_input_token(const SecBufferDesc *in, struct ng_slice *token,
                         struct ng_slice *bindings);

/* An output token in preparation. */
struct ng_output {
    SecBuffer *buffer; /* the caller's SECBUFFER_TOKEN, or NULL */
    bool allocate;     /* we allocate the token */
    struct ng_writer writer;
};

ng_status ng_output_begin(SecBufferDesc *out, bool allocate, struct ng_output *o);
/* Hands the token to the caller (cbBuffer and, when allocating, pvBuffer). Returns
 * NG_ERR_BUFFER_TOO_SMALL (cbBuffer set to the size needed) when a fixed buffer was short,
 * NG_ERR_INVALID_PARAM when a token was produced but there is nowhere to put it. */
ng_status ng_output_finish(struct ng_output *o);
void ng_output_abandon(struct ng_output *o);

struct ng_context;
/* A mechanism-level step of a handshake (ng_negotiate_accept, ng_negotiate_initiate). */
typedef ng_status (*ng_leg_fn)(struct ng_context *ctx, struct ng_slice input,
                               struct ng_slice bindings, struct ng_writer *out);

/* One leg on `ctx`: input token and bindings from `in`, the reply into `out` (allocated when
 * `allocate`; *allocated says whether the caller now owns memory to free). */
ng_status ng_run_leg(struct ng_context *ctx, ng_leg_fn step, SecBufferDesc *in, SecBufferDesc *out,
                     bool allocate, bool *allocated);

#endif
