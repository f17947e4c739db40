/* Per-worker hashed timer wheel for connection deadlines (header, leg, handshake, idle, send):
 * O(1) to set or clear a deadline, one slot scanned per tick. Deadlines further away than one
 * turn of the wheel stay in their slot and are skipped until due. Single-threaded (one per
 * worker). */
#ifndef RINGSERVER_TIMER_WHEEL_H
#define RINGSERVER_TIMER_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define RS_WHEEL_SLOTS   512
#define RS_WHEEL_TICK_MS 50

struct rs_timer {
    struct rs_timer *prev, *next; /* NULL when not linked */
    uint64_t deadline_ms;
};

struct rs_wheel {
    struct rs_timer slots[RS_WHEEL_SLOTS]; /* list heads */
    uint64_t tick;                         /* last tick processed */
};

typedef void (*rs_timer_fire_fn)(struct rs_timer *t, void *arg);

void rs_wheel_init(struct rs_wheel *w, uint64_t now_ms);
void rs_wheel_set(struct rs_wheel *w, struct rs_timer *t, uint64_t deadline_ms);
void rs_wheel_clear(struct rs_timer *t);
/* Fires (after unlinking) every timer due at now_ms. fire may set or clear other timers. */
void rs_wheel_advance(struct rs_wheel *w, uint64_t now_ms, rs_timer_fire_fn fire, void *arg);

#endif
