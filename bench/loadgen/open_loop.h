/* The open loop (--rate) inside a worker: its schedule (schedule.h), its idle connections
 * parked until the next start falls due, and the lag of each start behind its schedule. The
 * engine asks lg_open_loop_start whether a connection may begin a handshake; the worker loop
 * sleeps no longer than lg_open_loop_wait_ns and then lets lg_open_loop_release start the
 * parked connections whose starts fell due. A start that finds no idle connection waits for
 * one and begins late: its latency still runs from the scheduled time. Worker thread only. */
#ifndef NEGRING_LOADGEN_OPEN_LOOP_H
#define NEGRING_LOADGEN_OPEN_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"

enum lg_start {
    LG_START_NOW,   /* begin a handshake now; its latency runs from the time given */
    LG_START_LATER, /* parked until its start falls due (open loop) */
    LG_START_NEVER, /* the run is over for this connection */
};

/* Worker `index`'s share of the rate, from the start of the timed phase; false when out of
 * memory. Nothing to do (true) without --rate. */
bool lg_open_loop_init(struct lg_worker *w, unsigned index);
void lg_open_loop_free(struct lg_worker *w);
/* May c begin a handshake? NOW with the scheduled time in *due_ns (recording the lag), LATER
 * with c parked, or NEVER once the schedule is over. */
enum lg_start lg_open_loop_start(struct lg_worker *w, struct lg_conn *c, uint64_t *due_ns);
/* Nanoseconds the worker may sleep before a parked connection has a start to begin
 * (UINT64_MAX: none parked, or nothing more to start). */
uint64_t lg_open_loop_wait_ns(const struct lg_worker *w, uint64_t now);
/* Starts parked connections whose starts fell due, and retires them all once the schedule is
 * over or the run stopped. */
void lg_open_loop_release(struct lg_worker *w, uint64_t now);
/* A -d run ended at end_ns: counts the starts that fell due but never began. */
void lg_open_loop_count_overdue(struct lg_worker *w, uint64_t end_ns);

#endif
