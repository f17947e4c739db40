"""Many half-open connections at once (docs/hostile-input.md "ringserver"): RS_HALF_OPEN
connections (default 3,000) are opened and held: a third send nothing on the HTTP port, a third
send half a request head, a third send half a raw frame (the length and part of the token).
While all are open, well-behaved clients still authenticate (HTTP Negotiate and raw) within a
deadline; then the header deadline closes every one of them and the server's connection count
returns to the baseline. The ceiling is the file-descriptor hard limit of the machine (20,000
in the development container, no CAP_SYS_RESOURCE to raise it): each held connection costs the
server one descriptor and this client one. Server: --header-timeout 10s --workers 2.
RS_PORTS: [0] http, [1] raw."""
import os
import socket
import struct
import time

from rsclient import PORTS, Http, Raw, b64, check, count_closed, finish, initiator, metrics

http, raw = PORTS[0], PORTS[1]
N = int(os.environ.get("RS_HALF_OPEN", "3000"))
HEADER_TIMEOUT = 10.0
DEADLINE = 5.0  # seconds a well-behaved client may take while the server holds N connections


def wait_metric(name, pred, seconds):
    end = time.time() + seconds
    v = metrics(http).get(name, 0)
    while not pred(v) and time.time() < end:
        time.sleep(0.2)
        v = metrics(http).get(name, 0)
    return v


def open_half(i):
    port = raw if i % 3 == 2 else http
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if i % 3 == 1:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Negotiate YII")
    elif i % 3 == 2:
        s.sendall(struct.pack(">I", 1000) + b"\x60\x82")
    return s


baseline = metrics(http).get("negring_connections", 0)
t0 = time.time()
held = [open_half(i) for i in range(N)]
opened = time.time() - t0
check("%d half-open connections opened before the header deadline" % N, opened < HEADER_TIMEOUT / 2,
      opened)
peak = wait_metric("negring_connections", lambda v: v >= baseline + N, 3.0)
check("server holds all of them at once", peak >= baseline + N, (peak, baseline, N))

t0 = time.time()
h = Http(http)
st, _, _ = h.request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
h.close()
took = time.time() - t0
check("HTTP Negotiate client authenticates while %d are half-open" % N, st == 200, st)
check("... within %.0f s" % DEADLINE, took < DEADLINE, took)

t0 = time.time()
r = Raw(raw)
r.send(initiator().step())
kind, res = r.frame()
r.close()
took = time.time() - t0
check("raw client authenticates while %d are half-open" % N, kind == "A", (kind, res))
check("... within %.0f s" % DEADLINE, took < DEADLINE, took)

# The header deadline (counted from each connection's open) closes every held connection.
left = wait_metric("negring_connections", lambda v: v <= baseline + 1, HEADER_TIMEOUT + 15)
check("all half-open connections closed by the header deadline", left <= baseline + 1,
      (left, baseline))
closed = count_closed(held, 0.5)
check("client sees every one closed", closed == N, closed)
check("header timeouts counted",
      metrics(http).get('negring_timeouts_total{kind="header"}', 0) >= N)
finish()
