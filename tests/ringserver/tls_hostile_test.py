"""Hostile input on a TLS listener, under the listener's limits and deadlines: garbage, plain
HTTP, an oversized record, a ClientHello cut short, records truncated or altered after the
handshake, a renegotiation attempt (OpenSSL s_client), slowloris inside the handshake, and
thousands of half-open handshakes held while real clients (curl) log in. Every such connection
ends (with OpenSSL's alert where it has one) and is counted; the server keeps serving.
RS_PORTS: [0] http tls, [1] plain http (metrics). The server runs with --header-timeout 1500ms
(RS_HALF_OPEN TLS connections held; RS_NOFILE bounds its descriptors)."""
import os
import random
import socket
import ssl
import subprocess
import time

from rsclient import PORTS, check, count_closed, metrics, run, tls_client

tls, plain = PORTS
pki = os.path.join(os.environ["RS_WORK"], "pki")
alice = "alice@" + os.environ["NEGRING_REALM"]
HALF_OPEN = int(os.environ.get("RS_HALF_OPEN", "3000"))


def failures():
    return metrics(plain)["negring_tls_failures_total"]


def closed_within(s, wait):
    """The server closed the connection (EOF or reset) within `wait` seconds; what it sent."""
    s.settimeout(wait)
    got = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return True, got
            got += chunk
    except ConnectionResetError:
        return True, got
    except socket.timeout:
        return False, got


def client_hello():
    """The first flight of a real TLS client (Python's ssl over memory)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls_client().wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def established():
    """(socket, SSLObject, outgoing BIO) after a real handshake over memory BIOs, so the test
    holds the ciphertext of each record it sends."""
    s = socket.create_connection(("127.0.0.1", tls), timeout=5)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls_client().wrap_bio(inc, out, server_hostname="localhost")
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            s.sendall(out.read())
            inc.write(s.recv(65536))
    s.sendall(out.read())
    return s, obj, out


def curl_login():
    out = subprocess.run(["curl", "-s", "--max-time", "5", "--negotiate", "-u", ":", "--cacert",
                          os.path.join(pki, "ca.pem"), "https://localhost:%d/" % tls],
                         capture_output=True, text=True)
    return '"user":"%s"' % alice in out.stdout


def test_garbage_and_plain_http_refused():
    for what, data in [("random bytes", random.randbytes(2048)),
                       ("plain HTTP", b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
                       ("a record header of 64 KiB", b"\x16\x03\x01\xff\xff" + b"\0" * 1000)]:
        before = failures()
        s = socket.create_connection(("127.0.0.1", tls), timeout=5)
        s.sendall(data)
        closed, got = closed_within(s, 3)
        s.close()
        check("%s: closed at once" % what, closed, got[:40])
        check("%s: answered with an alert record, if anything" % what,
              got == b"" or got[0] == 0x15, got[:10])
        check("%s: counted" % what, failures() == before + 1)
    check("a real client still logs in", curl_login())


def test_client_hello_cut_short_closed_by_the_deadline():
    hello = client_hello()
    s = socket.create_connection(("127.0.0.1", tls), timeout=5)
    s.sendall(hello[:len(hello) // 2])
    t0 = time.monotonic()
    closed, _ = closed_within(s, 5)
    check("half a ClientHello: closed by the header deadline (1.5 s)",
          closed and 1.0 < time.monotonic() - t0 < 4.0, time.monotonic() - t0)
    s.close()


def test_records_truncated_or_altered_after_the_handshake():
    before = failures()
    s, obj, out = established()
    obj.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    record = out.read()
    s.sendall(record[:len(record) - 7])
    s.shutdown(socket.SHUT_WR)
    closed, got = closed_within(s, 3)
    check("a record cut short, then FIN: closed without an answer", closed and
          b"HTTP/1.1" not in got)
    s.close()
    s, obj, out = established()
    obj.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    record = bytearray(out.read())
    record[-3] ^= 0x20  # inside the AEAD tag
    s.sendall(bytes(record))
    closed, _ = closed_within(s, 3)  # TLS 1.3 hides the alert's type inside a record
    check("an altered record: closed", closed)
    check("counted (the cut record: a vanished client, not a TLS failure)",
          failures() == before + 1, failures() - before)
    s.close()


def test_renegotiation_refused():
    """TLS 1.2 client-initiated renegotiation ('R' in s_client): refused, the server goes on."""
    out = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % tls, "-tls1_2", "-CAfile",
         os.path.join(pki, "ca.pem")],
        input=b"R\n", capture_output=True, timeout=20)
    text = out.stdout.decode(errors="replace") + out.stderr.decode(errors="replace")
    check("s_client asked to renegotiate", "RENEGOTIATING" in text, text[-400:])
    check("and was refused (no renegotiation)", "no renegotiation" in text, text[-400:])
    check("a real client still logs in", curl_login())


def test_slowloris_inside_the_handshake():
    """200 clients trickle a ClientHello a byte at a time; curl logs in meanwhile; the header
    deadline closes every trickler."""
    hello = client_hello()
    socks = [socket.create_connection(("127.0.0.1", tls), timeout=5) for _ in range(200)]
    t0 = time.monotonic()
    for i in range(4):
        for s in socks:
            try:
                s.send(hello[i:i + 1])
            except OSError:
                pass
        time.sleep(0.3)
    check("a real client logs in during the slowloris", curl_login())
    closed = count_closed(socks, max(0.1, 4.0 - (time.monotonic() - t0)))
    check("all 200 tricklers closed by the header deadline", closed == 200, closed)


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_thousands_of_half_open_handshakes_while_clients_log_in():
    """A third each: silent connections, half ClientHellos, and whole ClientHellos never
    finished (the server did its handshake work and waits for the client's Finished), all held
    at once; the server's memory for each kind is printed."""
    pid = int(os.environ["RS_PID"])
    hello = client_hello()
    socks = []
    for what, data in [("silent", b""), ("half a ClientHello", hello[:40]),
                       ("a whole ClientHello", hello)]:
        before = rss_kib(pid)
        for _ in range(HALF_OPEN // 3):
            try:
                s = socket.create_connection(("127.0.0.1", tls), timeout=5)
            except OSError:
                break
            s.sendall(data)
            socks.append(s)
        time.sleep(0.2)
        print("  %d %s: server RSS +%d KiB (%.0f bytes each)" %
              (HALF_OPEN // 3, what, rss_kib(pid) - before,
               (rss_kib(pid) - before) * 1024.0 / (HALF_OPEN // 3)))
    t0 = time.monotonic()
    check("curl logs in with %d half-open TLS handshakes held" % len(socks), curl_login())
    check("within 5 s", time.monotonic() - t0 < 5.0, time.monotonic() - t0)
    check("all %d opened" % HALF_OPEN, len(socks) == HALF_OPEN // 3 * 3, len(socks))
    deadline = time.monotonic() + 4
    closed = sum(closed_within(s, max(0.05, deadline - time.monotonic()))[0] for s in socks)
    for s in socks:
        s.close()
    check("every one closed by the header deadline", closed == len(socks), closed)
    check("a real client logs in afterwards", curl_login())


run(test_garbage_and_plain_http_refused,
    test_client_hello_cut_short_closed_by_the_deadline,
    test_records_truncated_or_altered_after_the_handshake,
    test_renegotiation_refused,
    test_slowloris_inside_the_handshake,
    test_thousands_of_half_open_handshakes_while_clients_log_in)
