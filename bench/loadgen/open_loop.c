#include "open_loop.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/prctl.h>

bool lg_open_loop_init(struct lg_worker *w, unsigned index)
{
    const struct lg_options *o = w->o;
    const struct lg_run *run = w->run;
    if (o->rate <= 0)
        return true;
    /* Each worker runs its connections' share of the rate; staggering their first starts by
     * one interval of the whole rate interleaves the workers' starts evenly. */
    double per_s = o->rate * w->nconns / o->connections;
    uint64_t first = run->t_start_ns + (uint64_t)(index * 1e9 / o->rate);
    lg_schedule_init(&w->schedule, first, per_s, o->handshakes ? w->budget : UINT64_MAX,
                     o->duration_s > 0 ? run->t_end_ns : UINT64_MAX);
    /* The kernel may fire a sleeper's timer up to its slack late (50 us by default): every start
     * would be that late. Set for this thread, inherited by the workers it is about to create. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    w->parked = calloc(w->nconns, sizeof(*w->parked));
    return w->parked != NULL;
}

void lg_open_loop_free(struct lg_worker *w)
{
    free(w->parked);
    w->parked = NULL;
}

static void park(struct lg_worker *w, struct lg_conn *c)
{
    c->parked = true;
    w->parked[w->nparked++] = c;
}

enum lg_start lg_open_loop_start(struct lg_worker *w, struct lg_conn *c, uint64_t *due_ns)
{
    if (lg_schedule_over(&w->schedule))
        return LG_START_NEVER;
    uint64_t now = lg_now_ns();
    if (!lg_schedule_claim(&w->schedule, now, due_ns)) {
        park(w, c);
        return LG_START_LATER;
    }
    uint64_t lag = now - *due_ns;
    lg_hist_record(&w->stats.start_lag_ns, lag);
    if (lag > LG_LATE_NS)
        w->stats.late_starts++;
    return LG_START_NOW;
}

uint64_t lg_open_loop_wait_ns(const struct lg_worker *w, uint64_t now)
{
    if (w->o->rate <= 0 || w->nparked == 0)
        return UINT64_MAX;
    return lg_schedule_wait_ns(&w->schedule, now);
}

void lg_open_loop_release(struct lg_worker *w, uint64_t now)
{
    bool retire =
        lg_schedule_over(&w->schedule) || atomic_load_explicit(&w->run->stop, memory_order_relaxed);
    while (w->nparked > 0 && (retire || lg_schedule_wait_ns(&w->schedule, now) == 0)) {
        struct lg_conn *c = w->parked[--w->nparked];
        c->parked = false;
        lg_conn_start(w, c); /* begins its handshake, or finishes it when the run is over */
    }
}

void lg_open_loop_count_overdue(struct lg_worker *w, uint64_t end_ns)
{
    if (w->o->rate > 0)
        w->stats.overdue = lg_schedule_overdue(&w->schedule, end_ns);
}
