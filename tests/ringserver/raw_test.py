"""The raw token protocol with MIT GSSAPI as the client: SPNEGO after an empty first frame
(NegTokenInit2, two legs), raw Kerberos in one leg, garbage and oversized frames, clients
vanishing mid-leg. RS_PORTS: [0] mode=http (metrics), [1] mode=raw."""
import os
import socket
import struct
import time

from rsclient import PORTS, Raw, check, initiator, metrics, run

http, raw = PORTS[0], PORTS[1]
alice = "alice@" + os.environ["NEGRING_REALM"]
SEC_E_INVALID_TOKEN = 0x80090308


def test_spnego_in_two_legs_after_an_empty_frame():
    """Empty token -> NegTokenInit2 ('C'), then MIT's SPNEGO token -> 'A'."""
    r = Raw(raw)
    r.send(b"")
    kind, hint = r.frame()
    check("empty first frame -> continue with NegTokenInit2", kind == "C" and hint[:1] == b"\x60",
          (kind, hint[:4]))
    check("pending handshake visible in metrics", metrics(http)["negring_pending_handshakes"] == 1)
    ctx = initiator()
    r.send(ctx.step())
    kind, res = r.frame()
    check("SPNEGO second leg -> accepted", kind == "A", (kind, res))
    if kind == "A":
        tok, user, mech = res
        check("authenticated name is alice", user == alice, user)
        check("mechanism Kerberos", mech == "Kerberos", mech)
        check("final token completes the MIT initiator", bool(tok) and ctx.step(tok) is None
              and ctx.complete)
    r.close()


def test_another_handshake_on_the_same_connection():
    """After one login, the connection runs another: raw Kerberos, one leg."""
    r = Raw(raw)
    r.send(initiator().step())
    r.frame()
    k = initiator("krb5")
    r.send(k.step())
    kind, res = r.frame()
    check("raw Kerberos token -> accepted in one leg", kind == "A" and res[1] == alice, (kind, res))
    r.close()


def test_garbage_frames_get_errors_and_the_connection_stays_usable():
    """'E' with the library's status for each."""
    g = Raw(raw)
    for junk in [b"\x00", b"\x60\x03\x06\x01\x00", os.urandom(3000),
                 b"NTLMSSP\x00\x03\x00\x00\x00"]:
        g.send(junk)
        kind, res = g.frame()
        check("garbage frame (%d bytes) -> error frame" % len(junk), kind == "E", (kind, res))
    g.send(b"")
    kind, _ = g.frame()
    check("connection usable after garbage", kind == "C")
    g.close()


def test_oversized_length_prefix_refused_and_closed():
    o = Raw(raw)
    o.sock.sendall(struct.pack(">I", 0x7FFFFFFF))
    kind, res = o.frame()
    check("oversized frame -> SEC_E_INVALID_TOKEN", kind == "E" and res[0] == SEC_E_INVALID_TOKEN,
          res)
    try:
        closed = o.sock.recv(1) == b""
    except ConnectionResetError:
        closed = True
    check("oversized frame: connection closed", closed)
    o.close()


def test_vanished_clients_contexts_freed():
    """200 clients vanish between legs."""
    vanish = []
    for _ in range(200):
        v = Raw(raw)
        v.send(b"")
        vanish.append(v)
    for v in vanish:
        v.frame()
    check("200 pending handshakes", metrics(http)["negring_pending_handshakes"] >= 200)
    for v in vanish:
        v.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
        v.close()
    for _ in range(250):
        if metrics(http)["negring_pending_handshakes"] == 0:
            break
        time.sleep(0.02)
    check("all vanished clients' contexts freed", metrics(http)["negring_pending_handshakes"] == 0)
    # Each metrics() call is a connection of its own (the previous one may still be closing).
    for _ in range(250):
        conns = metrics(http)["negring_connections"]
        if conns <= 1:
            break
        time.sleep(0.02)
    check("connections closed", conns <= 1, conns)


run(test_spnego_in_two_legs_after_an_empty_frame,
    test_another_handshake_on_the_same_connection,
    test_garbage_frames_get_errors_and_the_connection_stays_usable,
    test_oversized_length_prefix_refused_and_closed,
    test_vanished_clients_contexts_freed)
