/* The benchmark groups of negring-bench, each registered from bench_main.c. */
#ifndef NEGRING_BENCH_BENCHMARKS_H
#define NEGRING_BENCH_BENCHMARKS_H

#include <stdint.h>

#include "shim.h"

void bench_register_spnego(void);
/* Each run uses `tokens` fresh tokens per acceptor (iterations fixed to that), after `warmup`
 * untimed accepts before an acceptor's first run; the threaded run goes up to max_threads. */
void bench_register_krb5_accept(uint64_t tokens, uint64_t warmup, int max_threads);
/* In-process NTLM accept (bench_ntlm_accept.c), 1 and up to max_threads threads. */
void bench_register_ntlm_accept(int max_threads);
/* The MD5 blocks and RC4 key schedules an NTLM acceptor cannot avoid (bench_ntlm_floor.c). */
void bench_register_ntlm_floor(void);
/* Context table and replay cache from 1 to max_threads threads. */
void bench_register_tables(int max_threads);

#endif
