"""SIGTERM drains gracefully: idle connections close at once, new connections are refused, and
handshakes in flight (raw and HTTP, between legs) still finish before the process exits.
RS_PORTS: [0] http, [1] raw; the test sends SIGTERM itself (RS_PID).

A server drains once: the first test sets the scene and starts the drain, each of the others
checks one behaviour of that drain, in the order they happen."""
import os
import signal
import socket
import time

from rsclient import (PORTS, Http, Raw, b64, check, initiator, run, spnego_init_no_token,
                      spnego_resp)

http, raw = PORTS
pid = int(os.environ["RS_PID"])
alice = "alice@" + os.environ["NEGRING_REALM"]
drain = {}  # the scene: an idle connection, a raw and an HTTP handshake between legs


def test_sigterm_with_handshakes_pending():
    idle = Http(http)
    idle.request("/healthz")
    r = Raw(raw)
    r.send(b"")
    check("raw handshake pending", r.frame()[0] == "C")
    h = Http(http)
    st, _, _ = h.request("/", {"Authorization": "Negotiate " + b64(spnego_init_no_token())})
    check("HTTP handshake pending", st == 401)
    drain.update(idle=idle, raw=r, http=h)
    os.kill(pid, signal.SIGTERM)
    drain["t0"] = time.time()


def test_idle_connection_closed_at_once():
    idle = drain["idle"]
    check("idle connection closed at once",
          idle.closed_by_server(wait=3) and time.time() - drain["t0"] < 3)
    idle.close()


def test_new_connections_refused():
    refused = False
    for _ in range(30):  # each worker closes its listening sockets when it sees the drain
        try:
            socket.create_connection(("127.0.0.1", http), timeout=1).close()
        except ConnectionRefusedError:
            refused = True
            break
        time.sleep(0.1)
    check("new connections refused while draining", refused)


def test_pending_raw_handshake_finishes():
    r = drain["raw"]
    r.send(initiator().step())
    kind, res = r.frame()
    check("pending raw handshake finishes during the drain", kind == "A" and res[1] == alice, res)
    r.close()


def test_pending_http_handshake_finishes_and_closes():
    h = drain["http"]
    st, hd, _ = h.request("/", {"Authorization": "Negotiate " +
                                b64(spnego_resp(initiator("krb5").step()))})
    check("pending HTTP handshake finishes during the drain",
          st == 200 and hd.get("x-remote-user") == [alice], (st, hd))
    check("... with Connection: close", hd.get("connection") == ["close"], hd)
    h.close()


def exited():
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] == "Z"
    except (FileNotFoundError, ProcessLookupError):  # reaped between the looks, or mid-read
        return True


def test_process_exits_once_drained():
    for _ in range(150):
        if exited():
            break
        time.sleep(0.05)
    check("process exits once the drain is done", time.time() - drain["t0"] < 8,
          time.time() - drain["t0"])


run(test_sigterm_with_handshakes_pending,
    test_idle_connection_closed_at_once,
    test_new_connections_refused,
    test_pending_raw_handshake_finishes,
    test_pending_http_handshake_finishes_and_closes,
    test_process_exits_once_drained)
