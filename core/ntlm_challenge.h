/* Server challenges (MS-NLMP §3.2.5.1.1: the 64-bit nonce of each CHALLENGE_MESSAGE), from a
 * per-thread pool of kernel random bytes refilled NG_NTLM_CHALLENGE_POOL bytes at a time: one
 * getrandom call per 32 handshakes instead of one each (the call was a tenth of the acceptor's
 * share of a handshake). A challenge travels in clear but must be neither predictable nor
 * repeated: each pool byte is handed out once and wiped as it is taken, and a fork child starts
 * with an empty pool (pthread_atfork), so a forked worker never repeats its parent's challenges.
 * Thread-safe (the pool is the calling thread's own). */
#ifndef NEGRING_CORE_NTLM_CHALLENGE_H
#define NEGRING_CORE_NTLM_CHALLENGE_H

#include <stdint.h>

#include "status.h"

#define NG_NTLM_CHALLENGE_POOL 256

/* NG_ERR_INTERNAL when the kernel gives no random bytes. */
ng_status ng_ntlm_server_challenge(uint8_t out[8]);

#endif
