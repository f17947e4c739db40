/* A C face for Google Benchmark, so micro-benchmarks are written in C against libnegring.
 *
 * A benchmark is a function taking an opaque state; its body does untimed setup, then loops
 * `while (ng_bench_running(st)) { ... }` (only the loop is timed). Register benchmarks before
 * ng_bench_main. Not thread-safe to register; a running body may be called from several
 * threads at once when registered with threads > 1. */
#ifndef NEGRING_BENCH_SHIM_H
#define NEGRING_BENCH_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ng_bench_state;
typedef void (*ng_bench_fn)(struct ng_bench_state *st, void *arg);

struct ng_bench_opts {
    uint64_t iterations; /* 0: let the library choose; else exactly this many per run */
    int min_threads;     /* 0 or 1: single-threaded */
    int max_threads;     /* with min_threads: runs 1, 2, 4 ... max_threads (ThreadRange) */
    bool real_time;      /* wall-clock time (for multi-threaded runs) */
};

void ng_bench_register(const char *name, ng_bench_fn fn, void *arg,
                       const struct ng_bench_opts *opts);

/* The timed loop condition. */
bool ng_bench_running(struct ng_bench_state *st);
/* Iterations this run will do (known before the loop when opts.iterations was set). */
uint64_t ng_bench_max_iterations(const struct ng_bench_state *st);
/* Iterations this thread has run so far (after the loop: all of them). */
uint64_t ng_bench_iterations(const struct ng_bench_state *st);
int ng_bench_thread_index(const struct ng_bench_state *st);
int ng_bench_threads(const struct ng_bench_state *st);
void ng_bench_pause(struct ng_bench_state *st);
void ng_bench_resume(struct ng_bench_state *st);
/* Marks the run failed (the message is printed instead of figures). Call before or in place of
 * the loop, or break out of it after calling. */
void ng_bench_fail(struct ng_bench_state *st, const char *message);
void ng_bench_set_items(struct ng_bench_state *st, int64_t items);
/* A user counter reported beside the time (e.g. failures). */
void ng_bench_counter(struct ng_bench_state *st, const char *name, double value);
/* Keeps the compiler from optimising a result away. */
void ng_bench_do_not_optimize(const void *p);

/* Runs the registered benchmarks that match the command line (--benchmark_filter etc.).
 * Returns the process exit status: 1 when any run called ng_bench_fail, 2 on a bad flag. */
int ng_bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
