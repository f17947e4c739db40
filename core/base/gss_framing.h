/* RFC 2743 §3.1 mechanism-independent token framing, used on the first token of a context:
 *
 *   InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
 *       thisMech          MechType,     -- OBJECT IDENTIFIER
 *       innerContextToken ANY DEFINED BY thisMech }
 *
 * Encoded as 0x60 <len> 06 <oidlen> <oid> <inner>. All functions are thread-safe. */
#ifndef NEGRING_CORE_GSS_FRAMING_H
#define NEGRING_CORE_GSS_FRAMING_H

#include "slice.h"
#include "status.h"
#include "writer.h"

/* Splits a framed token. On NG_OK, *mech_oid holds the OID contents octets and *inner the
 * innerContextToken, both slices into `token`. The frame must span the whole token (nothing
 * trailing) and the OID must be well formed; otherwise NG_ERR_INVALID_TOKEN and both outputs
 * are empty. */
ng_status ng_gss_frame_parse(struct ng_slice token, struct ng_slice *mech_oid,
                             struct ng_slice *inner);

/* Total encoded size of a frame around an OID of oid_len contents octets and inner_len octets
 * of inner token. Saturates at SIZE_MAX. */
size_t ng_gss_frame_size(size_t oid_len, size_t inner_len);

/* Writes the [APPLICATION 0] header and thisMech; the caller then writes exactly inner_len
 * octets of innerContextToken. */
void ng_gss_frame_write_header(struct ng_writer *w, struct ng_slice mech_oid, size_t inner_len);

/* Writes a whole frame whose innerContextToken is the concatenation of parts[0..nparts), e.g.
 * a 2-byte krb5 TOK_ID then an AP-REQ, so nothing needs copying beforehand. */
void ng_gss_frame_write(struct ng_writer *w, struct ng_slice mech_oid, const struct ng_slice *parts,
                        size_t nparts);

#endif
