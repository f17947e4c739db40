/* Allocation-failure injection for ringserver_faulty, the test build of the real daemon
 * (tests/ringserver/alloc_fail_test.py). Never linked into the ringserver binary.
 *
 * The executable is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc: every call of
 * those from the ringserver objects and from libnegring.a (whose ng_alloc/ng_realloc are the
 * library's only calloc/realloc callers) comes here first, and OpenSSL's allocations are routed
 * here too (CRYPTO_set_mem_functions, before OpenSSL allocates anything), so one counter numbers
 * all the allocations of a TLS handshake and its login in the order they happen. Other shared
 * libraries (libc, libkrb5, liburing) keep their own allocations uncounted.
 *
 * Control: when RS_FAULT_CONTROL names a unix socket path, a thread serves it. One command per
 * line, one answer line each:
 *   fail N       only the Nth allocation from now fails            -> "ok"
 *   failfrom N   the Nth allocation from now and every later fail  -> "ok"
 *   failevery N  every Nth allocation from now fails               -> "ok"
 *   krb5 on|off  also count (and fail) MIT krb5's own allocations   -> "ok"
 *                (tests/harness/krb5_alloc_hook.h; off at start)
 *   count        allocations seen since the last arming            -> the number
 *   off          disarm                                            -> allocations seen
 *   submitfail N  every Nth io_uring_submit fails with -EBUSY, submitting nothing (0: none)
 *                                                                  -> "ok"
 * The last is linked in with -Wl,--wrap=io_uring_submit: the ring's submission queue cannot be
 * flushed, so a helper that finds it full gets no entry (submit.c), as when the kernel refuses
 * submissions while completions overflow.
 * With RS_FAULT_BACKTRACE set, each failed allocation writes its call stack to stderr
 * ("addr2line -e ringserver_faulty +OFFSET" names the lines), to see which one a step hit. */
#include <errno.h>
#include <execinfo.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "krb5_alloc_hook.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *ptr, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
struct io_uring;
int __real_io_uring_submit(struct io_uring *ring);
int __wrap_io_uring_submit(struct io_uring *ring);

enum fail_mode { FAIL_ONE, FAIL_FROM, FAIL_EVERY };

static atomic_ulong fail_at; /* 0: disarmed */
static atomic_int fail_mode;
static atomic_ulong seen;
static bool backtraces;
static atomic_bool krb5_counted;
static atomic_ulong submit_fail_every, submits;
static bool hooked;
static char control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static bool injected(void)
{
    unsigned long at = atomic_load_explicit(&fail_at, memory_order_acquire);
    if (at == 0)
        return false;
    unsigned long seq = atomic_fetch_add_explicit(&seen, 1, memory_order_relaxed) + 1;
    bool fail;
    switch (atomic_load_explicit(&fail_mode, memory_order_relaxed)) {
    case FAIL_FROM:
        fail = seq >= at;
        break;
    case FAIL_EVERY:
        fail = seq % at == 0;
        break;
    default:
        fail = seq == at;
    }
    if (fail && backtraces) {
        void *frames[24];
        dprintf(STDERR_FILENO, "fault_control: allocation %lu fails here:\n", seq);
        backtrace_symbols_fd(frames, backtrace(frames, 24), STDERR_FILENO);
    }
    return fail;
}

static bool krb5_injected(void)
{
    return atomic_load_explicit(&krb5_counted, memory_order_relaxed) && injected();
}

void *__wrap_malloc(size_t size)
{
    return injected() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return injected() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
    return injected() ? NULL : __real_realloc(ptr, size); /* a failed realloc keeps ptr */
}

int __wrap_io_uring_submit(struct io_uring *ring)
{
    unsigned long every = atomic_load_explicit(&submit_fail_every, memory_order_relaxed);
    if (every != 0 && atomic_fetch_add_explicit(&submits, 1, memory_order_relaxed) % every == 0)
        return -EBUSY;
    return __real_io_uring_submit(ring);
}

static void arm(unsigned long n, enum fail_mode mode)
{
    atomic_store(&fail_at, 0);
    atomic_store(&seen, 0);
    atomic_store(&fail_mode, mode);
    atomic_store_explicit(&fail_at, n, memory_order_release);
}

static void answer(int fd, const char *line)
{
    char out[64];
    unsigned long n = 0;
    int len;
    if (sscanf(line, "fail %lu", &n) == 1 && n > 0) {
        arm(n, FAIL_ONE);
        len = snprintf(out, sizeof(out), "ok\n");
    } else if (sscanf(line, "failfrom %lu", &n) == 1 && n > 0) {
        arm(n, FAIL_FROM);
        len = snprintf(out, sizeof(out), "ok\n");
    } else if (sscanf(line, "failevery %lu", &n) == 1 && n > 0) {
        arm(n, FAIL_EVERY);
        len = snprintf(out, sizeof(out), "ok\n");
    } else if (strcmp(line, "krb5 on") == 0 || strcmp(line, "krb5 off") == 0) {
        bool on = strcmp(line, "krb5 on") == 0;
        atomic_store(&krb5_counted, on);
        len = snprintf(out, sizeof(out), on && !hooked ? "error krb5 not hooked\n" : "ok\n");
    } else if (sscanf(line, "submitfail %lu", &n) == 1) {
        atomic_store(&submit_fail_every, n);
        len = snprintf(out, sizeof(out), "ok\n");
    } else if (strcmp(line, "count") == 0) {
        len = snprintf(out, sizeof(out), "%lu\n", atomic_load(&seen));
    } else if (strcmp(line, "off") == 0) {
        atomic_store(&fail_at, 0);
        len = snprintf(out, sizeof(out), "%lu\n", atomic_load(&seen));
    } else {
        len = snprintf(out, sizeof(out), "error unknown command\n");
    }
    if (write(fd, out, (size_t)len) < 0) {
        /* the client went away: nothing to answer */
    }
}

/* One client at a time; commands are short lines (no allocation here: this thread's work must
 * not move the count). */
static void serve_client(int fd)
{
    char buf[256];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
        if (r <= 0)
            return;
        have += (size_t)r;
        char *nl;
        while ((nl = memchr(buf, '\n', have)) != NULL) {
            *nl = '\0';
            answer(fd, buf);
            have -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, have);
        }
        if (have == sizeof(buf) - 1)
            return; /* a line too long: not a client of ours */
    }
}

static void *serve(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        serve_client(fd);
        close(fd);
    }
    return NULL;
}

static void *crypto_malloc(size_t size, const char *file, int line)
{
    (void)file, (void)line;
    return __wrap_malloc(size);
}

static void *crypto_realloc(void *ptr, size_t size, const char *file, int line)
{
    (void)file, (void)line;
    return __wrap_realloc(ptr, size);
}

static void crypto_free(void *ptr, const char *file, int line)
{
    (void)file, (void)line;
    free(ptr);
}

__attribute__((constructor)) static void fault_control_start(void)
{
    const char *path = getenv("RS_FAULT_CONTROL");
    if (path == NULL || *path == '\0')
        return;
    if (CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free) != 1) {
        fprintf(stderr, "ringserver_faulty: OpenSSL allocated before its allocator was set\n");
        exit(2);
    }
    backtraces = getenv("RS_FAULT_BACKTRACE") != NULL;
    hooked = ng_test_hook_krb5_allocs(krb5_injected) > 0; /* before any worker thread runs */
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "ringserver_faulty: RS_FAULT_CONTROL path too long\n");
        exit(2);
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(path); /* a socket left by an earlier run that was killed */
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4) != 0) {
        perror("ringserver_faulty: RS_FAULT_CONTROL");
        exit(2);
    }
    memcpy(control_path, sa.sun_path, sizeof(control_path));
    /* The daemon takes its signals with sigwait in main: this thread must never receive one. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_t t;
    int rc = pthread_create(&t, NULL, serve, (void *)(intptr_t)fd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fprintf(stderr, "ringserver_faulty: cannot start the control thread\n");
        exit(2);
    }
    pthread_detach(t);
}

__attribute__((destructor)) static void fault_control_stop(void)
{
    if (control_path[0] != '\0')
        unlink(control_path);
}
