"""PROXY protocol v2 on listeners with `proxy-protocol` (the header HAProxy's send-proxy-v2
writes): the client it names is the one logged, over HTTP, raw and TLS (the header before the
ClientHello); LOCAL headers (health checks) keep the socket's peer; a header trickled byte by
byte still works. Hostile input: no header, garbage, a cut header left waiting, an oversized
length, a bad CRC32C, a UDP or UNIX family — each closes the connection, counted and logged,
with no answer. A header on a listener without proxy-protocol is refused the same way.
RS_PORTS: [0] plain http (no proxy-protocol), [1] http proxy-protocol, [2] raw proxy-protocol,
[3] https proxy-protocol; the server logs successful logins (--log-success yes)."""
import os
import socket
import ssl
import struct
import time

from rsclient import (PORTS, Http, Raw, b64, check, initiator, metrics, run, tls_client)

plain, http, raw, https = PORTS
alice = "alice@" + os.environ["NEGRING_REALM"]
SIG = bytes([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])


def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff


def header_v4(src="203.0.113.7", sport=51234, command=0x21, family=0x11, tlvs=b"", crc=False):
    block = socket.inet_aton(src) + socket.inet_aton("127.0.0.1") + struct.pack(">HH", sport, 80)
    body = block + tlvs + (b"\x03\x00\x04\x00\x00\x00\x00" if crc else b"")
    h = bytearray(SIG + bytes([command, family]) + struct.pack(">H", len(body)) + body)
    if crc:
        h[-4:] = struct.pack(">I", crc32c(bytes(h)))
    return bytes(h)


def header_v6(src="2001:db8::42", sport=40000):
    block = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, "::1") +
             struct.pack(">HH", sport, 443))
    return SIG + bytes([0x21, 0x21]) + struct.pack(">H", len(block)) + block


LOCAL = SIG + bytes([0x20, 0x00, 0x00, 0x00])


def log_lines(event):
    return [l for l in open(os.environ["RS_LOG"]).read().splitlines() if "event=" + event in l]


def wait_log(pattern, wait=5.0):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if any(pattern in l for l in open(os.environ["RS_LOG"]).read().splitlines()):
            return True
        time.sleep(0.05)
    return False


def negotiate():
    return {"Authorization": "Negotiate " + b64(initiator().step())}


def proxied(port, header):
    """An Http connection whose first bytes were `header`."""
    h = Http(port)
    h.send_raw(header)
    return h


def closed_without_answer(sock, wait=5):
    """True when the server closes `sock` within `wait` seconds without sending a byte."""
    sock.settimeout(wait)
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_ipv4_client_is_the_logged_peer():
    h = proxied(http, header_v4())
    st, _, _ = h.request("/", negotiate())
    check("Kerberos login after a PROXY v2 header", st == 200, st)
    check("the header's client is the peer in the log",
          wait_log("event=auth_ok listener=127.0.0.1:%d mode=http peer=203.0.113.7:51234" % http))
    # The same connection keeps that client for its next requests.
    st, _, _ = h.request("/", negotiate())
    check("second login on the proxied connection", st == 200, st)
    h.close()


def test_ipv6_client_with_tlvs_and_crc():
    tlvs = b"\x01\x00\x08http/1.1" + b"\x02\x00\x09localhost"
    h = proxied(http, header_v4(src="198.51.100.23", sport=4242, tlvs=tlvs, crc=True))
    st, _, _ = h.request("/", negotiate())
    check("login after a header with ALPN, authority and CRC32C TLVs", st == 200, st)
    check("its client logged", wait_log("peer=198.51.100.23:4242 "))
    h.close()
    h = proxied(http, header_v6())
    st, _, _ = h.request("/", negotiate())
    check("login after an IPv6 PROXY header", st == 200, st)
    check("the IPv6 client logged", wait_log("peer=[2001:db8::42]:40000 "))
    h.close()


def test_local_header_is_a_health_check():
    h = proxied(http, LOCAL)
    st, _, body = h.request("/healthz")
    check("LOCAL header, then /healthz", st == 200 and body == b"ok\n", (st, body))
    h.close()


def test_header_trickled_byte_by_byte():
    h = Http(http)
    for b in header_v4(src="192.0.2.99", sport=999):
        h.send_raw(bytes([b]))
        time.sleep(0.002)
    st, _, _ = h.request("/", negotiate())
    check("header sent one byte at a time", st == 200, st)
    check("the trickled header's client logged", wait_log("peer=192.0.2.99:999 "))
    h.close()


def test_header_and_request_in_one_write():
    h = Http(http)
    h.send_raw(header_v4(src="192.0.2.1", sport=1) + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    st, _, _ = h.response()
    check("header and request in one segment", st == 200, st)
    h.close()


def test_raw_protocol_behind_proxy():
    r = Raw(raw)
    r.sock.sendall(header_v4(src="192.0.2.55", sport=5555))
    r.send(initiator().step())
    kind, res = r.frame()
    check("raw login after a PROXY header", kind == "A" and res[1] == alice, (kind, res))
    check("raw client logged", wait_log("mode=raw peer=192.0.2.55:5555 "))
    r.close()


def test_tls_after_the_header():
    ctx = tls_client()
    s = socket.create_connection(("127.0.0.1", https), timeout=10)
    s.sendall(header_v4(src="192.0.2.77", sport=7777))
    t = ctx.wrap_socket(s, server_hostname="localhost")
    h = Http.__new__(Http)
    h.sock, h.buf = t, b""
    st, _, _ = h.request("/", negotiate())
    check("HTTPS login with the PROXY header before the ClientHello", st == 200, st)
    check("TLS client logged", wait_log("peer=192.0.2.77:7777 "))
    h.close()
    # Without the header, the ClientHello itself is refused as a malformed header.
    s = socket.create_connection(("127.0.0.1", https), timeout=10)
    try:
        ctx.wrap_socket(s, server_hostname="localhost")
        check("TLS without the header on a proxy-protocol listener refused", False)
    except (ssl.SSLError, ConnectionResetError, OSError):
        check("TLS without the header on a proxy-protocol listener refused", True)
    s.close()


def hostile(what, data, port=http, label="malformed"):
    before = metrics(plain).get('negring_proxy_headers_total{result="%s"}' % label, 0)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    check(what + ": closed without an answer", closed_without_answer(s))
    s.close()
    after = metrics(plain).get('negring_proxy_headers_total{result="%s"}' % label, 0)
    check(what + ": counted as " + label, after == before + 1, (before, after))


def test_hostile_headers_refused():
    hostile("no header, a plain request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    hostile("garbage", os.urandom(64))
    hostile("PROXY v1 text", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.1\r\n\r\n")
    hostile("version 1 in binary", SIG + bytes([0x11, 0x11, 0, 12]) + bytes(12))
    hostile("command 3", SIG + bytes([0x23, 0x11, 0, 12]) + bytes(12))
    hostile("PROXY over UDP", header_v4(family=0x12))
    hostile("PROXY for a UNIX socket", SIG + bytes([0x21, 0x31]) + struct.pack(">H", 216) +
            bytes(216))
    hostile("length over the maximum", SIG + bytes([0x21, 0x11, 0xff, 0xff]) + bytes(100))
    hostile("length shorter than the addresses", SIG + bytes([0x21, 0x21, 0, 12]) + bytes(12))
    bad = bytearray(header_v4(crc=True))
    bad[-1] ^= 0xff
    hostile("bad CRC32C", bytes(bad))
    hostile("TLV past the end", header_v4(tlvs=b"\x01\x00\x10ab"))
    hostile("raw listener, garbage", os.urandom(32), port=raw)
    log = log_lines("proxy_refused")
    check("refusals logged with a reason",
          any('reason="CRC32C does not match"' in l for l in log) and
          any('reason="no PROXY protocol v2 signature"' in l for l in log), log[-3:])


def test_cut_header_times_out():
    s = socket.create_connection(("127.0.0.1", http), timeout=10)
    s.sendall(header_v4()[:20])
    check("a cut header is closed by header-timeout", closed_without_answer(s, wait=6))
    s.close()
    s = socket.create_connection(("127.0.0.1", http), timeout=10)
    s.sendall(header_v4()[:20])
    s.close()  # the client gives up mid-header: nothing to do but free it
    h = proxied(http, LOCAL)
    st, _, _ = h.request("/healthz")
    check("server still serving after cut headers", st == 200, st)
    h.close()


def test_header_on_listener_without_proxy_protocol():
    hostile("v2 header on a plain listener", header_v4() + b"GET / HTTP/1.1\r\n\r\n", port=plain,
            label="unexpected")
    hostile("v1 header on a plain listener", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", port=plain,
            label="unexpected")
    check("logged as unexpected",
          wait_log('reason="PROXY header on a listener without proxy-protocol"'))
    h = Http(plain)
    st, _, _ = h.request("/", negotiate())
    check("the plain listener still logs in clients without a header", st == 200, st)
    h.close()


def test_metrics():
    m = metrics(plain)
    # Seven headers named a client above (two IPv4 with TLVs or not, IPv6, trickled, one
    # write, raw, TLS), two were LOCAL.
    check("client headers counted", m.get('negring_proxy_headers_total{result="client"}') == 7,
          m.get('negring_proxy_headers_total{result="client"}'))
    check("LOCAL headers counted", m.get('negring_proxy_headers_total{result="local"}') == 2,
          m.get('negring_proxy_headers_total{result="local"}'))


run(test_ipv4_client_is_the_logged_peer, test_ipv6_client_with_tlvs_and_crc,
    test_local_header_is_a_health_check, test_header_trickled_byte_by_byte,
    test_header_and_request_in_one_write, test_raw_protocol_behind_proxy, test_tls_after_the_header,
    test_hostile_headers_refused, test_cut_header_times_out,
    test_header_on_listener_without_proxy_protocol, test_metrics)
