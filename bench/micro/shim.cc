// The C shim over Google Benchmark (see shim.h). Kept to a thin mapping: every policy
// (token pools, threads, what is timed) lives in the C benchmark files.
#include "shim.h"

#include <benchmark/benchmark.h>

#include <atomic>

// Any run that failed makes ng_bench_main exit non-zero, so a smoke test can rely on the status.
static std::atomic<bool> any_failed{false};

struct ng_bench_state {
    benchmark::State *st;
};

void ng_bench_register(const char *name, ng_bench_fn fn, void *arg,
                       const struct ng_bench_opts *opts)
{
    auto *b = benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &st) {
        ng_bench_state s{&st};
        fn(&s, arg);
    });
    if (opts == nullptr)
        return;
    if (opts->iterations > 0)
        b->Iterations(static_cast<benchmark::IterationCount>(opts->iterations));
    if (opts->max_threads > 1)
        b->ThreadRange(opts->min_threads > 0 ? opts->min_threads : 1, opts->max_threads);
    if (opts->real_time)
        b->UseRealTime();
}

bool ng_bench_running(struct ng_bench_state *s)
{
    return s->st->KeepRunning();
}

uint64_t ng_bench_max_iterations(const struct ng_bench_state *s)
{
    return static_cast<uint64_t>(s->st->max_iterations);
}

uint64_t ng_bench_iterations(const struct ng_bench_state *s)
{
    return static_cast<uint64_t>(s->st->iterations());
}

int ng_bench_thread_index(const struct ng_bench_state *s)
{
    return s->st->thread_index();
}

int ng_bench_threads(const struct ng_bench_state *s)
{
    return s->st->threads();
}

void ng_bench_pause(struct ng_bench_state *s)
{
    s->st->PauseTiming();
}

void ng_bench_resume(struct ng_bench_state *s)
{
    s->st->ResumeTiming();
}

void ng_bench_fail(struct ng_bench_state *s, const char *message)
{
    any_failed = true;
    s->st->SkipWithError(message);
}

void ng_bench_set_items(struct ng_bench_state *s, int64_t items)
{
    s->st->SetItemsProcessed(items);
}

void ng_bench_counter(struct ng_bench_state *s, const char *name, double value)
{
    s->st->counters[name] = benchmark::Counter(value);
}

void ng_bench_do_not_optimize(const void *p)
{
    benchmark::DoNotOptimize(p);
}

int ng_bench_main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return any_failed ? 1 : 0;
}
