/* Secret random bytes from the kernel (getrandom), for keys, nonces and challenges the library
 * makes itself.
 *
 * Small requests (up to NG_RANDOM_POOLED bytes: a subkey, a sequence number, a challenge) come
 * from a per-thread pool refilled NG_RANDOM_POOL_SIZE bytes at a time, so a handshake costs a
 * fraction of a system call instead of one or two (getrandom was a tenth of an accept). A refill
 * is the AES-256-CTR keystream (nettle) under a 32-byte key fresh from getrandom, wiped once
 * used: the kernel's generator over every byte cost four times as much. Each byte is handed out
 * once and wiped as it is taken. The pool lives on its own page marked
 * MADV_WIPEONFORK, so a child made by fork() or clone() without CLONE_VM finds it empty and
 * never hands out what its parent will; where such a page cannot be had, every request goes to
 * getrandom. Thread-safe: each thread has its own pool, freed when the thread ends. */
#ifndef NEGRING_CORE_RANDOM_H
#define NEGRING_CORE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define NG_RANDOM_POOLED    64
#define NG_RANDOM_POOL_SIZE 2048

/* NG_ERR_INTERNAL when the kernel gives no random bytes. */
ng_status ng_random_bytes(uint8_t *buf, size_t len);

#endif
