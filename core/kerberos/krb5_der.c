#include "krb5_der.h"

int32_t ng_krb5_read_int32(struct ng_reader *r)
{
    struct ng_slice v = ng_der_read_value(r, NG_DER_INTEGER);
    if (v.len == 0 || v.len > 4 ||
        (v.len > 1 &&
         ((v.ptr[0] == 0 && !(v.ptr[1] & 0x80)) || (v.ptr[0] == 0xff && (v.ptr[1] & 0x80))))) {
        r->failed = true;
        return 0;
    }
    uint32_t u = (v.ptr[0] & 0x80) ? UINT32_MAX : 0;
    for (size_t i = 0; i < v.len; i++)
        u = (u << 8) | v.ptr[i];
    return (int32_t)u;
}

int32_t ng_krb5_read_explicit_int32(struct ng_reader *r, uint8_t ctx_tag)
{
    struct ng_reader field = ng_der_read_expect(r, NG_DER_CONTEXT(ctx_tag));
    int32_t v = ng_krb5_read_int32(&field);
    ng_der_finish(r, &field);
    return v;
}

void ng_krb5_read_typed_octets(struct ng_reader *r, int32_t *type, struct ng_slice *value)
{
    struct ng_reader seq = ng_der_read_expect(r, NG_DER_SEQUENCE);
    *type = ng_krb5_read_explicit_int32(&seq, 0);
    struct ng_reader field = ng_der_read_expect(&seq, NG_DER_CONTEXT(1));
    *value = ng_der_read_octet_string(&field);
    ng_der_finish(&seq, &field);
    ng_der_finish(r, &seq);
}

void ng_krb5_read_principal_name(struct ng_reader *r, struct ng_principal_ref *p)
{
    int32_t unused;
    ng_krb5_read_principal_name_typed(r, p, &unused);
}

void ng_krb5_read_principal_name_typed(struct ng_reader *r, struct ng_principal_ref *p,
                                       int32_t *name_type)
{
    struct ng_reader seq = ng_der_read_expect(r, NG_DER_SEQUENCE);
    *name_type = ng_krb5_read_explicit_int32(&seq, 0);
    struct ng_reader names_field = ng_der_read_expect(&seq, NG_DER_CONTEXT(1));
    struct ng_reader names = ng_der_read_expect(&names_field, NG_DER_SEQUENCE);
    p->ncomponents = 0;
    while (!names.failed && names.len > 0) {
        if (p->ncomponents == sizeof(p->components) / sizeof(p->components[0])) {
            names.failed = true;
            break;
        }
        p->components[p->ncomponents++] = ng_der_read_general_string(&names);
    }
    if (p->ncomponents == 0)
        names.failed = true;
    ng_der_finish(&names_field, &names);
    ng_der_finish(&seq, &names_field);
    ng_der_finish(r, &seq);
}

static bool digits(const uint8_t *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (the usual era-based
 * civil-date arithmetic). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

bool ng_krb5_time_parse(struct ng_slice s, int64_t *out)
{
    int y, mo, d, h, mi, sec;
    if (s.len != NG_KRB5_TIME_LEN || s.ptr[14] != 'Z' || !digits(s.ptr, 4, &y) ||
        !digits(s.ptr + 4, 2, &mo) || !digits(s.ptr + 6, 2, &d) || !digits(s.ptr + 8, 2, &h) ||
        !digits(s.ptr + 10, 2, &mi) || !digits(s.ptr + 12, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

size_t ng_krb5_explicit_uint_size(uint32_t v)
{
    return ng_der_tlv_size(ng_der_tlv_size(ng_der_uint_content_size(v)));
}

void ng_krb5_write_explicit_uint(struct ng_writer *w, uint8_t ctx_tag, uint32_t v)
{
    ng_der_write_header(w, NG_DER_CONTEXT(ctx_tag), ng_der_tlv_size(ng_der_uint_content_size(v)));
    ng_der_write_uint(w, v);
}

size_t ng_krb5_explicit_tlv_size(size_t content_len)
{
    return ng_der_tlv_size(ng_der_tlv_size(content_len));
}

void ng_krb5_write_explicit_tlv(struct ng_writer *w, uint8_t ctx_tag, uint8_t tag,
                                struct ng_slice content)
{
    ng_der_write_header(w, NG_DER_CONTEXT(ctx_tag), ng_der_tlv_size(content.len));
    ng_der_write_tlv(w, tag, content);
}
