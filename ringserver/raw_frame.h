/* Framing of the raw token protocol's client frames (docs/ringserver.md "Raw protocol"):
 * u32 length (big-endian) | token. A pure function over the bytes received so far, so the
 * connection code, the unit tests and the fuzzer (tests/fuzz/fuzz_raw_frame.c) share it. */
#ifndef RINGSERVER_RAW_FRAME_H
#define RINGSERVER_RAW_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum rs_raw_frame_kind {
    RS_RAW_NEED_MORE, /* the frame is not complete yet: read more, consume nothing */
    RS_RAW_FRAME,     /* one whole frame: `token` (length 0 is the empty token) */
    RS_RAW_TOO_LARGE, /* the length field exceeds max_token: refuse and close */
};

struct rs_raw_frame {
    enum rs_raw_frame_kind kind;
    struct rs_slice token; /* RS_RAW_FRAME: points into `data` */
    size_t consumed;       /* RS_RAW_FRAME: 4 + token length; otherwise 0 */
    uint32_t length;       /* the length field, once 4 bytes are there (else 0) */
};

/* Looks at the start of `data` (len bytes received so far). The too-large verdict comes as soon
 * as the length field is complete, before any token byte is buffered. Thread-safe. */
struct rs_raw_frame rs_raw_frame_parse(const uint8_t *data, size_t len, size_t max_token);

#endif
