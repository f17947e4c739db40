"""TLS listeners against real clients (curl, OpenSSL s_client, Python's ssl, MIT GSSAPI through
python3-gssapi): Negotiate over HTTPS, TLS 1.2 and 1.3 only with forward-secret AEAD ciphers,
ALPN http/1.1, Secure cookies, session resumption with rotated ticket keys, a certificate
replaced by SIGHUP without dropping connections, client certificates authenticating an
auth_request front-end, the raw protocol over TLS, and the record layer's kTLS fallback.
RS_PORTS: [0] http tls, [1] auth_request tls client-ca, [2] raw tls, [3] plain http; the server
runs with --tls-ticket-rotation 1s and --cookie-secure no (server.pem, make_certs.sh)."""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

from rsclient import (PORTS, Http, Raw, b64, check, initiator, metrics, run, tls_client)

https, authreq, raw, plain = PORTS
work = os.environ["RS_WORK"]
pki = os.path.join(work, "pki")
realm = os.environ["NEGRING_REALM"]
alice = "alice@" + realm


def negotiate(tok):
    return {"Authorization": "Negotiate " + b64(tok)}


def log_lines(event):
    return [l for l in open(os.environ["RS_LOG"]).read().splitlines() if "event=" + event in l]


def wait_log(event, count, wait=10.0):
    deadline = time.monotonic() + wait
    while len(log_lines(event)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(log_lines(event)) >= count


def s_client(port, *args, data=b""):
    """openssl s_client's output (stdout and stderr) and exit status."""
    out = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                          "-servername", "localhost", "-CAfile", os.path.join(pki, "ca.pem")] +
                         list(args), input=data, capture_output=True, timeout=20)
    return out.stdout.decode(errors="replace") + out.stderr.decode(errors="replace"), out.returncode


def test_curl_negotiate_over_https_with_alpn():
    out = subprocess.run(["curl", "-sv", "--negotiate", "-u", ":", "--cacert",
                          os.path.join(pki, "ca.pem"), "https://localhost:%d/" % https],
                         capture_output=True, text=True, timeout=20)
    check("curl --negotiate over HTTPS -> alice", '"user":"%s"' % alice in out.stdout, out)
    check("ALPN http/1.1 accepted", "ALPN: server accepted http/1.1" in out.stderr, out.stderr)


def test_tls_12_and_13_only_with_modern_ciphers():
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        c = Http(https, tls_client(minimum_version=v, maximum_version=v))
        st, _, _ = c.request("/healthz")
        cipher, version, _ = c.sock.cipher()
        check("%s: served" % v.name, st == 200 and version == v.name.replace("v1_", "v1."),
              (st, version))
        check("%s: forward-secret AEAD cipher %s" % (v.name, cipher),
              cipher.startswith("TLS_") or (cipher.startswith("ECDHE-") and
                                            ("GCM" in cipher or "CHACHA20" in cipher)))
        c.close()
    for args, what in [(["-tls1_1"], "TLS 1.1"), (["-tls1"], "TLS 1.0"),
                       (["-tls1_2", "-cipher", "AES128-SHA"], "TLS 1.2 with RSA key exchange"),
                       (["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"], "TLS 1.2 with CBC")]:
        out, rc = s_client(https, *args)
        check("%s refused" % what, rc != 0 and "Cipher is (NONE)" in out or rc != 0, out[-300:])
    st, _, _ = Http(https, tls_client()).request("/healthz")
    check("served after the refusals", st == 200)


def test_alpn_without_http11_refused():
    try:
        Http(https, tls_client(alpn=("h2",))).request("/healthz")
        check("a client offering only h2 is refused", False)
    except ssl.SSLError as e:
        check("a client offering only h2 gets no_application_protocol",
              "no application protocol" in str(e).lower(), e)


def test_cookie_is_secure_on_tls():
    """cookie-secure is no: the TLS listener's cookie is Secure all the same, the plain one's
    not."""
    for port, tls, want in [(https, tls_client(), True), (plain, None, False)]:
        c = Http(port, tls)
        st, h, _ = c.request("/", negotiate(initiator().step()))
        cookie = h.get("set-cookie", [""])[0]
        check("%s listener: cookie %s Secure" % ("TLS" if tls else "plain", "is" if want else
                                                  "is not"),
              st == 200 and (cookie.endswith("; Secure") == want), cookie)
        c.close()


def full_and_resumed():
    m = metrics(plain)
    return (m['negring_tls_handshakes_total{resumed="no"}'],
            m['negring_tls_handshakes_total{resumed="yes"}'])


def session_of(port, ctx, session=None):
    """A request on a new connection: (was the session resumed, the session to resume next)."""
    c = Http(port, ctx, session)
    st, _, _ = c.request("/healthz")  # TLS 1.3 tickets arrive after the handshake
    reused, s = c.sock.session_reused, c.sock.session
    c.close()
    return st == 200 and reused, s


def test_session_resumption_with_rotated_ticket_keys():
    """Tickets of the current key resume, of the previous key still resume (and are replaced),
    older ones make a full handshake. Keys rotate every second: each rotation is logged."""
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = tls_client(minimum_version=v, maximum_version=v)
        full0, resumed0 = full_and_resumed()
        _, s = session_of(https, ctx)
        reused, _ = session_of(https, ctx, s)
        check("%s: resumed with a fresh ticket" % v.name, reused)
        full1, resumed1 = full_and_resumed()
        check("%s: counted one full, one resumed" % v.name,
              (full1 - full0, resumed1 - resumed0) == (1, 1), (full1 - full0, resumed1 - resumed0))
        n = len(log_lines("ticket_rotation"))
        wait_log("ticket_rotation", n + 1)
        _, s = session_of(https, ctx)  # sealed with the key just made
        wait_log("ticket_rotation", n + 2)
        reused, s2 = session_of(https, ctx, s)
        check("%s: a ticket of the previous key still resumes" % v.name, reused)
        wait_log("ticket_rotation", n + 4)
        reused, _ = session_of(https, ctx, s)
        check("%s: two rotations later: a full handshake" % v.name, not reused)


def fingerprint(port):
    der = ssl.get_server_certificate(("127.0.0.1", port), ca_certs=os.path.join(pki, "ca.pem"))
    return ssl.PEM_cert_to_DER_cert(der)


def sighup():
    before = metrics(plain).get('negring_key_reloads_total{result="ok"}', 0)
    os.kill(int(os.environ["RS_PID"]), signal.SIGHUP)
    for _ in range(100):
        if metrics(plain).get('negring_key_reloads_total{result="ok"}', 0) > before:
            return
        time.sleep(0.05)
    raise AssertionError("no reload after SIGHUP: %r" % log_lines("reload")[-2:])


def test_sighup_reloads_the_certificate_keeping_connections():
    old = fingerprint(https)
    kept = Http(https, tls_client())
    st, _, _ = kept.request("/healthz")
    check("a keep-alive connection before the reload", st == 200)
    for ext in ("pem", "key"):
        shutil.copy(os.path.join(pki, "server2." + ext), os.path.join(pki, "server." + ext))
    sighup()
    st, h, _ = kept.request("/", negotiate(initiator().step()))
    check("the connection made before the reload still logs in", st == 200, (st, h))
    kept.close()
    new = fingerprint(https)
    check("new connections get the new certificate", new != old and
          new == ssl.PEM_cert_to_DER_cert(open(os.path.join(pki, "server2.pem")).read()))
    open(os.path.join(pki, "server.key"), "w").write("not a key\n")
    os.kill(int(os.environ["RS_PID"]), signal.SIGHUP)
    deadline = time.monotonic() + 5
    while not any("tls=unchanged" in l for l in log_lines("reload")):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check("a bad key file: reload refused and logged",
          any("tls=unchanged" in l for l in log_lines("reload")), log_lines("reload"))
    check("the previous certificate stays in use", fingerprint(https) == new)


def test_client_certificate_authenticates_the_front_end():
    """auth_request over TLS with client-ca: a front-end with a certificate of that CA is
    trusted (its client id keys the result cache); none, or another CA's, gets no handshake."""
    front = tls_client()
    front.load_cert_chain(os.path.join(pki, "client.pem"), os.path.join(pki, "client.key"))
    tok = initiator().step()
    hdrs = {**negotiate(tok), "X-Client-Connection": "10.1.1.1:1 5"}
    st, h, _ = Http(authreq, front).request("/auth", hdrs)
    check("front-end with a client certificate: 200", st == 200 and
          h.get("x-remote-user") == [alice], (st, h))
    st, h, _ = Http(authreq, front).request("/auth", hdrs)
    check("its client id is trusted: the re-sent token is answered from the cache",
          st == 200 and h.get("x-auth-source") == ["cache"], (st, h))
    rogue = tls_client()
    rogue.load_cert_chain(os.path.join(pki, "rogue.pem"), os.path.join(pki, "rogue.key"))
    for what, ctx in [("no client certificate", tls_client()), ("another CA's", rogue)]:
        try:
            Http(authreq, ctx).request("/auth", hdrs)
            check("%s: refused" % what, False)
        except (ssl.SSLError, OSError) as e:
            check("%s: the handshake fails" % what, True, e)


def test_raw_protocol_over_tls():
    r = Raw(raw, tls_client(alpn=()))
    r.send(initiator("krb5").step())
    kind, payload = r.frame()
    check("raw over TLS: accepted as alice", kind == "A" and payload[1] == alice, (kind, payload))
    r.close()


def test_ktls_path_or_its_fallback():
    """The record layer runs in userspace over memory BIOs; where the kernel has no tls ULP that
    is the fallback, and everything above ran on it."""
    line = log_lines("tls")[0]
    reason = re.search(r'reason="([^"]*)"', line).group(1)
    check("the listener logs its record layer", "record_layer=userspace" in line, line)
    if "ktls=unavailable" in line:
        print("SKIP: kTLS path: %s (the userspace fallback served every test here)" % reason)
    else:
        print("SKIP: kTLS path: %s" % reason)


run(test_curl_negotiate_over_https_with_alpn,
    test_tls_12_and_13_only_with_modern_ciphers,
    test_alpn_without_http11_refused,
    test_cookie_is_secure_on_tls,
    test_session_resumption_with_rotated_ticket_keys,
    test_sighup_reloads_the_certificate_keeping_connections,
    test_client_certificate_authenticates_the_front_end,
    test_raw_protocol_over_tls,
    test_ktls_path_or_its_fallback)
