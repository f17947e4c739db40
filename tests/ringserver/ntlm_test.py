"""NTLM through ringserver (python3-ntlm-auth as the independent client): the HTTP NTLM scheme
(three legs on one keep-alive connection), raw NTLMSSP under the Negotiate scheme, per-listener
mechanism choice, the raw protocol, wrong passwords, the AUTHENTICATE bound to its connection,
connection-bound logins, and NTLM session cookies (bound to their listener, refused once the
account is disabled). RS_PORTS: [0] http negotiate, [1] http mechs=ntlm, [2] http
mechs=kerberos, [3] raw mechs=ntlm, [4] raw mechs=kerberos, [5] raw negotiate, [6] http
conn-login=all. Accounts: NEGRING\\alice (alice's
Kerberos password)."""
import os
import signal
import subprocess
import time

from ntlm_auth.ntlm import NtlmContext

from rsclient import PORTS, Http, Raw, auth_token, b64, check, initiator, metrics, run

nego, ntlm_only, krb_only, raw, raw_krb, raw_nego, bind_all = PORTS
SEC_E_LOGON_DENIED = 0x8009030C
NTLM_OID = bytes.fromhex("060a2b06010401823702020a")  # 1.3.6.1.4.1.311.2.2.10
KRB5_OID = bytes.fromhex("06092a864886f712010202")  # 1.2.840.113554.1.2.2
# ntlm_auth takes "LMHASH:NTHASH" in place of a password; OpenSSL 3 has no MD4 to hash one.
nt_hash = open(os.path.join(os.environ["RS_WORK"], "users")).read().split(":")[2]
password = "aad3b435b51404eeaad3b435b51404ee:" + nt_hash
wrong_password = "aad3b435b51404eeaad3b435b51404ee:" + "0" * 32


def client(pw=password):
    return NtlmContext("alice", pw, domain="NEGRING", workstation="WS1", ntlm_compatibility=3)


def ntlm_login(port, scheme="NTLM", pw=password, conn=None):
    c = conn or Http(port)
    ctx = client(pw)
    st, h, _ = c.request("/", {"Authorization": scheme + " " + b64(ctx.step())})
    challenge = auth_token(h, scheme)
    if st != 401 or challenge is None:
        return st, h, None
    st, h, body = c.request("/", {"Authorization": scheme + " " + b64(ctx.step(challenge))})
    return st, h, body


def offer(port):
    """The library's own offer: the NegTokenInit2 answering an empty first raw frame."""
    o = Raw(port)
    o.send(b"")
    frame = o.frame()
    o.close()
    return frame


def log_has(*parts, wait=5.0):
    """Worker log lines reach the file through io_uring writes: poll for them."""
    deadline = time.monotonic() + wait
    while True:
        log = open(os.environ["RS_LOG"]).read()
        if all(p in log for p in parts) or time.monotonic() > deadline:
            return all(p in log for p in parts)
        time.sleep(0.05)


def test_ntlm_scheme_on_a_negotiate_listener():
    """Offered, and three legs on one connection."""
    st, h, _ = Http(nego).request("/")
    check("negotiate listener offers NTLM too", "NTLM" in h.get("www-authenticate", []), h)
    st, h, body = ntlm_login(nego)
    check("NTLM scheme -> 200", st == 200, (st, body))
    check("NTLM user is NEGRING\\alice", h.get("x-remote-user") == ["NEGRING\\alice"], h)
    check("mechanism NTLM", h.get("x-auth-mechanism") == ["NTLM"], h)


def test_wrong_ntlm_password_refused():
    st, _, _ = ntlm_login(nego, pw=wrong_password)
    check("wrong NTLM password -> 401", st == 401, st)


def test_ntlmssp_under_the_negotiate_scheme():
    """What Windows clients do without Kerberos."""
    st, h, body = ntlm_login(nego, scheme="Negotiate")
    check("NTLMSSP in Negotiate -> 200 NTLM", st == 200 and h.get("x-auth-mechanism") == ["NTLM"],
          (st, h, body))


def test_authenticate_bound_to_the_challenge_connection():
    a, b = Http(nego), Http(nego)
    ctx = client()
    st, h, _ = a.request("/", {"Authorization": "NTLM " + b64(ctx.step())})
    auth = ctx.step(auth_token(h, "NTLM"))
    st, _, _ = b.request("/", {"Authorization": "NTLM " + b64(auth)})
    check("AUTHENTICATE on another connection is refused", st in (400, 401), st)
    st, h, _ = a.request("/", {"Authorization": "NTLM " + b64(auth)})
    check("... and accepted on its own connection", st == 200, st)
    a.close()
    b.close()


def test_mechs_ntlm_listener_takes_only_ntlm():
    st, h, _ = Http(ntlm_only).request("/")
    check("mechs=ntlm offers only NTLM", h.get("www-authenticate") == ["NTLM"], h)
    st, h, _ = Http(ntlm_only).request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
    check("mechs=ntlm refuses Kerberos (401 + NTLM challenge)", st == 401, st)
    st, h, _ = ntlm_login(ntlm_only)
    check("mechs=ntlm accepts NTLM", st == 200, st)


def test_mechs_kerberos_listener_takes_only_kerberos():
    st, h, _ = Http(krb_only).request("/")
    check("mechs=kerberos offers only Negotiate", h.get("www-authenticate") == ["Negotiate"], h)
    st, h, _ = ntlm_login(krb_only, scheme="Negotiate")
    check("mechs=kerberos refuses NTLMSSP in Negotiate",
          st == 401 and h.get("x-remote-user") is None, st)
    st, h, _ = ntlm_login(krb_only, scheme="NTLM")
    check("mechs=kerberos refuses the NTLM scheme", st == 401, st)
    st, h, _ = Http(krb_only).request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
    check("mechs=kerberos accepts Kerberos", st == 200, st)


def test_raw_ntlm():
    """NEGOTIATE -> 'C' CHALLENGE -> AUTHENTICATE -> 'A'."""
    r = Raw(raw)
    ctx = client()
    r.send(ctx.step())
    kind, challenge = r.frame()
    check("raw NTLM: challenge frame", kind == "C" and challenge.startswith(b"NTLMSSP\0\x02"), kind)
    r.send(ctx.step(challenge))
    kind, res = r.frame()
    check("raw NTLM: accepted as NEGRING\\alice", kind == "A" and res[1] == "NEGRING\\alice", res)
    r.close()


def test_raw_mechs_kerberos_offer_names_no_ntlm():
    """mechs=kerberos acquires Negotiate credentials with the package list "Kerberos"."""
    kind, tok = offer(raw_krb)
    check("raw mechs=kerberos: NegTokenInit2 lists Kerberos and no NTLM",
          kind == "C" and KRB5_OID in tok and NTLM_OID not in tok, (kind, tok.hex()))
    kind, tok = offer(raw_nego)
    check("raw negotiate (same accounts): NegTokenInit2 lists NTLM too",
          kind == "C" and KRB5_OID in tok and NTLM_OID in tok, (kind, tok.hex()))


def test_raw_mechs_kerberos_library_refuses_ntlmssp():
    """Refused by the library itself, raw or after a Kerberos login on the same connection, and
    logged as such."""
    r = Raw(raw_krb)
    r.send(client().step())
    kind, res = r.frame()
    check("raw mechs=kerberos: raw NTLMSSP -> E SEC_E_LOGON_DENIED",
          kind == "E" and res[0] == SEC_E_LOGON_DENIED, (kind, res))
    r.send(initiator("krb5").step())
    kind, res = r.frame()
    check("raw mechs=kerberos: Kerberos on the same connection -> A", kind == "A", (kind, res))
    r.close()
    check("mechs=kerberos NTLM refusal logged as the package list's policy",
          log_has("status=0x8009030c", "reason=policy",
                  "detail=\"NTLM is left out by the credentials' package list\""))


def test_raw_negotiate_answers_ntlmssp_with_a_challenge():
    r = Raw(raw_nego)
    r.send(client().step())
    kind, res = r.frame()
    check("raw negotiate: raw NTLMSSP -> C (challenge)", kind == "C", (kind, res))
    r.close()


def test_wrong_password_attributed_to_ntlm_with_the_user():
    """The library's reason reaches the log and /metrics: NTLM, the user the AUTHENTICATE named,
    wrong_password (not a Kerberos wording, not mech=unknown)."""
    key = 'negring_auth_failures_total{mech="ntlm",reason="wrong_password"}'
    m0 = metrics(nego)
    ntlm_login(nego, pw=wrong_password)
    check("wrong password logged with mech, user and reason",
          log_has("event=auth_failed", "mech=ntlm", r'user="NEGRING\\alice"',
                  "reason=wrong_password"))
    m = metrics(nego)
    check("wrong password counted by mechanism and reason", m.get(key, 0) - m0.get(key, 0) >= 1, m)


def test_ntlm_login_kept_on_its_connection():
    """conn-login (default ntlm): after an NTLM login, requests without Authorization on the same
    connection are that user (as IIS, and as browsers expect: favicon, every next request);
    another connection is not; a new Authorization header starts over."""
    key = "negring_connection_logins_total"
    m0 = metrics(nego)
    c = Http(nego)
    st, _, _ = ntlm_login(nego, conn=c)
    check("NTLM login -> 200", st == 200, st)
    for path in ("/favicon.ico", "/next"):
        st, h, _ = c.request(path)
        check("same connection, no Authorization -> 200 " + path, st == 200, (st, h))
        check("  as the user who logged in", h.get("x-remote-user") == ["NEGRING\\alice"], h)
        check("  from the connection", h.get("x-auth-source") == ["connection"], h)
    st, _, _ = Http(nego).request("/")
    check("another connection -> 401", st == 401, st)
    st, _, _ = c.request("/", {"Authorization": "NTLM " + b64(b"not a token")})
    check("a new Authorization header is judged on its own (400)", st == 400, st)
    st, _, _ = c.request("/")
    check("and the kept login is gone", st == 401, st)
    c.close()
    m = metrics(nego)
    check("connection logins counted", m[key] - m0[key] >= 2, m)


def test_kerberos_login_kept_only_when_configured():
    """Kerberos logins stay on the connection only with conn-login=all."""
    for port, kept in ((nego, False), (bind_all, True)):
        c = Http(port)
        st, _, _ = c.request("/", {"Authorization": "Negotiate " + b64(initiator("krb5").step())})
        check("Kerberos login -> 200", st == 200, st)
        st, h, _ = c.request("/")
        check("next request kept=%s" % kept, st == (200 if kept else 401), (st, h))
        if kept:
            check("  from the connection", h.get("x-auth-source") == ["connection"], h)
        c.close()


def test_ntlm_handshakes_counted():
    """Counted from this test's own handshakes: five logins and one wrong password."""
    ok = 'negring_handshakes_total{mech="ntlm",result="ok"}'
    denied = 'negring_handshakes_total{mech="ntlm",result="denied"}'
    m0 = metrics(nego)
    for _ in range(5):
        ntlm_login(nego)
    ntlm_login(nego, pw=wrong_password)
    m = metrics(nego)
    check("ntlm ok handshakes counted", m[ok] - m0[ok] >= 5, m)
    check("ntlm denials counted", m[denied] - m0[denied] >= 1)
    check("no handshake left pending", m["negring_pending_handshakes"] == 0)


def cookie_of(h):
    values = [v.split(";")[0] for v in h.get("set-cookie", [])]
    return values[0] if values else None


def test_ntlm_cookie_not_taken_by_a_kerberos_listener():
    """Browsers send a host's cookies to every port: the session of a mechs=ntlm listener must
    not log in on the mechs=kerberos one."""
    st, h, _ = ntlm_login(ntlm_only)
    value = cookie_of(h)
    check("NTLM login sets a cookie", st == 200 and value is not None, (st, h))
    st, _, _ = Http(krb_only).request("/", {"Cookie": value})
    check("the NTLM cookie on the mechs=kerberos listener -> 401", st == 401, st)
    st, h, _ = Http(ntlm_only).request("/", {"Cookie": value})
    check("it logs in where it was issued", st == 200 and
          h.get("x-remote-user") == ["NEGRING\\alice"], (st, h))


def set_account(verb):
    """negring-user VERB alice in the account file, then SIGHUP and wait for the reload."""
    db = os.path.join(os.environ["RS_WORK"], "users")
    subprocess.run([os.environ["NEGRING_USER_TOOL"], verb, "--db", db, "NEGRING\\alice"],
                   check=True, stdout=subprocess.DEVNULL)
    before = metrics(nego).get('negring_key_reloads_total{result="ok"}', 0)
    os.kill(int(os.environ["RS_PID"]), signal.SIGHUP)
    for _ in range(100):
        if metrics(nego).get('negring_key_reloads_total{result="ok"}', 0) > before:
            return
        time.sleep(0.05)
    raise AssertionError("no reload after SIGHUP")


def test_disabled_account_cookie_refused_at_once():
    st, h, _ = ntlm_login(ntlm_only)
    value = cookie_of(h)
    check("NTLM login sets a cookie", st == 200 and value is not None, (st, h))
    set_account("disable")
    st, _, _ = Http(ntlm_only).request("/", {"Cookie": value})
    check("disabled account + SIGHUP: its cookie -> 401", st == 401, st)
    st, _, _ = ntlm_login(ntlm_only)
    check("and its login -> 401", st == 401, st)
    set_account("enable")
    st, _, _ = ntlm_login(ntlm_only)
    check("enabled again: logs in", st == 200, st)


run(test_ntlm_scheme_on_a_negotiate_listener,
    test_wrong_ntlm_password_refused,
    test_ntlmssp_under_the_negotiate_scheme,
    test_authenticate_bound_to_the_challenge_connection,
    test_mechs_ntlm_listener_takes_only_ntlm,
    test_mechs_kerberos_listener_takes_only_kerberos,
    test_raw_ntlm,
    test_raw_mechs_kerberos_offer_names_no_ntlm,
    test_raw_mechs_kerberos_library_refuses_ntlmssp,
    test_raw_negotiate_answers_ntlmssp_with_a_challenge,
    test_wrong_password_attributed_to_ntlm_with_the_user,
    test_ntlm_login_kept_on_its_connection,
    test_kerberos_login_kept_only_when_configured,
    test_ntlm_handshakes_counted,
    test_ntlm_cookie_not_taken_by_a_kerberos_listener,
    test_disabled_account_cookie_refused_at_once)
