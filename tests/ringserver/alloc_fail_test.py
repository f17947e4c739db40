"""Allocation failure end to end: ringserver_faulty (the daemon's own objects, malloc/calloc/
realloc wrapped, tests/ringserver/fault_control.c) fails the 1st, 2nd, 3rd ... allocation of a
real handshake in turn, counting ringserver's allocations and libnegring's ng_alloc together.

Each attempt must end in exactly one of: success as the right user (the failure point was past
the handshake), 503 + Retry-After (HTTP) or an 'E' frame with SEC_E_INSUFFICIENT_MEMORY (raw),
or, only where no answer can be written at all, a clean close. Never 500/400, never 401 for a
good password, never a hang; after each attempt a handshake without failures succeeds, and the
server exits without a leak report (py_test.sh). RS_PORTS: [0] http negotiate (with the
session cookie), [1] raw negotiate, [2] auth_request, [3] http over TLS (OpenSSL's allocations
counted too); NEGRING\\alice in the NTLM account file; one worker, so counts are
deterministic. On TLS a failure before the handshake ends closes the connection (there is no
channel to answer on yet), and so does one that leaves no memory to seal even the refusal.

The first test records who a clean handshake names (and the session cookie a login sets); each
test after walks or storms one kind of handshake against those; the last checks the counters the
whole run left."""
import json
import os
import signal
import socket
import ssl
import threading
import time

from ntlm_auth.ntlm import NtlmContext

from rsclient import (PORTS, Control, Http, Raw, auth_token, b64, check, initiator, metrics,
                      run, spnego_init_no_token, spnego_resp, tls_client)

http, raw, authreq, https = PORTS
SEC_E_INSUFFICIENT_MEMORY = 0x80090300
MAX_N = 2000  # far above any handshake's allocations; reaching it means counting is broken
nt_hash = open(os.path.join(os.environ["RS_WORK"], "users")).read().split(":")[2]
password = "aad3b435b51404eeaad3b435b51404ee:" + nt_hash


ctl = Control(os.environ["RS_FAULT_CONTROL"])


def ntlm_client():
    return NtlmContext("alice", password, domain="NEGRING", workstation="WS1",
                       ntlm_compatibility=3)


# An attempt returns ("ok", (user, mechanism)) | ("oom", detail) | ("closed", detail) |
# ("bad", detail).
def http_identity(hd, body):
    """A 200's identity; its headers and its JSON body must agree (an answer cut short by a
    failed allocation would not)."""
    user, mech = hd.get("x-remote-user", [""])[0], hd.get("x-auth-mechanism", [""])[0]
    try:
        doc = json.loads(body)
    except ValueError:
        return "bad", "200 with a body that is not JSON: %r" % body
    if doc.get("user") != user or doc.get("mechanism") != mech:
        return "bad", "200 whose body and headers differ: %r %r" % (body, (user, mech))
    return "ok", (user, mech)


def http_outcome(st, hd, body):
    if st == 503:
        retry = hd.get("retry-after") == ["1"]
        return ("oom", body) if retry else ("bad", "503 without Retry-After")
    return ("bad", (st, body))


def http_result(st, hd, body):
    return http_identity(hd, body) if st == 200 else http_outcome(st, hd, body)


def attempt(connection, port):
    """Makes an exchange into an attempt on a fresh connection: a connection the server closed
    without answering is the outcome "closed" (for TLS, also one whose handshake it ended)."""
    def wrap(exchange):
        def run():
            try:
                conn = connection(port)
            except (ssl.SSLError, ConnectionResetError, EOFError) as e:
                return "closed", repr(e)
            try:
                return exchange(conn)
            except (EOFError, ConnectionResetError, ssl.SSLError, BrokenPipeError) as e:
                return "closed", repr(e)
            finally:
                conn.close()
        run.__doc__ = exchange.__doc__
        return run
    return wrap


def kerberos_exchange(h):
    ctx = initiator()
    st, hd, body = h.request("/", {"Authorization": "Negotiate " + b64(ctx.step())})
    if st != 200:
        return http_outcome(st, hd, body)
    ctx.step(auth_token(hd))  # the mutual-authentication token must verify
    if not ctx.complete:
        return "bad", "AP-REP did not complete the client context"
    return http_identity(hd, body)


http_kerberos = attempt(Http, http)(kerberos_exchange)


@attempt(Http, http)
def http_kerberos_two_legs(h):
    """SPNEGO without an optimistic token: leg 1 offers Kerberos and gets a NegTokenResp (401),
    leg 2 carries the AP-REQ in a NegTokenResp."""
    ctx = initiator("krb5")
    st, hd, body = h.request("/", {"Authorization": "Negotiate " + b64(spnego_init_no_token())})
    if st != 401 or auth_token(hd) is None:
        return http_outcome(st, hd, body)
    st, hd, body = h.request("/", {"Authorization": "Negotiate " + b64(spnego_resp(ctx.step()))})
    return http_result(st, hd, body)


@attempt(Http, http)
def http_kerberos_split(h):
    """The request head arrives in two reads, so the server must buffer the first part."""
    head = ("GET / HTTP/1.1\r\nHost: localhost\r\nAuthorization: Negotiate %s\r\n\r\n" %
            b64(initiator().step())).encode()
    h.send_raw(head[:100])
    time.sleep(0.02)
    try:
        h.send_raw(head[100:])
    except (BrokenPipeError, ConnectionResetError):
        pass  # answered (a refusal) and closed after the first part: read that answer
    return http_result(*h.response())


@attempt(Http, authreq)
def auth_request_kerberos(h):
    """nginx auth_request mode, with the front-end's client id (the result cache key)."""
    return http_result(*h.request("/", {"Authorization": "Negotiate " + b64(initiator().step()),
                                        "X-Client-Connection": "10.0.0.1:4242"}))


def tls_http(port):
    return Http(port, tls_client(cafile=os.path.join(os.environ["RS_WORK"], "pki", "ca.pem")))


@attempt(tls_http, https)
def https_kerberos(h):
    """A full TLS handshake (no ticket offered), then a Kerberos login."""
    return kerberos_exchange(h)


@attempt(Http, http)
def cookie_login(h):
    """A login by the session cookie a Kerberos login set."""
    return http_result(*h.request("/", {"Cookie": expected["session cookie"]}))


@attempt(Http, http)
def metrics_page(h):
    st, hd, body = h.request("/metrics")
    if st != 200:
        return http_outcome(st, hd, body)
    complete = body.endswith(b"\n") and b"negring_key_reloads_total" in body
    return ("ok", "metrics") if complete else ("bad", "truncated metrics page")


@attempt(Http, http)
def http_ntlm(h):
    ctx = ntlm_client()
    st, hd, body = h.request("/", {"Authorization": "NTLM " + b64(ctx.step())})
    challenge = auth_token(hd, "NTLM")
    if st != 401 or challenge is None:
        return http_outcome(st, hd, body)
    return http_result(*h.request("/", {"Authorization": "NTLM " + b64(ctx.step(challenge))}))


def raw_outcome(kind, res):
    if kind == "A":
        return "ok", (res[1], res[2])
    if kind == "E" and res[0] == SEC_E_INSUFFICIENT_MEMORY:
        return "oom", res[1]
    return "bad", (kind, res)


@attempt(Raw, raw)
def raw_kerberos(r):
    r.send(initiator().step())
    return raw_outcome(*r.frame())


@attempt(Raw, raw)
def raw_kerberos_offer(r):
    """An empty first frame gets the NegTokenInit2 offer; then an optimistic SPNEGO token."""
    r.send(b"")
    kind, res = r.frame()
    if kind != "C":
        return raw_outcome(kind, res)
    r.send(initiator().step())
    return raw_outcome(*r.frame())


@attempt(Raw, raw)
def raw_ntlm(r):
    ctx = ntlm_client()
    r.send(ctx.step())
    kind, res = r.frame()
    if kind != "C":
        return raw_outcome(kind, res)
    r.send(ctx.step(res))
    return raw_outcome(*r.frame())


RELOADS = 'negring_key_reloads_total{result="ok"}'


def drop_ticket_cache():
    """A SIGHUP key reload empties libnegring's decrypted-ticket cache, so the next Kerberos
    handshake takes the full path (ticket decryption, PAC) instead of the cached one."""
    before = metrics(http)[RELOADS]
    os.kill(int(os.environ["RS_PID"]), signal.SIGHUP)
    deadline = time.monotonic() + 5
    while metrics(http)[RELOADS] == before and time.monotonic() < deadline:
        time.sleep(0.005)


def walk(name, attempt, user, sticky=False, prepare=None, krb5=False, closed_ok=False):
    """Fails allocation n = 1, 2, ... of `attempt` (with `sticky`, every one from n on) until it
    needs fewer than n allocations; `prepare` runs before each arming. `krb5`: MIT krb5's own
    allocations count (and fail) too. `closed_ok`: a close without an answer is allowed (TLS)."""
    mode = "failfrom" if sticky else "fail"
    check("%s: krb5 allocations %s" % (name, "on" if krb5 else "off"),
          ctl.cmd("krb5 on" if krb5 else "krb5 off") == "ok")
    tally = {"ok": 0, "absorbed": 0, "oom": 0, "closed": 0, "bad": 0}
    bad = []
    absorbed = []
    n = 1
    t0 = time.monotonic()
    while n <= MAX_N:
        if prepare:
            prepare()
        ctl.cmd("%s %d" % (mode, n))
        try:
            outcome, detail = attempt()
        except socket.timeout:
            outcome, detail = "bad", "no answer within 10 s (hang)"
        finally:  # disarmed even when the attempt raised, for the tests after this one
            seen = ctl.settled_count()
            ctl.cmd("off")
        if outcome == "ok" and detail != user:
            outcome, detail = "bad", "authenticated as %r, not %r" % (detail, user)
        if outcome == "ok" and seen >= n:
            # The nth allocation failed yet the handshake succeeded: harmless by design there (a
            # log line falls back to write(2), a result cache entry is skipped); reported below.
            outcome = "absorbed"
        # An answer can always be written, even with every allocation failing: the listener's
        # ready-made refusal, made at start, answers a connection whose state (rs_conn_new),
        # request buffer or answer could not be allocated (worker.c refuse(), conn.c).
        if outcome == "closed" and not closed_ok:
            outcome, detail = "bad", "closed without an answer (%s)" % detail
        tally[outcome] += 1
        if outcome == "absorbed":
            absorbed.append(n)
        if outcome == "bad":
            bad.append((n, detail))
        control = attempt()
        if control != ("ok", user):
            bad.append((n, "control handshake after disarm: %r" % (control,)))
        if seen < n:
            break
        n += 1
    check("%s: walked every allocation (%d) to the end" % (name, n - 1), n <= MAX_N and n > 1, n)
    check("%s: every failure gave success or out-of-memory" % name, not bad, bad[:10])
    print("%s: %d allocations, outcomes %r, absorbed at %r, %.1f s" %
          (name, n - 1, tally, absorbed, time.monotonic() - t0))
    return tally


# Who clean handshakes name, and the session cookie a login sets: the first test fills it in.
expected = {"metrics": "metrics"}


def test_clean_handshakes_name_the_expected_users():
    ok, krb_user = http_kerberos()
    check("kerberos baseline", ok == "ok" and krb_user[0].startswith("alice@") and
          krb_user[1] == "Kerberos", krb_user)
    ok, ntlm_user = http_ntlm()
    check("ntlm baseline", ok == "ok" and ntlm_user == ("NEGRING\\alice", "NTLM"), ntlm_user)
    h = Http(http)
    _, hd, _ = h.request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
    h.close()
    session_cookie = next((v.split(";")[0] for v in hd.get("set-cookie", [])
                           if v.startswith("negring_session=")), "")
    check("a Kerberos login sets the session cookie", session_cookie != "", hd)
    expected.update({"kerberos": krb_user, "ntlm": ntlm_user, "cookie": (krb_user[0], "Kerberos"),
                     "session cookie": session_cookie})


def walk_test(name, attempt, user, prepare=None, krb5=False, oom="503", closed_ok=False):
    """A test that fails each allocation of `attempt` in turn: some failures must be answered
    with `oom` (the rest succeed, or with `closed_ok` close the connection)."""
    def test():
        t = walk(name, attempt, expected[user], prepare=prepare, krb5=krb5, closed_ok=closed_ok)
        check("%s: some failures answered %s" % (name, oom), t["oom"] > 0, t)
        if closed_ok:
            check("%s: some failures closed the TLS handshake" % name, t["closed"] > 0, t)
    test.__name__ = "each allocation failing in turn: " + name
    return test


# Kerberos walks on the cached-ticket path count MIT krb5's own allocations too. The full
# krb5_rd_req path (ticket not cached) does not: there libkrb5's krb5_is_permitted_enctype
# answers "not permitted" when its allocation fails, so out of memory turns into a refused
# ticket (401) that nothing can tell apart; ringserver's and libnegring's allocations are walked.
RAW_OOM = "E SEC_E_INSUFFICIENT_MEMORY"
WALKS = [
    walk_test("http kerberos", http_kerberos, "kerberos", krb5=True),
    walk_test("http kerberos, ticket not cached", http_kerberos, "kerberos",
              prepare=drop_ticket_cache),
    walk_test("http kerberos, two legs", http_kerberos_two_legs, "kerberos", krb5=True),
    walk_test("http ntlm", http_ntlm, "ntlm"),
    walk_test("auth_request kerberos", auth_request_kerberos, "kerberos", krb5=True),
    walk_test("cookie login", cookie_login, "cookie"),
    walk_test("metrics page", metrics_page, "metrics"),
    walk_test("raw kerberos", raw_kerberos, "kerberos", krb5=True, oom=RAW_OOM),
    walk_test("raw kerberos after the offer", raw_kerberos_offer, "kerberos", krb5=True,
              oom=RAW_OOM),
    walk_test("raw ntlm", raw_ntlm, "ntlm", oom=RAW_OOM),
    walk_test("https kerberos", https_kerberos, "kerberos", krb5=True, closed_ok=True),
]


def test_split_head_whose_buffer_fails_gets_the_ready_made_503():
    """A request head split over two reads is buffered in the connection (conn.c append()); when
    that buffer cannot be allocated or grow, the listener's ready-made 503 answers."""
    walk("http kerberos, head in two reads", http_kerberos_split, expected["kerberos"], krb5=True)


def sticky_walk_test(name, attempt, user, closed_ok=False):
    """A test with every allocation from n on failing (like a heap that stays exhausted): the
    ready-made answer still goes out; no crash, hang, leak, close without an answer or 500.
    (MIT krb5 not counted: the cached path then falls back to krb5_rd_req, see above.) On TLS
    the refusal must be sealed, which needs memory: there a close is the answer."""
    def test():
        t = walk(name + ", failing from n on", attempt, expected[user], sticky=True,
                 closed_ok=closed_ok)
        check(name + ", failing from n on: a refused connection still gets the ready-made answer",
              t["oom"] >= 1 or closed_ok, t)
    test.__name__ = "every allocation failing from n on: " + name
    return test


STICKY_WALKS = [
    sticky_walk_test("http kerberos", http_kerberos, "kerberos"),
    sticky_walk_test("http ntlm", http_ntlm, "ntlm"),
    sticky_walk_test("raw kerberos", raw_kerberos, "kerberos"),
    sticky_walk_test("https kerberos", https_kerberos, "kerberos", closed_ok=True),
]


def storm(every, threads=3, rounds=16):
    """Every `every`th allocation failing while several clients authenticate at once, so the
    handshakes interleave in the worker and a failure may hit one connection between another's
    legs. Wrong answers, closes without an answer, hangs and 5xx other than 503 are refused."""
    krb_user, ntlm_user = expected["kerberos"], expected["ntlm"]
    kinds = [(http_kerberos, krb_user), (http_ntlm, ntlm_user), (raw_kerberos, krb_user),
             (raw_ntlm, ntlm_user)]
    results = []

    def client(i):
        for r in range(rounds):
            attempt, user = kinds[(i + r) % len(kinds)]
            try:
                outcome, detail = attempt()
            except socket.timeout:
                outcome, detail = "bad", "no answer within 10 s (hang)"
            if outcome == "ok" and detail != user:
                outcome, detail = "bad", "authenticated as %r, not %r" % (detail, user)
            results.append((outcome, detail))

    ctl.cmd("failevery %d" % every)
    pool = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seen = int(ctl.cmd("off"))
    tally = {k: sum(1 for o, _ in results if o == k) for k in ("ok", "oom", "closed", "bad")}
    name = "storm, 1 in %d allocations failing" % every
    print("%s: %d allocations, outcomes %r" % (name, seen, tally))
    check(name + ": no wrong answer, close without an answer, 5xx other than 503 or hang",
          tally["bad"] == 0 and tally["closed"] == 0,
          [d for o, d in results if o in ("bad", "closed")][:5])
    check(name + ": failures answered out-of-memory", tally["oom"] > 0 and seen >= every, tally)
    check(name + ": clients still authenticate afterwards",
          all(attempt() == ("ok", user) for attempt, user in kinds))


def test_storm_one_in_7_allocations_failing():
    storm(7)


def test_storm_one_in_23_allocations_failing():
    storm(23)


def test_out_of_memory_counted_as_the_servers_failure():
    """Over the whole run: never a denial of alice's good credentials."""
    m = metrics(http)
    denied = sum(v for k, v in m.items() if k.startswith("negring_handshakes_total") and
                 'result="denied"' in k)
    errors = sum(v for k, v in m.items() if k.startswith("negring_handshakes_total") and
                 'result="error"' in k)
    check("no handshake counted as denied", denied == 0, denied)
    check("out-of-memory handshakes counted as errors", errors > 0, errors)
    check("no handshake left pending", m["negring_pending_handshakes"] == 0, m)
    # Allocation 1 of each walk is the connection's own state: refused, and counted as such.
    check("connections refused for want of memory counted",
          m.get('negring_refusals_total{reason="memory"}', 0) > 0, m)


run(test_clean_handshakes_name_the_expected_users,
    *WALKS,
    test_split_head_whose_buffer_fails_gets_the_ready_made_503,
    *STICKY_WALKS,
    test_storm_one_in_7_allocations_failing,
    test_storm_one_in_23_allocations_failing,
    test_out_of_memory_counted_as_the_servers_failure)
