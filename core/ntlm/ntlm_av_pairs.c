#include "ntlm_av_pairs.h"

#include "ntlm_message.h"

bool ng_av_pairs_next(struct ng_reader *r, uint16_t *id, struct ng_slice *value)
{
    *id = ng_read_le16(r);
    uint16_t len = ng_read_le16(r);
    *value = ng_read_slice(r, len);
    return !r->failed && *id != NG_AV_EOL;
}

static size_t expected_size(uint16_t id)
{
    switch (id) {
    case NG_AV_FLAGS:
        return 4;
    case NG_AV_TIMESTAMP:
        return 8;
    case NG_AV_CHANNEL_BINDINGS:
        return 16;
    default:
        return SIZE_MAX;
    }
}

static uint64_t le_value(struct ng_slice v)
{
    struct ng_reader r = ng_reader_of(v);
    return v.len == 8 ? ng_read_le64(&r) : ng_read_le32(&r);
}

ng_status ng_av_pairs_parse(struct ng_slice list, struct ng_av_pairs *out)
{
    *out = (struct ng_av_pairs){0};
    struct ng_reader r = ng_reader_of(list);
    uint16_t id;
    struct ng_slice value;
    while (ng_av_pairs_next(&r, &id, &value)) {
        if (++out->count > NG_AV_MAX_PAIRS)
            return NG_ERR_INVALID_TOKEN;
        if (id >= NG_AV_ID_COUNT || out->present[id])
            continue; /* unknown ids are skipped; the first of a duplicate wins */
        size_t want = expected_size(id);
        if (want != SIZE_MAX && value.len != want)
            return NG_ERR_INVALID_TOKEN;
        out->present[id] = true;
        out->value[id] = value;
        if (id == NG_AV_FLAGS)
            out->flags = (uint32_t)le_value(value);
        else if (id == NG_AV_TIMESTAMP)
            out->timestamp = le_value(value);
    }
    if (r.failed) {
        *out = (struct ng_av_pairs){0};
        return NG_ERR_INVALID_TOKEN;
    }
    return NG_OK;
}

void ng_av_pair_write(struct ng_writer *w, uint16_t id, struct ng_slice value)
{
    if (value.len > UINT16_MAX) {
        w->error = w->error == NG_OK ? NG_ERR_INVALID_PARAM : w->error;
        return;
    }
    ng_write_le16(w, id);
    ng_write_le16(w, (uint16_t)value.len);
    ng_write_slice(w, value);
}

void ng_av_pair_write_eol(struct ng_writer *w)
{
    ng_write_le32(w, 0);
}

/* The pair's length is filled in once the name is written. */
ng_status ng_av_pair_write_name(struct ng_writer *w, uint16_t id, const char *name)
{
    if (name == NULL)
        return NG_OK;
    ng_write_le16(w, id);
    size_t at = w->len;
    ng_write_le16(w, 0);
    NG_GUARD(ng_ntlm_write_name(w, name, true));
    ng_status written = ng_writer_status(w);
    if (written != NG_OK && written != NG_ERR_BUFFER_TOO_SMALL)
        return NG_OK; /* nothing was counted: the writer keeps its error for the caller */
    size_t len = w->len - at - 2;
    if (len > UINT16_MAX)
        return NG_ERR_INVALID_PARAM;
    if (ng_writer_status(w) == NG_OK) {
        w->buf[at] = (uint8_t)len;
        w->buf[at + 1] = (uint8_t)(len >> 8);
    }
    return NG_OK;
}
