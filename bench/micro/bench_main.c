/* negring-bench: the micro-benchmarks (Google Benchmark flags apply, e.g. --benchmark_filter).
 * Own flags, taken off the command line before Google Benchmark sees it:
 *   --tokens=N    tokens per Kerberos accept run (default 5000; each token is used once)
 *   --warmup=N    untimed accepts per acceptor before its first run (default 0)
 *   --threads=N   most threads for the table and threaded accept benchmarks (default 2 * CPUs) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchmarks.h"

static long flag_value(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 ? strtol(arg + n, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
    long tokens = 5000, warmup = 0, threads = 2 * sysconf(_SC_NPROCESSORS_ONLN);
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        long v;
        if ((v = flag_value(argv[i], "--tokens=")) > 0)
            tokens = v;
        else if ((v = flag_value(argv[i], "--warmup=")) >= 0)
            warmup = v;
        else if ((v = flag_value(argv[i], "--threads=")) > 0)
            threads = v;
        else
            argv[kept++] = argv[i];
    }
    argc = kept;
    bench_register_spnego();
    bench_register_krb5_accept((uint64_t)tokens, (uint64_t)warmup, (int)threads);
    bench_register_ntlm_accept((int)threads);
    bench_register_ntlm_floor();
    bench_register_tables((int)threads);
    return ng_bench_main(argc, argv);
}
