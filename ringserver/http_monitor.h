/* The monitoring endpoints of HTTP listeners: GET or HEAD on metrics-path (the Prometheus text
 * of all workers summed) and on /healthz. */
#ifndef RINGSERVER_HTTP_MONITOR_H
#define RINGSERVER_HTTP_MONITOR_H

#include <stdbool.h>

#include "http_reply.h"

/* Answers the request if it asks for a monitoring endpoint; false if it does not. */
bool rs_http_monitor(struct rs_http_ctx *r);

#endif
