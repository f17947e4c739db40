/* The service manager's readiness protocol (sd_notify(3): one datagram per state change to the
 * AF_UNIX socket named by $NOTIFY_SOCKET, "@" meaning the abstract namespace), so a systemd unit
 * of Type=notify knows when ringserver listens, reloads and stops. Without $NOTIFY_SOCKET
 * nothing is sent. Called from the main thread only (a blocking send is fine there). */
#ifndef RINGSERVER_SERVICE_NOTIFY_H
#define RINGSERVER_SERVICE_NOTIFY_H

/* `state`: newline-separated assignments ("READY=1", "STOPPING=1", "STATUS=..."). */
void rs_notify(const char *state);
/* RELOADING=1 with the monotonic time systemd asks of a reload, then READY=1 after it. */
void rs_notify_reloading(void);

#endif
