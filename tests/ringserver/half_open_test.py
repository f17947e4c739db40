"""Many half-open connections at once (docs/hostile-input.md "ringserver"): RS_HALF_OPEN
connections (default 3,000; ctest runs 6,000 against a server limited to 4,096 descriptors)
are opened and held: a third send nothing on the HTTP port, a third
send half a request head, a third send half a raw frame (the length and part of the token).
While all are open, well-behaved clients still authenticate (HTTP Negotiate and raw) within a
deadline; then the header deadline closes every one of them and the server's connection count
returns to the baseline.

The server holds its connections as io_uring direct descriptors, so the process descriptor
limit does not bound them (each worker's table is bounded by it instead: scripts/soak.sh
half-open runs 100,000 with enough workers). This client does need a descriptor per
connection, so the connections are spread over child processes of at most PER_CHILD each, each
from its own loopback source address (its own 28k ephemeral ports).
RS_PORTS: [0] http, [1] raw; RS_ARGS: the server's arguments (for --header-timeout).

The connections are held once: the first test opens them, the next ones each check one behaviour
while they are held, and the last one waits for the header deadline to close them all."""
import os
import re
import resource
import socket
import struct
import time
import traceback

from rsclient import PORTS, Http, Raw, b64, check, count_closed, initiator, metrics, run

http, raw = PORTS[0], PORTS[1]
N = int(os.environ.get("RS_HALF_OPEN", "3000"))
# the last one given is the one in force
HEADER_TIMEOUT = float(re.findall(r"--header-timeout (\d+)s", os.environ["RS_ARGS"])[-1])
DEADLINE = 5.0  # seconds a well-behaved client may take while the server holds N connections
# What one child can hold: its hard descriptor limit less a margin, at most 15,000 (a loopback
# source address has ~28,000 ephemeral ports).
PER_CHILD = min(15000, max(100, resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 64))


def wait_metric(name, pred, seconds):
    end = time.time() + seconds
    v = metrics(http).get(name, 0)
    while not pred(v) and time.time() < end:
        time.sleep(0.2)
        v = metrics(http).get(name, 0)
    return v


IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: the port is picked at connect, not at bind


def open_half(i, source):
    port = raw if i % 3 == 2 else http
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    s.bind((source, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    if i % 3 == 1:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Negotiate YII")
    elif i % 3 == 2:
        s.sendall(struct.pack(">I", 1000) + b"\x60\x82")
    return s


def holder(first, count, source, report, go):
    """Child: opens its connections, says so, waits for the word (sent once the server counts
    them all closed), then reports how many the server had closed. It leaves only by os._exit,
    never back into the test runner it was forked from."""
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
        held = [open_half(i, source) for i in range(first, first + count)]
        os.write(report, b"opened\n")
        os.read(go, 1)
        os.write(report, b"%d\n" % count_closed(held, 0.5))
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def start_holders():
    children = []
    for k, first in enumerate(range(0, N, PER_CHILD)):
        report_r, report_w = os.pipe()
        go_r, go_w = os.pipe()
        if os.fork() == 0:
            holder(first, min(PER_CHILD, N - first), "127.0.0.%d" % (10 + k), report_w, go_r)
        children.append((os.fdopen(report_r), go_w))
    return children


def server_rss_kib():
    with open("/proc/%s/status" % os.environ["RS_PID"]) as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))


def server_nofile():
    with open("/proc/%s/limits" % os.environ["RS_PID"]) as f:
        return next(int(l.split()[4]) for l in f if l.startswith("Max open files"))


# A server with a lowered descriptor limit (RS_NOFILE) holds at most that many connections per
# worker; SO_REUSEPORT spreads them unevenly, so ask for 90% of what its workers can hold.
server_limit = server_nofile() if os.environ.get("RS_NOFILE") else None
if server_limit is not None:
    workers = int(re.findall(r"--workers (\d+)", os.environ["RS_ARGS"])[-1])
    N = min(N, workers * (server_limit - 64) * 9 // 10)
scene = {}  # baseline: the server's connections before; children: the holders' pipes


def test_half_open_connections_all_held():
    scene["baseline"] = metrics(http).get("negring_connections", 0)
    rss_idle = server_rss_kib()
    t0 = time.time()
    scene["children"] = start_holders()
    opened_all = all(report.readline().strip() == "opened" for report, _ in scene["children"])
    opened = time.time() - t0
    check("%d half-open connections opened" % N, opened_all)
    check("... before the header deadline", opened < HEADER_TIMEOUT / 2, opened)
    baseline = scene["baseline"]
    peak = wait_metric("negring_connections", lambda v: v >= baseline + N, 3.0)
    check("server holds all of them at once", peak >= baseline + N, (peak, baseline, N))
    rss_held = server_rss_kib()
    print("server RSS: %.1f MiB idle, %.1f MiB holding %d connections (%.0f bytes each)" %
          (rss_idle / 1024, rss_held / 1024, N, (rss_held - rss_idle) * 1024 / N))
    if server_limit is not None:
        check("... more than its descriptor limit", server_limit < N, (server_limit, N))


def test_http_client_authenticates_meanwhile():
    t0 = time.time()
    h = Http(http)
    st, _, _ = h.request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
    h.close()
    took = time.time() - t0
    check("HTTP Negotiate client authenticates while %d are half-open" % N, st == 200, st)
    check("... within %.0f s" % DEADLINE, took < DEADLINE, took)


def test_raw_client_authenticates_meanwhile():
    t0 = time.time()
    r = Raw(raw)
    r.send(initiator().step())
    kind, res = r.frame()
    r.close()
    took = time.time() - t0
    check("raw client authenticates while %d are half-open" % N, kind == "A", (kind, res))
    check("... within %.0f s" % DEADLINE, took < DEADLINE, took)


def test_header_deadline_closes_every_one():
    """Counted from each connection's open."""
    baseline, children = scene["baseline"], scene["children"]
    t0 = time.time()
    left = wait_metric("negring_connections", lambda v: v <= baseline + 1, HEADER_TIMEOUT + 15)
    check("all half-open connections closed by the header deadline", left <= baseline + 1,
          (left, baseline, time.time() - t0))
    for _, go in children:
        os.write(go, b"!")
    closed = sum(int(report.readline()) for report, _ in children)
    for _ in children:
        os.wait()
    check("client sees every one closed", closed == N, closed)
    check("header timeouts counted",
          metrics(http).get('negring_timeouts_total{kind="header"}', 0) >= N)


run(test_half_open_connections_all_held,
    test_http_client_authenticates_meanwhile,
    test_raw_client_authenticates_meanwhile,
    test_header_deadline_closes_every_one)
