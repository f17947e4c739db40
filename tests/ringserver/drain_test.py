"""SIGTERM drains gracefully: idle connections close at once, new connections are refused, and
handshakes in flight (raw and HTTP, between legs) still finish before the process exits.
RS_PORTS: [0] http, [1] raw; the test sends SIGTERM itself (RS_PID)."""
import os
import signal
import socket
import time

from rsclient import (PORTS, Http, Raw, b64, check, finish, initiator, spnego_init_no_token,
                      spnego_resp)

http, raw = PORTS
pid = int(os.environ["RS_PID"])
alice = "alice@" + os.environ["NEGRING_REALM"]

idle = Http(http)
st, _, _ = idle.request("/healthz")
r = Raw(raw)
r.send(b"")
check("raw handshake pending", r.frame()[0] == "C")
h = Http(http)
st, _, _ = h.request("/", {"Authorization": "Negotiate " + b64(spnego_init_no_token())})
check("HTTP handshake pending", st == 401)

os.kill(pid, signal.SIGTERM)
t0 = time.time()
check("idle connection closed at once", idle.closed_by_server(wait=3) and time.time() - t0 < 3)
refused = False
for _ in range(30):  # each worker closes its listening sockets when it sees the drain
    try:
        socket.create_connection(("127.0.0.1", http), timeout=1).close()
    except ConnectionRefusedError:
        refused = True
        break
    time.sleep(0.1)
check("new connections refused while draining", refused)

r.send(initiator().step())
kind, res = r.frame()
check("pending raw handshake finishes during the drain", kind == "A" and res[1] == alice, res)
st, hd, _ = h.request("/", {"Authorization": "Negotiate " + b64(spnego_resp(initiator("krb5").step()))})
check("pending HTTP handshake finishes during the drain",
      st == 200 and hd.get("x-remote-user") == [alice], (st, hd))
check("... with Connection: close", hd.get("connection") == ["close"], hd)
r.close()
for _ in range(150):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        break
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(") ")[1][0] == "Z":
                break
    except FileNotFoundError:  # it exited (and was reaped) between the two looks
        break
    time.sleep(0.05)
check("process exits once the drain is done", time.time() - t0 < 8, time.time() - t0)
finish()
