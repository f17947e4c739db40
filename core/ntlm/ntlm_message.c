#include "ntlm_message.h"

#include "alloc.h"
#include "reader.h"
#include "utf16.h"

static const uint8_t signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

/* Windows 10 2004 (10.0.19041), NTLMSSP_REVISION_W2K3 (§2.2.2.10). */
static const uint8_t our_version[8] = {10, 0, 0x61, 0x4a, 0, 0, 0, 15};

enum {
    NEGOTIATE_HEADER = 32,
    CHALLENGE_HEADER = 48,
    AUTHENTICATE_HEADER = 64,
    VERSION_LEN = 8,
};

bool ng_ntlm_is_message(struct ng_slice msg)
{
    return msg.len >= sizeof(signature) && memcmp(msg.ptr, signature, sizeof(signature)) == 0;
}

ng_status ng_ntlm_message_type(struct ng_slice msg, uint32_t *type)
{
    if (!ng_ntlm_is_message(msg) || msg.len < 12 || msg.len > NG_NTLM_MAX_MESSAGE)
        return NG_ERR_INVALID_TOKEN;
    struct ng_reader r = ng_reader_of(msg);
    ng_read_skip(&r, sizeof(signature));
    *type = ng_read_le32(&r);
    return NG_OK;
}

/* §2.2.1: Len (2), MaxLen (2), BufferOffset (4) naming bytes of the whole message. The lowest
 * offset of a non-empty field tells where the payload (and so the header) ends. */
struct field_reader {
    struct ng_reader r;
    struct ng_slice whole;
    bool ok;
    uint32_t payload_start;
};

static struct ng_slice read_field(struct field_reader *f)
{
    uint16_t len = ng_read_le16(&f->r);
    (void)ng_read_le16(&f->r); /* MaxLen: informational (§2.2.1.1 "SHOULD be set to Len") */
    uint32_t offset = ng_read_le32(&f->r);
    if (len == 0)
        return NG_SLICE_EMPTY;
    if (offset < f->payload_start)
        f->payload_start = offset;
    return ng_slice_at(f->whole, offset, len, &f->ok);
}

static ng_status begin(struct ng_slice msg, uint32_t want_type, size_t header,
                       struct field_reader *f)
{
    uint32_t type;
    NG_GUARD(ng_ntlm_message_type(msg, &type));
    if (type != want_type || msg.len < header)
        return NG_ERR_INVALID_TOKEN;
    *f = (struct field_reader){ng_reader_of(msg), msg, true, UINT32_MAX};
    ng_read_skip(&f->r, 12);
    return NG_OK;
}

static ng_status finish(const struct field_reader *f, size_t header)
{
    if (!f->ok || f->r.failed)
        return NG_ERR_INVALID_TOKEN;
    /* A field may not overlap the fixed header it is described in. */
    if (f->payload_start != UINT32_MAX && f->payload_start < header)
        return NG_ERR_INVALID_TOKEN;
    return NG_OK;
}

ng_status ng_ntlm_parse_negotiate(struct ng_slice msg, struct ng_ntlm_negotiate *out)
{
    struct field_reader f;
    *out = (struct ng_ntlm_negotiate){0};
    /* Windows 2000-era clients send a 16-byte NEGOTIATE without the two fields. */
    NG_GUARD(begin(msg, NG_NTLM_NEGOTIATE, 16, &f));
    out->flags = ng_read_le32(&f.r);
    if (msg.len >= NEGOTIATE_HEADER) {
        out->domain = read_field(&f);
        out->workstation = read_field(&f);
    }
    return finish(&f, msg.len >= NEGOTIATE_HEADER ? NEGOTIATE_HEADER : 16);
}

ng_status ng_ntlm_parse_challenge(struct ng_slice msg, struct ng_ntlm_challenge *out)
{
    struct field_reader f;
    *out = (struct ng_ntlm_challenge){0};
    NG_GUARD(begin(msg, NG_NTLM_CHALLENGE, CHALLENGE_HEADER, &f));
    out->target_name = read_field(&f);
    out->flags = ng_read_le32(&f.r);
    struct ng_slice chal = ng_read_slice(&f.r, 8);
    if (chal.len == 8)
        memcpy(out->server_challenge, chal.ptr, 8);
    ng_read_skip(&f.r, 8); /* Reserved */
    out->target_info = read_field(&f);
    return finish(&f, CHALLENGE_HEADER);
}

ng_status ng_ntlm_parse_authenticate(struct ng_slice msg, struct ng_ntlm_authenticate *out)
{
    struct field_reader f;
    *out = (struct ng_ntlm_authenticate){0};
    NG_GUARD(begin(msg, NG_NTLM_AUTHENTICATE, AUTHENTICATE_HEADER, &f));
    out->lm_response = read_field(&f);
    out->nt_response = read_field(&f);
    out->domain = read_field(&f);
    out->user = read_field(&f);
    out->workstation = read_field(&f);
    out->encrypted_session_key = read_field(&f);
    out->flags = ng_read_le32(&f.r);
    NG_GUARD(finish(&f, AUTHENTICATE_HEADER));
    size_t mic_end = NG_NTLM_MIC_OFFSET + NG_NTLM_MIC_LEN;
    if (msg.len >= mic_end && f.payload_start >= mic_end)
        out->mic = ng_slice_of(msg.ptr + NG_NTLM_MIC_OFFSET, NG_NTLM_MIC_LEN);
    return NG_OK;
}

static void write_header(struct ng_writer *w, uint32_t type)
{
    ng_write_bytes(w, signature, sizeof(signature));
    ng_write_le32(w, type);
}

/* A field descriptor for a payload that will sit at *offset; advances the offset. */
static void write_field(struct ng_writer *w, size_t len, size_t *offset)
{
    if (len > UINT16_MAX) {
        w->error = w->error == NG_OK ? NG_ERR_INVALID_PARAM : w->error;
        return;
    }
    ng_write_le16(w, (uint16_t)len);
    ng_write_le16(w, (uint16_t)len);
    ng_write_le32(w, (uint32_t)*offset);
    *offset += len;
}

static void write_version(struct ng_writer *w, uint32_t flags)
{
    if (flags & NG_NTLMSSP_NEGOTIATE_VERSION)
        ng_write_bytes(w, our_version, sizeof(our_version));
    else
        ng_write_bytes(w, (uint8_t[VERSION_LEN]){0}, VERSION_LEN);
}

void ng_ntlm_write_negotiate(struct ng_writer *w, uint32_t flags)
{
    size_t offset = NEGOTIATE_HEADER + VERSION_LEN;
    write_header(w, NG_NTLM_NEGOTIATE);
    ng_write_le32(w, flags);
    write_field(w, 0, &offset);
    write_field(w, 0, &offset);
    write_version(w, flags);
}

void ng_ntlm_write_challenge(struct ng_writer *w, const struct ng_ntlm_challenge *c)
{
    size_t offset = CHALLENGE_HEADER + VERSION_LEN;
    write_header(w, NG_NTLM_CHALLENGE);
    write_field(w, c->target_name.len, &offset);
    ng_write_le32(w, c->flags);
    ng_write_bytes(w, c->server_challenge, 8);
    ng_write_bytes(w, (uint8_t[8]){0}, 8);
    write_field(w, c->target_info.len, &offset);
    write_version(w, c->flags);
    ng_write_slice(w, c->target_name);
    ng_write_slice(w, c->target_info);
}

void ng_ntlm_write_authenticate(struct ng_writer *w, const struct ng_ntlm_authenticate *a)
{
    size_t offset = NG_NTLM_MIC_OFFSET + NG_NTLM_MIC_LEN;
    write_header(w, NG_NTLM_AUTHENTICATE);
    write_field(w, a->lm_response.len, &offset);
    write_field(w, a->nt_response.len, &offset);
    write_field(w, a->domain.len, &offset);
    write_field(w, a->user.len, &offset);
    write_field(w, a->workstation.len, &offset);
    write_field(w, a->encrypted_session_key.len, &offset);
    ng_write_le32(w, a->flags);
    write_version(w, a->flags | NG_NTLMSSP_NEGOTIATE_VERSION);
    if (a->mic.len == NG_NTLM_MIC_LEN)
        ng_write_slice(w, a->mic);
    else
        ng_write_bytes(w, (uint8_t[NG_NTLM_MIC_LEN]){0}, NG_NTLM_MIC_LEN);
    ng_write_slice(w, a->lm_response);
    ng_write_slice(w, a->nt_response);
    ng_write_slice(w, a->domain);
    ng_write_slice(w, a->user);
    ng_write_slice(w, a->workstation);
    ng_write_slice(w, a->encrypted_session_key);
}

/* True when every UTF-16LE unit of `field` (even length) is ASCII other than NUL. */
static bool ascii_units(struct ng_slice field)
{
    for (size_t i = 0; i < field.len; i += 2)
        if (field.ptr[i] == 0 || field.ptr[i] >= 0x80 || field.ptr[i + 1] != 0)
            return false;
    return true;
}

/* The length of the field's UTF-8 when it is that of an OEM or ASCII string, whose bytes (the
 * low ones for UTF-16LE) are its UTF-8 with no conversion: the usual name. SIZE_MAX when the
 * field needs converting or checking further. */
static size_t plain_length(struct ng_slice field, bool unicode)
{
    if (!unicode)
        return memchr(field.ptr ? (const void *)field.ptr : "", 0, field.len) ? SIZE_MAX
                                                                              : field.len;
    return field.len % 2 == 0 && ascii_units(field) ? field.len / 2 : SIZE_MAX;
}

/* The plain string's `len` bytes and a terminator into `out`. */
static void copy_plain(struct ng_slice field, bool unicode, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (char)field.ptr[unicode ? 2 * i : i];
    out[len] = '\0';
}

ng_status ng_ntlm_string_to_utf8(struct ng_slice field, bool unicode, char **out)
{
    *out = NULL;
    size_t len = plain_length(field, unicode);
    if (len != SIZE_MAX) {
        if ((*out = ng_alloc(len + 1)) == NULL)
            return NG_ERR_NOMEM;
        copy_plain(field, unicode, len, *out);
        return NG_OK;
    }
    if (!unicode || field.len % 2 != 0)
        return NG_ERR_INVALID_TOKEN; /* an OEM string with a NUL; odd UTF-16 */
    size_t units = field.len / 2;
    SEC_WCHAR *wide = ng_alloc((units + 1) * sizeof(SEC_WCHAR)); /* aligned copy */
    if (wide == NULL)
        return NG_ERR_NOMEM;
    for (size_t i = 0; i < units; i++)
        wide[i] = (SEC_WCHAR)(field.ptr[2 * i] | (field.ptr[2 * i + 1] << 8));
    size_t ignored;
    ng_status status = ng_utf16_to_utf8(wide, units, out, &ignored);
    ng_free(wide);
    if (status == NG_ERR_INVALID_PARAM)
        status = NG_ERR_INVALID_TOKEN;
    return status;
}

ng_status ng_ntlm_name_decode(struct ng_slice field, bool unicode, struct ng_ntlm_name *out)
{
    out->str = out->inline_buf;
    size_t len = plain_length(field, unicode);
    if (len < sizeof(out->inline_buf)) {
        copy_plain(field, unicode, len, out->inline_buf);
        return NG_OK;
    }
    return ng_ntlm_string_to_utf8(field, unicode, &out->str);
}

void ng_ntlm_name_free(struct ng_ntlm_name *n)
{
    if (n->str != n->inline_buf)
        ng_free(n->str);
    n->str = NULL;
}

static bool is_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

/* An ASCII name (nearly always) is widened in place, each byte then a zero, with no conversion
 * buffer. */
ng_status ng_ntlm_write_name(struct ng_writer *w, const char *name, bool unicode)
{
    size_t len = strlen(name);
    if (!unicode) {
        ng_write_bytes(w, name, len);
        return NG_OK;
    }
    if (is_ascii(name, len)) {
        uint8_t *p = ng_writer_reserve(w, 2 * len);
        for (size_t i = 0; p != NULL && i < len; i++) {
            p[2 * i] = (uint8_t)name[i];
            p[2 * i + 1] = 0;
        }
        return NG_OK;
    }
    uint8_t *bytes = NULL;
    NG_GUARD(ng_ntlm_utf16le(name, &bytes, &len));
    ng_write_bytes(w, bytes, len);
    ng_free(bytes);
    return NG_OK;
}

ng_status ng_ntlm_utf16le(const char *utf8, uint8_t **out, size_t *out_len)
{
    SEC_WCHAR *wide = NULL;
    size_t units = 0;
    *out = NULL;
    *out_len = 0;
    NG_GUARD(ng_utf8_to_utf16(utf8, strlen(utf8), &wide, &units));
    uint8_t *bytes = ng_alloc(units * 2 + 1);
    if (bytes == NULL) {
        ng_free(wide);
        return NG_ERR_NOMEM;
    }
    for (size_t i = 0; i < units; i++) {
        bytes[2 * i] = (uint8_t)(wide[i] & 0xff);
        bytes[2 * i + 1] = (uint8_t)(wide[i] >> 8);
    }
    ng_free(wide);
    *out = bytes;
    *out_len = units * 2;
    return NG_OK;
}
