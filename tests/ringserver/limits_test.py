"""Deadlines and caps: connection and pending-handshake caps refuse clearly, slowloris clients and
half-open handshakes are cut by their deadlines, and well-behaved clients keep authenticating
meanwhile. Server: --max-connections 300 --max-pending 50 --header-timeout 1500ms
--leg-timeout 1500ms --idle-timeout 2s (long enough that a loaded machine does not flake). RS_PORTS: [0] http, [1] raw."""
import socket
import time

from rsclient import PORTS, Http, Raw, b64, check, count_closed, initiator, metrics, run

http, raw = PORTS[0], PORTS[1]
SEC_E_INSUFFICIENT_MEMORY = 0x80090300


def authenticate():
    h = Http(http)
    st, hd, _ = h.request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
    h.close()
    return st


def wait_metric(name, pred, seconds=6.0):
    end = time.time() + seconds
    while time.time() < end:
        v = metrics(http).get(name, 0)
        if pred(v):
            return v
        time.sleep(0.05)
    return metrics(http).get(name, 0)


def test_connection_over_the_cap_gets_503():
    """With 300 open, the next connection gets a 503 and is closed."""
    held = [socket.create_connection(("127.0.0.1", http)) for _ in range(300)]
    try:
        time.sleep(0.1)
        extra = socket.create_connection(("127.0.0.1", http))
        extra.settimeout(5)
        first = extra.recv(200)
        check("connection over the cap gets 503", first.startswith(b"HTTP/1.1 503"), first[:40])
        extra.close()
    finally:
        for s in held:
            s.close()
    check("connection refusal counted",
          wait_metric('negring_refusals_total{reason="connections"}', lambda v: v >= 1) >= 1)
    wait_metric("negring_connections", lambda v: v <= 1)


def test_slowloris_cut_by_the_header_deadline():
    """100 clients send half a request head and stall; a real client still gets in, and the
    stalled ones are closed by the header deadline."""
    slow = []
    for _ in range(100):
        s = socket.create_connection(("127.0.0.1", http))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        slow.append(s)
    t0 = time.time()
    check("well-behaved client authenticates during slowloris", authenticate() == 200)
    check("... promptly", time.time() - t0 < 3.0, time.time() - t0)
    time.sleep(2.0)
    closed = count_closed(slow, 2)
    check("all slowloris connections closed by the header deadline", closed == 100, closed)
    check("header timeouts counted",
          metrics(http)['negring_timeouts_total{kind="header"}'] >= 100)


def test_pending_cap_refuses_clearly_and_the_leg_deadline_frees():
    """50 half-open handshakes fill the cap, the 51st is refused clearly, a one-leg Kerberos
    client still succeeds, and the leg deadline frees them all."""
    half = []
    try:
        for _ in range(50):
            r = Raw(raw)
            r.send(b"")
            half.append(r)
        kinds = [r.frame()[0] for r in half]
        check("50 half-open handshakes accepted", kinds.count("C") == 50, kinds.count("C"))
        r = Raw(raw)
        r.send(b"")
        kind, res = r.frame()
        check("51st pending handshake refused with SEC_E_INSUFFICIENT_MEMORY",
              kind == "E" and res[0] == SEC_E_INSUFFICIENT_MEMORY, (kind, res))
        r.close()
        check("pending refusal counted",
              metrics(http)['negring_refusals_total{reason="pending_handshakes"}'] >= 1)
        check("one-leg client still succeeds while the pending cap is full", authenticate() == 200)
        check("half-open handshakes freed by the leg deadline",
              wait_metric("negring_pending_handshakes", lambda v: v == 0) == 0)
        check("leg timeouts counted", metrics(http)['negring_timeouts_total{kind="leg"}'] >= 50)
    finally:
        for r in half:
            r.close()


def test_idle_keep_alive_connection_closed():
    h = Http(http)
    st, _, _ = h.request("/healthz")
    t0 = time.time()
    check("idle connection closed by the server", h.closed_by_server())
    check("... after about idle-timeout", 1.8 < time.time() - t0 < 5, time.time() - t0)
    h.close()


run(test_connection_over_the_cap_gets_503,
    test_slowloris_cut_by_the_header_deadline,
    test_pending_cap_refuses_clearly_and_the_leg_deadline_frees,
    test_idle_keep_alive_connection_closed)
