/* The three NTLM messages (MS-NLMP §2.2.1): NEGOTIATE, CHALLENGE and AUTHENTICATE, parsed
 * through the bounded cursor and written through a capacity-checked writer. Every
 * offset/length field becomes a slice checked once by ng_slice_at, so no field can point
 * outside its message. Parsed slices point into the message given to the parser and live as
 * long as it does. No allocation except in the string helpers. Thread-safe. */
#ifndef NEGRING_CORE_NTLM_MESSAGE_H
#define NEGRING_CORE_NTLM_MESSAGE_H

#include "slice.h"
#include "status.h"
#include "writer.h"

/* Larger messages are refused: Windows' NTLM cbMaxToken is 2888, and a generous bound keeps
 * a hostile AV-pair list or user name from costing work. */
#define NG_NTLM_MAX_MESSAGE 12000

enum ng_ntlm_message_type {
    NG_NTLM_NEGOTIATE = 1,
    NG_NTLM_CHALLENGE = 2,
    NG_NTLM_AUTHENTICATE = 3,
};

/* MS-NLMP §2.2.2.5 NegotiateFlags. */
#define NG_NTLMSSP_NEGOTIATE_UNICODE          0x00000001u
#define NG_NTLM_NEGOTIATE_OEM                 0x00000002u
#define NG_NTLMSSP_REQUEST_TARGET             0x00000004u
#define NG_NTLMSSP_NEGOTIATE_SIGN             0x00000010u
#define NG_NTLMSSP_NEGOTIATE_SEAL             0x00000020u
#define NG_NTLMSSP_NEGOTIATE_DATAGRAM         0x00000040u
#define NG_NTLMSSP_NEGOTIATE_LM_KEY           0x00000080u
#define NG_NTLMSSP_NEGOTIATE_NTLM             0x00000200u
#define NG_NTLMSSP_ANONYMOUS                  0x00000800u
#define NG_NTLMSSP_NEGOTIATE_ALWAYS_SIGN      0x00008000u
#define NG_NTLMSSP_TARGET_TYPE_DOMAIN         0x00010000u
#define NG_NTLMSSP_TARGET_TYPE_SERVER         0x00020000u
#define NG_NTLMSSP_NEGOTIATE_EXTENDED_SESSION 0x00080000u
#define NG_NTLMSSP_NEGOTIATE_IDENTIFY         0x00100000u
#define NG_NTLMSSP_NEGOTIATE_TARGET_INFO      0x00800000u
#define NG_NTLMSSP_NEGOTIATE_VERSION          0x02000000u
#define NG_NTLMSSP_NEGOTIATE_128              0x20000000u
#define NG_NTLMSSP_NEGOTIATE_KEY_EXCH         0x40000000u
#define NG_NTLMSSP_NEGOTIATE_56               0x80000000u

/* True when `msg` starts with the "NTLMSSP\0" signature (a raw NTLM token). */
bool ng_ntlm_is_message(struct ng_slice msg);
/* The MessageType of a message with a valid signature; NG_ERR_INVALID_TOKEN otherwise. */
ng_status ng_ntlm_message_type(struct ng_slice msg, uint32_t *type);

/* §2.2.1.1 */
struct ng_ntlm_negotiate {
    uint32_t flags;
    struct ng_slice domain;      /* OEM, only meaningful with ..._OEM_DOMAIN_SUPPLIED */
    struct ng_slice workstation; /* OEM */
};

/* §2.2.1.2 */
struct ng_ntlm_challenge {
    uint32_t flags;
    struct ng_slice target_name; /* UTF-16LE with NEGOTIATE_UNICODE, else OEM */
    uint8_t server_challenge[8];
    struct ng_slice target_info; /* AV pairs (ntlm_av_pairs.h) */
};

/* §2.2.1.3 */
struct ng_ntlm_authenticate {
    uint32_t flags;
    struct ng_slice lm_response;
    struct ng_slice nt_response;
    struct ng_slice domain;      /* UTF-16LE with NEGOTIATE_UNICODE, else OEM */
    struct ng_slice user;        /* ditto */
    struct ng_slice workstation; /* ditto */
    struct ng_slice encrypted_session_key;
    /* The 16 bytes at offset 72 when the header is long enough to hold a MIC (no payload
     * field starts before 88); empty otherwise. Whether it is a MIC is for the AV pairs of
     * the NT response to say (MsvAvFlags bit 0x2). */
    struct ng_slice mic;
};

#define NG_NTLM_MIC_OFFSET 72
#define NG_NTLM_MIC_LEN    16

ng_status ng_ntlm_parse_negotiate(struct ng_slice msg, struct ng_ntlm_negotiate *out);
ng_status ng_ntlm_parse_challenge(struct ng_slice msg, struct ng_ntlm_challenge *out);
ng_status ng_ntlm_parse_authenticate(struct ng_slice msg, struct ng_ntlm_authenticate *out);

/* Writers. With NG_NTLMSSP_NEGOTIATE_VERSION in the flags the Version field says Windows 10
 * (10.0.19041, NTLMSSP revision 15), which is what peers expect to see. */
void ng_ntlm_write_negotiate(struct ng_writer *w, uint32_t flags);
void ng_ntlm_write_challenge(struct ng_writer *w, const struct ng_ntlm_challenge *c);
/* Always writes a Version field and a MIC field (zeros when `a->mic` is empty), so the
 * payload starts at 88; the MIC is at NG_NTLM_MIC_OFFSET from the message's start. */
void ng_ntlm_write_authenticate(struct ng_writer *w, const struct ng_ntlm_authenticate *a);

/* A string field as UTF-8 (NUL-terminated, ng_alloc'd, caller frees): UTF-16LE when
 * `unicode`, else OEM bytes taken as they are (ASCII in practice). NG_ERR_INVALID_TOKEN when
 * the bytes are not a valid string (odd length, unpaired surrogate, embedded NUL). */
ng_status ng_ntlm_string_to_utf8(struct ng_slice field, bool unicode, char **out);
/* The same as a name on the caller's stack: the usual short ASCII name lands in `inline_buf`
 * with no allocation, anything else is converted and allocated. `str` may point into the
 * struct itself, so a decoded name is not copied; ng_ntlm_name_free releases it. */
enum { NG_NTLM_NAME_INLINE = 128 };
struct ng_ntlm_name {
    char *str; /* NUL-terminated UTF-8: inline_buf, or owned */
    char inline_buf[NG_NTLM_NAME_INLINE];
};
ng_status ng_ntlm_name_decode(struct ng_slice field, bool unicode, struct ng_ntlm_name *out);
void ng_ntlm_name_free(struct ng_ntlm_name *n);

/* A name as a message carries it: UTF-16LE when `unicode`, else the bytes themselves (OEM). */
ng_status ng_ntlm_write_name(struct ng_writer *w, const char *name, bool unicode);

/* UTF-8 -> UTF-16LE bytes (ng_alloc'd, caller frees; *out_len in bytes). */
ng_status ng_ntlm_utf16le(const char *utf8, uint8_t **out, size_t *out_len);

#endif
