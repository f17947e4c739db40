/* RFC 4121 §4.1.1 the authenticator checksum of type 0x8003 that carries GSS flags, the
 * channel-binding hash (channel_bindings.h) and forwarded credentials. */
#ifndef NEGRING_CORE_KRB5_GSS_CHECKSUM_H
#define NEGRING_CORE_KRB5_GSS_CHECKSUM_H

#include <negring/sspi.h>
#include <stdbool.h>

#include "channel_bindings.h"
#include "slice.h"
#include "status.h"
#include "writer.h"

#define NG_GSS_CHECKSUM_TYPE 0x8003

/* RFC 4121 §4.1.1.1 and RFC 2743 flag values. */
#define NG_GSS_C_DELEG_FLAG          0x0001u
#define NG_GSS_C_MUTUAL_FLAG         0x0002u
#define NG_GSS_C_REPLAY_FLAG         0x0004u
#define NG_GSS_C_SEQUENCE_FLAG       0x0008u
#define NG_GSS_C_CONF_FLAG           0x0010u
#define NG_GSS_C_INTEG_FLAG          0x0020u
#define NG_GSS_C_DCE_STYLE           0x1000u
#define NG_GSS_C_IDENTIFY_FLAG       0x2000u
#define NG_GSS_C_EXTENDED_ERROR_FLAG 0x4000u

struct ng_gss_checksum {
    uint8_t bindings_hash[16];
    uint32_t flags;
    struct ng_slice delegation; /* KRB-CRED when NG_GSS_C_DELEG_FLAG, else empty */
};

/* Slices point into `checksum`. NG_ERR_INVALID_TOKEN when malformed. */
ng_status ng_gss_checksum_parse(struct ng_slice checksum, struct ng_gss_checksum *out);
void ng_gss_checksum_write(struct ng_writer *w, const uint8_t bindings_hash[16], uint32_t flags,
                           struct ng_slice delegation);

#endif
