"""RFC 4559 over HTTP/1.1 against a running ringserver: challenge, one- and two-leg Negotiate on a
keep-alive connection, mutual authentication, the result cache (same client gets the same
answer, anyone else is a replay), garbage tokens, the session cookie (bound to its listener,
never from a cached answer, revoked), auth_request mode and its front-end secret, SIGHUP.
Listeners: RS_PORTS[0] mode=http, [1] mode=auth_request, [2] mechs=kerberos, [3] service=other;
the server has --frontend-secret-file, --revocation-file and a cookie key."""
import os
import random
import signal
import subprocess
import time

from rsclient import (PORTS, Http, auth_token, b64, check, initiator, metrics, run,
                      spnego_init_no_token, spnego_resp)

http, authreq, kerberos_only, other_service = PORTS
work = os.environ["RS_WORK"]
frontend = {"X-Negring-Frontend": open(os.path.join(work, "frontend.secret")).read().strip()}
realm = os.environ["NEGRING_REALM"]
alice = "alice@" + realm
bob = "bob@" + realm


def negotiate(tok):
    return {"Authorization": "Negotiate " + b64(tok)}


def wait_pending_zero():
    for _ in range(250):
        if metrics(http)["negring_pending_handshakes"] == 0:
            return
        time.sleep(0.02)


def bob_login():
    """A handshake with bob's ticket on a new connection: (status, headers)."""
    cc = "FILE:" + work + "/bob.ccache"
    subprocess.run(["kinit", "-c", cc, bob], input=b"bob-Pass-2\n", check=True,
                   stdout=subprocess.DEVNULL)
    b = Http(http)
    st, h, _ = b.request("/", negotiate(initiator(ccache=cc).step()))
    b.close()
    return st, h


def bob_cookies():
    """The session cookies (name=value) a login as bob sets, with that login's headers."""
    _, h = bob_login()
    cookies = [v for v in h.get("set-cookie", []) if v.startswith("negring_session=")]
    return [v.split(";")[0] for v in cookies], h


def bob_cookie():
    cookies, h = bob_cookies()
    if len(cookies) != 1:
        raise AssertionError("no session cookie from bob's login: %r" % h)
    return cookies[0]


def test_no_credentials_gets_the_challenge():
    c = Http(http)
    st, h, _ = c.request("/")
    check("no credentials -> 401", st == 401, st)
    check("challenge offers Negotiate", "Negotiate" in h.get("www-authenticate", []), h)
    c.close()


def test_one_leg_kerberos_with_mutual_auth_on_keep_alive():
    """After the challenge, on the same keep-alive connection."""
    c = Http(http)
    c.request("/")
    ctx = initiator()
    st, h, body = c.request("/app", negotiate(ctx.step()))
    check("SPNEGO token -> 200", st == 200, (st, body))
    check("X-Remote-User names alice", h.get("x-remote-user") == [alice], h)
    check("X-Remote-Realm", h.get("x-remote-realm") == [realm], h)
    check("X-Auth-Mechanism Kerberos", h.get("x-auth-mechanism") == ["Kerberos"], h)
    check("JSON body names the user", b'"user":"%s"' % alice.encode() in body, body)
    final = auth_token(h)
    check("mutual-auth token returned with the 200", final is not None)
    if final is not None:
        ctx.step(final)
        check("MIT initiator accepts the final token", ctx.complete)
    c.close()


def test_resent_token_answered_from_cache_only_on_its_connection():
    c = Http(http)
    tok = initiator().step()
    c.request("/app", negotiate(tok))
    st, h, _ = c.request("/app", negotiate(tok))
    check("re-sent token on the same connection -> 200", st == 200, st)
    check("answered from the result cache", h.get("x-auth-source") == ["cache"], h)
    check("cached answer names the same user", h.get("x-remote-user") == [alice], h)
    c.close()
    d = Http(http)
    st, h, _ = d.request("/app", negotiate(tok))
    check("same token on another connection is refused as a replay (401)", st == 401, st)
    d.close()


def test_two_legs_on_one_keep_alive_connection():
    """NegTokenInit without an optimistic token, then the Kerberos token in a NegTokenResp."""
    c = Http(http)
    k = initiator("krb5")
    st, h, _ = c.request("/", negotiate(spnego_init_no_token()))
    check("leg 1 -> 401 with a continuation token", st == 401 and auth_token(h) is not None, (st, h))
    check("one pending handshake", metrics(http)["negring_pending_handshakes"] == 1)
    st, h, body = c.request("/", negotiate(spnego_resp(k.step())))
    check("leg 2 -> 200 for alice", st == 200 and h.get("x-remote-user") == [alice], (st, body))
    check("no pending handshake left", metrics(http)["negring_pending_handshakes"] == 0)
    c.close()


def test_vanishing_client_frees_its_context():
    v = Http(http)
    st, _, _ = v.request("/", negotiate(spnego_init_no_token()))
    check("vanishing client got leg 1", st == 401)
    v.close()
    wait_pending_zero()
    check("pending context freed when the client vanished",
          metrics(http)["negring_pending_handshakes"] == 0)
    check("aborted handshake counted",
          metrics(http).get('negring_handshakes_total{mech="unknown",result="aborted"}', 0) >= 1)


def test_stray_second_leg_refused():
    """A second leg on a connection that never had a first one: refused, nothing crashes."""
    e = Http(http)
    st, _, _ = e.request("/", negotiate(spnego_resp(b"\x01\x02")))
    check("stray second leg -> 400", st == 400, st)
    e.close()


def test_garbage_refused_and_server_stays_healthy():
    for what, value, want in [
        ("not base64", "Negotiate !!!!", 400),
        ("base64 of junk", "Negotiate AAAA", 400),
        ("random 20 KiB", "Negotiate " + b64(random.randbytes(20000)), 400),
        ("GSS framing around junk", "Negotiate " + b64(b"\x60\x05\x06\x03\x2a\x03\x04"), 400),
        ("unsupported scheme", "Basic YWxpY2U6eA==", 401),
        ("scheme only", "Negotiate", 401),
    ]:
        e = Http(http)
        st, h, _ = e.request("/", {"Authorization": value})
        check("garbage (%s) -> %d" % (what, want), st == want, st)
        e.close()
    st, _, _ = Http(http).request("/healthz")
    check("server still healthy after garbage", st == 200)


def test_other_users_ticket_names_that_user():
    st, h = bob_login()
    check("bob's ticket -> bob", st == 200 and h.get("x-remote-user") == [bob], h)


def test_session_cookie_logs_in():
    """The server runs with --cookie-key-file and --cookie-secure no."""
    cookies, h = bob_cookies()
    check("Set-Cookie on success", len(cookies) == 1, h)
    if cookies:
        st, h, _ = Http(http).request("/", {"Cookie": "a=b; " + cookies[0]})
        check("cookie alone -> 200 bob", st == 200 and h.get("x-remote-user") == [bob], h)
        check("cookie login marked", h.get("x-auth-source") == ["cookie"], h)


def test_altered_cookie_refused():
    name, val = bob_cookie().split("=", 1)
    forged = name + "=" + val[:-2] + ("AA" if val[-2:] != "AA" else "BB")
    st, _, _ = Http(http).request("/", {"Cookie": forged})
    check("altered cookie -> 401", st == 401, st)


def sighup():
    """SIGHUP, and wait until the server says it reloaded."""
    reloads = metrics(http).get('negring_key_reloads_total{result="ok"}', 0)
    os.kill(int(os.environ["RS_PID"]), signal.SIGHUP)
    for _ in range(100):
        if metrics(http).get('negring_key_reloads_total{result="ok"}', 0) > reloads:
            return
        time.sleep(0.05)
    raise AssertionError("no reload after SIGHUP")


def test_cookie_of_old_key_refused_after_reload():
    """A new key file and SIGHUP: the cookie signed with the old key no longer logs in, and the
    token that logged in, re-sent, gets neither the cached 200 nor a cookie of the new key."""
    c = Http(http)
    tok = initiator().step()
    st, h, _ = c.request("/", negotiate(tok))
    value = [v.split(";")[0] for v in h.get("set-cookie", [])]
    check("login sets a cookie", st == 200 and len(value) == 1, h)
    with open(os.path.join(work, "cookie.key"), "wb") as f:
        f.write(os.urandom(32))
    sighup()
    st, _, _ = Http(http).request("/", {"Cookie": value[0]})
    check("cookie of the old key after the key file changed and SIGHUP -> 401", st == 401, st)
    st, h, _ = c.request("/", negotiate(tok))
    check("the re-sent token after SIGHUP: no cached answer, a replay (401)", st == 401, (st, h))
    check("and no cookie of the new key", "set-cookie" not in h, h)
    c.close()


def test_cached_answer_sets_no_cookie():
    c = Http(http)
    tok = initiator().step()
    st, h, _ = c.request("/", negotiate(tok))
    check("handshake answer sets the cookie", st == 200 and "set-cookie" in h, h)
    st, h, _ = c.request("/", negotiate(tok))
    check("re-sent token: cached 200", st == 200 and h.get("x-auth-source") == ["cache"], h)
    check("cached 200 sets no cookie", "set-cookie" not in h, h)
    c.close()


def test_cookie_bound_to_listener_mechanisms_and_service():
    """Browsers send a host's cookies to every port: a cookie from the negotiate listener does
    not log in on the mechs=kerberos one nor on the one with another service, and the other way
    round; each still logs in where it was issued."""
    value = bob_cookie()
    for port, what in [(kerberos_only, "mechs=kerberos"), (other_service, "service=other")]:
        st, _, _ = Http(port).request("/", {"Cookie": value})
        check("negotiate listener's cookie on the %s listener -> 401" % what, st == 401, st)
    k = Http(kerberos_only)
    st, h, _ = k.request("/", negotiate(initiator().step()))
    kvalue = [v.split(";")[0] for v in h.get("set-cookie", [])]
    check("a login on the mechs=kerberos listener sets a cookie", st == 200 and kvalue, h)
    k.close()
    st, _, _ = Http(kerberos_only).request("/", {"Cookie": kvalue[0]})
    check("that cookie logs in there", st == 200, st)
    st, _, _ = Http(http).request("/", {"Cookie": kvalue[0]})
    check("and not on the negotiate listener", st == 401, st)
    st, _, _ = Http(http).request("/", {"Cookie": value})
    check("the negotiate cookie still logs in where it was issued", st == 200, st)


def test_revoked_user_cookie_refused_and_new_login_works():
    """ringserver --revoke bob + SIGHUP: bob's cookies from before stop at once; alice's do not;
    bob logging in again gets a cookie that works."""
    bob_value = bob_cookie()
    c = Http(http)
    st, h, _ = c.request("/", negotiate(initiator().step()))
    alice_value = [v.split(";")[0] for v in h.get("set-cookie", [])][0]
    c.close()
    out = subprocess.run([os.environ["RINGSERVER"], "--revocation-file", work + "/revoked",
                          "--revoke", bob], capture_output=True, text=True)
    check("ringserver --revoke bob", out.returncode == 0 and "revoked" in out.stdout, out)
    time.sleep(1.1)  # cookies issued in the second of the revocation are revoked too
    sighup()
    st, _, _ = Http(http).request("/", {"Cookie": bob_value})
    check("bob's cookie after the revocation -> 401", st == 401, st)
    st, h, _ = Http(http).request("/", {"Cookie": alice_value})
    check("alice's cookie still logs in", st == 200 and h.get("x-remote-user") == [alice], h)
    st, _, _ = Http(http).request("/", {"Cookie": bob_cookie()})
    check("bob's new cookie after logging in again", st == 200, st)


def test_head_gets_headers_only():
    st, h, body = Http(http).request("/", method="HEAD")
    check("HEAD -> 401 without body", st == 401 and body == b"", (st, body))


def test_auth_request_refuses_a_client_that_is_not_the_front_end():
    """Without the front-end's secret (or with a wrong one): 403, no challenge, no handshake."""
    for what, hdrs in [("no secret", {}), ("wrong secret", {"X-Negring-Frontend": "x" * 32})]:
        st, h, _ = Http(authreq).request("/auth", hdrs)
        check("auth_request, %s -> 403 without a challenge" % what,
              st == 403 and "www-authenticate" not in h, (st, h))
    st, h, _ = Http(authreq).request("/auth", frontend)
    check("with the secret -> 401 + challenge", st == 401 and "Negotiate" in
          h.get("www-authenticate", []), (st, h))


def test_spoofed_client_id_gets_no_cached_answer():
    """The front-end logs a victim in; an attacker holding the victim's Authorization header
    reaches the listener itself and names the victim's connection: refused, no 200 and no
    cookie (it lacks the front-end's secret)."""
    tok = initiator().step()
    victim = {**negotiate(tok), "X-Client-Connection": "10.0.0.7:4444 9"}
    st, _, _ = Http(authreq).request("/auth", {**victim, **frontend})
    check("victim through the front-end: 200", st == 200, st)
    st, h, _ = Http(authreq).request("/auth", victim)
    check("attacker naming the victim's connection: 403, no cookie",
          st == 403 and "set-cookie" not in h, (st, h))


def test_auth_request_garbage_gets_401_with_challenge():
    """Never 400: nginx auth_request passes only 401 on."""
    st, h, _ = Http(authreq).request("/auth", {"Authorization": "Negotiate AAAA", **frontend})
    check("auth_request: garbage -> 401 with challenge",
          st == 401 and "Negotiate" in h.get("www-authenticate", []), (st, h))


def test_auth_request_cache_keyed_on_client_id_header():
    tok = initiator().step()
    c1 = {**negotiate(tok), "X-Client-Connection": "10.0.0.1:5555 c1", **frontend}
    st, h, _ = Http(authreq).request("/auth", c1)
    check("auth_request: 200 + X-Remote-User", st == 200 and h.get("x-remote-user") == [alice], h)
    st, h, _ = Http(authreq).request("/auth", c1)
    check("auth_request: same client, new upstream connection -> cached 200",
          st == 200 and h.get("x-auth-source") == ["cache"], h)
    c7 = {**negotiate(tok), "X-Client-Connection": "10.9.9.9:1 c7", **frontend}
    st, h, _ = Http(authreq).request("/auth", c7)
    check("auth_request: same token from another client -> 401 (replay)", st == 401, st)


def test_auth_request_without_client_id_never_cached():
    """The upstream connection is shared by many browsers."""
    a = Http(authreq)
    tok2 = initiator().step()
    st, _, _ = a.request("/auth", {**negotiate(tok2), **frontend})
    check("auth_request without client id: 200", st == 200, st)
    st, _, _ = a.request("/auth", {**negotiate(tok2), **frontend})
    check("auth_request without client id: a re-sent token is a replay (401)", st == 401, st)
    a.close()


def test_http_listener_ignores_client_id_header():
    tok = initiator().step()
    c1 = {**negotiate(tok), "X-Client-Connection": "10.0.0.1:5555 c1", **frontend}
    Http(authreq).request("/auth", c1)
    st, _, _ = Http(http).request("/auth", c1)
    check("http listener ignores the client id header (replay)", st == 401, st)


def test_replay_attributed_to_kerberos():
    """A replay inside Negotiate is a Kerberos denial with its reason and client, in the log and
    in /metrics."""
    denied = 'negring_handshakes_total{mech="kerberos",result="denied"}'
    replays = 'negring_auth_failures_total{mech="kerberos",reason="replay"}'
    m0 = metrics(http)
    tok = initiator().step()
    Http(http).request("/", negotiate(tok))
    st, _, _ = Http(http).request("/", negotiate(tok))
    check("replay on another connection -> 401", st == 401, st)
    m = metrics(http)
    check("replay counted as a kerberos denial", m.get(denied, 0) - m0.get(denied, 0) >= 1, m)
    check("replay counted by reason", m.get(replays, 0) - m0.get(replays, 0) >= 1, m)


def test_metrics_count_handshakes_cache_hits_and_latency():
    """Counted from this test's own handshakes: four logins, two of them re-sent."""
    m0 = metrics(http)
    for i in range(4):
        c = Http(http)
        tok = initiator().step()
        c.request("/", negotiate(tok))
        if i < 2:
            c.request("/", negotiate(tok))
        c.close()
    m = metrics(http)
    ok = 'negring_handshakes_total{mech="kerberos",result="ok"}'
    check("metrics: kerberos ok handshakes counted", m[ok] - m0[ok] >= 4, m)
    check("metrics: result cache hits",
          m["negring_result_cache_hits_total"] - m0["negring_result_cache_hits_total"] >= 2)
    check("metrics: latency histogram filled",
          m["negring_handshake_duration_seconds_count"] -
          m0["negring_handshake_duration_seconds_count"] >= 4)


run(test_no_credentials_gets_the_challenge,
    test_one_leg_kerberos_with_mutual_auth_on_keep_alive,
    test_resent_token_answered_from_cache_only_on_its_connection,
    test_replay_attributed_to_kerberos,
    test_two_legs_on_one_keep_alive_connection,
    test_vanishing_client_frees_its_context,
    test_stray_second_leg_refused,
    test_garbage_refused_and_server_stays_healthy,
    test_other_users_ticket_names_that_user,
    test_session_cookie_logs_in,
    test_altered_cookie_refused,
    test_cookie_of_old_key_refused_after_reload,
    test_cached_answer_sets_no_cookie,
    test_cookie_bound_to_listener_mechanisms_and_service,
    test_revoked_user_cookie_refused_and_new_login_works,
    test_head_gets_headers_only,
    test_auth_request_refuses_a_client_that_is_not_the_front_end,
    test_spoofed_client_id_gets_no_cached_answer,
    test_auth_request_garbage_gets_401_with_challenge,
    test_auth_request_cache_keyed_on_client_id_header,
    test_auth_request_without_client_id_never_cached,
    test_http_listener_ignores_client_id_header,
    test_metrics_count_handshakes_cache_hits_and_latency)
