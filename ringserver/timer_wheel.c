/* Hashed timer wheel (see timer_wheel.h). */
#include "timer_wheel.h"

#include <stddef.h>

void rs_wheel_init(struct rs_wheel *w, uint64_t now_ms)
{
    for (unsigned i = 0; i < RS_WHEEL_SLOTS; i++)
        w->slots[i].prev = w->slots[i].next = &w->slots[i];
    w->tick = now_ms / RS_WHEEL_TICK_MS;
}

void rs_wheel_clear(struct rs_timer *t)
{
    if (t->next == NULL)
        return;
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

void rs_wheel_set(struct rs_wheel *w, struct rs_timer *t, uint64_t deadline_ms)
{
    rs_wheel_clear(t);
    uint64_t tick = deadline_ms / RS_WHEEL_TICK_MS;
    if (tick <= w->tick)
        tick = w->tick + 1; /* already due: fire on the next advance */
    struct rs_timer *head = &w->slots[tick % RS_WHEEL_SLOTS];
    t->deadline_ms = deadline_ms;
    t->next = head;
    t->prev = head->prev;
    head->prev->next = t;
    head->prev = t;
}

void rs_wheel_advance(struct rs_wheel *w, uint64_t now_ms, rs_timer_fire_fn fire, void *arg)
{
    uint64_t target = now_ms / RS_WHEEL_TICK_MS;
    if (target > w->tick + RS_WHEEL_SLOTS)
        w->tick = target - RS_WHEEL_SLOTS; /* a long stall: one full turn covers every slot */
    while (w->tick < target) {
        w->tick++;
        struct rs_timer *head = &w->slots[w->tick % RS_WHEEL_SLOTS];
        /* Move the slot's list aside first: fire() may re-set timers into this very slot. */
        struct rs_timer pending = {head->prev, head->next, 0};
        if (head->next == head)
            continue;
        pending.next->prev = &pending;
        pending.prev->next = &pending;
        head->prev = head->next = head;
        while (pending.next != &pending) {
            struct rs_timer *t = pending.next;
            rs_wheel_clear(t);
            if (t->deadline_ms <= now_ms)
                fire(t, arg);
            else
                rs_wheel_set(w, t, t->deadline_ms);
        }
    }
}
