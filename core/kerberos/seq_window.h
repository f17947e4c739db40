/* Receive-side sequence checking for per-message tokens (RFC 2743 §1.2.3, RFC 4121 §4.2.3):
 * the next number expected from the peer and a window of the 64 numbers before it, so a
 * replayed, late or skipped message is told apart from the next one. Not thread-safe: callers
 * hold the lock that guards the two words. */
#ifndef NEGRING_CORE_SEQ_WINDOW_H
#define NEGRING_CORE_SEQ_WINDOW_H

#include <stdint.h>

#include "status.h"

enum ng_seq_checks {
    NG_SEQ_REPLAY = 1, /* ASC_RET_REPLAY_DETECT / ISC_RET_REPLAY_DETECT */
    NG_SEQ_ORDER = 2,  /* ASC_RET_SEQUENCE_DETECT / ISC_RET_SEQUENCE_DETECT */
};

/* Records `seq` as received. With the checks asked for: a number seen before is
 * NG_ERR_MESSAGE_ALTERED (replay); a gap, a late message or one older than the window is
 * NG_ERR_OUT_OF_SEQUENCE. A refused number leaves the state unchanged. `next`: the number
 * expected; `seen`: bit i set when next - 1 - i arrived. */
ng_status ng_seq_accept(uint64_t *next, uint64_t *seen, uint64_t seq, unsigned checks);

#endif
