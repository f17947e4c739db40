/* Structured log lines (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static _Thread_local rs_log_sink_fn sink;
static _Thread_local void *sink_arg;

void rs_log_set_thread_sink(rs_log_sink_fn fn, void *arg)
{
    sink = fn;
    sink_arg = arg;
}

bool rs_log_stderr_takes_ring_writes(void)
{
    struct stat st;
    int flags = fcntl(STDERR_FILENO, F_GETFL);
    if (fstat(STDERR_FILENO, &st) != 0 || flags < 0)
        return false;
    bool positioned = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
    return !positioned || (flags & O_APPEND) != 0;
}

void rs_log(enum rs_log_level level, const char *event, const char *fmt, ...)
{
    static const char *names[] = {"info", "warn", "error"};
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n =
        snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000, names[level], event);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    if (sink != NULL && sink(sink_arg, line, len))
        return;
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void rs_log_quote(char *dst, unsigned dst_len, const char *s)
{
    bool bare = *s != '\0';
    for (const char *p = s; *p && bare; p++)
        bare = (*p > ' ' && *p < 127 && *p != '"' && *p != '=' && *p != '\\');
    if (bare) {
        snprintf(dst, dst_len, "%s", s);
        return;
    }
    unsigned o = 0;
    if (dst_len < 3) {
        if (dst_len > 0)
            dst[0] = '\0';
        return;
    }
    dst[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < dst_len; p++) {
        if (*p == '"' || *p == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)*p;
        } else if (*p < ' ' || *p >= 127) {
            o += (unsigned)snprintf(dst + o, dst_len - o, "\\x%02x", *p);
        } else {
            dst[o++] = (char)*p;
        }
    }
    dst[o++] = '"';
    dst[o] = '\0';
}
