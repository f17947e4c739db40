/* RESP2, the Redis serialization protocol (https://redis.io/docs/reference/protocol-spec/):
 * commands out as arrays of bulk strings, replies in through a bounded parser.
 *
 * Replies are untrusted bytes (a Redis that is not ours, a man in the middle, a bug): every
 * read goes through a cursor over (pointer, length), each kind of value has a size cap, and a
 * reply that breaks a rule is MALFORMED or TOO_LARGE, never a guess. Only what the commands
 * ringserver sends can get back is accepted: simple strings, errors, integers, bulk strings,
 * nil, and flat arrays of those (RESP3 types, nested arrays: MALFORMED; ringserver never says
 * HELLO 3). Zero-copy: a value's strings are slices into the parsed buffer, valid as long as it.
 *
 * Thread-safe (no state); allocates nothing. */
#ifndef RINGSERVER_RESP_H
#define RINGSERVER_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum rs_resp_type {
    RS_RESP_SIMPLE,  /* +OK */
    RS_RESP_ERROR,   /* -ERR ... */
    RS_RESP_INTEGER, /* :42 */
    RS_RESP_BULK,    /* $3 abc */
    RS_RESP_NIL,     /* $-1 or *-1 */
    RS_RESP_ARRAY,   /* *N, then N values of the kinds above */
};

struct rs_resp_value {
    enum rs_resp_type type;
    struct rs_slice str;  /* SIMPLE, ERROR (without the leading byte), BULK */
    int64_t integer;      /* INTEGER */
    size_t count;         /* ARRAY: elements, read with rs_resp_array_next */
    struct rs_slice body; /* ARRAY: the elements' bytes, already checked */
};

enum rs_resp_result {
    RS_RESP_NEED_MORE, /* a prefix of a valid reply: wait for more bytes */
    RS_RESP_DONE,      /* one reply parsed; *consumed says how long it was */
    RS_RESP_MALFORMED, /* not RESP2 as ringserver reads it */
    RS_RESP_TOO_LARGE, /* a line, bulk string or array over its limit */
};

struct rs_resp_limits {
    size_t max_line;     /* simple strings and errors, without CRLF */
    size_t max_bulk;     /* one bulk string */
    size_t max_elements; /* elements of one array */
};

/* The limits ringserver uses: lines of 512 bytes, bulk strings of 4 KiB (a user name is at
 * most 255 bytes), arrays of 1,048,576 elements (a revocation list of 524,288 users). */
extern const struct rs_resp_limits rs_resp_default_limits;

/* Parses the reply at the start of buf[0..len). On RS_RESP_DONE fills *out and *consumed. */
enum rs_resp_result rs_resp_parse(const uint8_t *buf, size_t len, const struct rs_resp_limits *lim,
                                  struct rs_resp_value *out, size_t *consumed);

/* Walks an ARRAY's elements: `*it` starts as array->body; each call fills *elem with the next
 * element and returns true, false after the last. The body was checked by rs_resp_parse. */
bool rs_resp_array_next(struct rs_slice *it, struct rs_resp_value *elem);

/* Appends a command, `argc` arguments as one array of bulk strings (binary-safe). */
void rs_resp_command(struct rs_out *o, unsigned argc, const struct rs_slice *argv);

/* Reads a decimal integer (an optional '-', then 1..19 digits, nothing else) from a slice, as
 * Redis writes numbers inside bulk strings (INCR counters, sorted-set scores). */
bool rs_resp_slice_int(struct rs_slice s, int64_t *out);

#endif
