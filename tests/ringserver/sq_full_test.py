"""A submission queue that cannot be flushed, on connections whose receive ran out of provided
buffers: ringserver_faulty with one worker, a 64-entry ring and 32 receive buffers, its
io_uring_submit failing (fault_control.c "submitfail 1"), under 300 clients that each pipeline a
/metrics request (its answer held back by the client's small receive window) and five requests
with a malformed token (each answered 400 on the same connection and logged: two queue entries),
then one more, beside 300 clients sending five such requests each. A receive ending with -ENOBUFS
leaves no receive armed; a send then completing with buffered input whose next answer finds no
queue entry closed the connection from inside the loop consuming that input, which then read the
freed connection (ASan: heap-use-after-free in conn.c's consume, in about half the runs of this
storm before the fix). Every connection must end answered or closed, the server must stay up,
and once submissions work again it must serve as before."""
import os
import socket
import time

from rsclient import PORTS, Control, Http, b64, check, initiator, metrics, run

http = PORTS[0]
ctl = Control(os.environ["RS_FAULT_CONTROL"])
BIG = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"
BAD = b"GET / HTTP/1.1\r\nHost: localhost\r\nAuthorization: Negotiate AAAA\r\n\r\n"
LAST = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


def connect(rcvbuf):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", http))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def send(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass


def drain(s, want):
    """Reads until `want` answers came or the server closed the connection; the number seen."""
    got = b""
    try:
        while got.count(b"HTTP/1.1 ") < want:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    s.close()
    return got.count(b"HTTP/1.1 ")


def storm(clients, rounds):
    answers = 0
    for _ in range(rounds):
        victims = [connect(1024) for _ in range(clients)]
        noise = [connect(65536) for _ in range(clients)]
        for v in victims:
            send(v, BIG + BAD * 5)
        for v, n in zip(victims, noise):
            send(v, LAST)
            send(n, BAD * 5)
        answers += sum(drain(v, 7) for v in victims) + sum(drain(n, 5) for n in noise)
    return answers


def test_unflushable_queue_with_starved_receives():
    check("submitfail armed", ctl.cmd("submitfail 1") == "ok")
    try:
        answers = storm(300, 15)
    finally:
        ctl.cmd("submitfail 0")
    print("  %d answers during the storm" % answers)
    check("answers went out while the queue could not be flushed", answers > 0)
    check("server alive after the storm", Http(http).request("/healthz")[0] == 200)


def test_serves_once_submissions_work_again():
    c = Http(http)
    c.send_raw(BIG + BAD * 5 + LAST)
    statuses = [c.response()[0] for _ in range(7)]
    check("pipelined requests answered in order", statuses == [200] + [400] * 5 + [200],
          statuses)
    c.close()
    st, h, _ = Http(http).request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
    check("a Kerberos login after the storm", st == 200, (st, h))
    for _ in range(100):
        if metrics(http)["negring_connections"] <= 1:
            break
        time.sleep(0.05)
    check("every storm connection gone", metrics(http)["negring_connections"] <= 1)


run(test_unflushable_queue_with_starved_receives, test_serves_once_submissions_work_again)
