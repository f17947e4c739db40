/* Structured log lines (logfmt: `ts=... level=... event=... key=value ...`) on stderr, one
 * write(2) per line so lines from different workers never interleave. */
#ifndef RINGSERVER_LOG_H
#define RINGSERVER_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum rs_log_level { RS_LOG_INFO, RS_LOG_WARN, RS_LOG_ERROR };

/* A ring thread hands its lines to its io_uring instead of write(2), so a slow log reader
 * (a full pipe) never blocks it. The sink returns false to fall back to write(2). Per thread. */
typedef bool (*rs_log_sink_fn)(void *arg, const char *line, size_t len);
void rs_log_set_thread_sink(rs_log_sink_fn fn, void *arg);

/* Whether stderr may take io_uring writes from several rings: a pipe, socket or terminal, or a
 * file opened for appending. A ring's write at "the current position" of a plain file reads and
 * moves the shared offset without the lock write(2) takes, so two rings overwrite each other. */
bool rs_log_stderr_takes_ring_writes(void);

/* fmt continues the line after `event=<event> `, e.g. "peer=%s status=0x%08x". */
void rs_log(enum rs_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies s into dst as a logfmt value: bare when safe, else double-quoted with escapes. */
void rs_log_quote(char *dst, unsigned dst_len, const char *s);

#endif
