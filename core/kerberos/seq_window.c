#include "seq_window.h"

enum { WINDOW = 64 };

/* A number ahead of the expected one: the messages between were skipped (or are late). */
static ng_status accept_ahead(uint64_t *next, uint64_t *seen, uint64_t seq, unsigned checks)
{
    uint64_t shift = seq - *next + 1;
    if (seq != *next && (checks & NG_SEQ_ORDER))
        return NG_ERR_OUT_OF_SEQUENCE;
    *seen = (shift >= WINDOW ? 0 : *seen << shift) | 1;
    *next = seq + 1;
    return NG_OK;
}

/* A number behind the expected one: a replay when already seen, else a late message. */
static ng_status accept_behind(uint64_t next, uint64_t *seen, uint64_t seq, unsigned checks)
{
    uint64_t back = next - 1 - seq;
    if (back >= WINDOW) /* too old to tell a replay from a late message */
        return checks ? NG_ERR_OUT_OF_SEQUENCE : NG_OK;
    uint64_t bit = UINT64_C(1) << back;
    if (*seen & bit) {
        if (checks & NG_SEQ_REPLAY)
            return NG_ERR_MESSAGE_ALTERED;
        return (checks & NG_SEQ_ORDER) ? NG_ERR_OUT_OF_SEQUENCE : NG_OK;
    }
    if (checks & NG_SEQ_ORDER)
        return NG_ERR_OUT_OF_SEQUENCE;
    *seen |= bit;
    return NG_OK;
}

ng_status ng_seq_accept(uint64_t *next, uint64_t *seen, uint64_t seq, unsigned checks)
{
    /* Unsigned distance so a window that wraps past 2^64 still compares correctly. */
    if (seq - *next < (UINT64_C(1) << 63))
        return accept_ahead(next, seen, seq, checks);
    return accept_behind(*next, seen, seq, checks);
}
