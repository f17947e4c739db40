"""RFC 4559 over HTTP/1.1 against a running ringserver: challenge, one- and two-leg Negotiate on a
keep-alive connection, mutual authentication, the result cache (same client gets the same
answer, anyone else is a replay), garbage tokens, the session cookie, and auth_request mode.
Listeners: RS_PORTS[0] mode=http, RS_PORTS[1] mode=auth_request."""
import os
import random
import signal
import subprocess
import time

from rsclient import (PORTS, Http, auth_token, b64, check, finish, initiator, metrics,
                      spnego_init_no_token, spnego_resp)

http, authreq = PORTS[0], PORTS[1]
work = os.environ["RS_WORK"]
realm = os.environ["NEGRING_REALM"]
alice = "alice@" + realm

# 1. No credentials: 401 with the challenge.
c = Http(http)
st, h, _ = c.request("/")
check("no credentials -> 401", st == 401, st)
check("challenge offers Negotiate", "Negotiate" in h.get("www-authenticate", []), h)

# 2. One-leg SPNEGO/Kerberos with mutual authentication, on the same keep-alive connection.
ctx = initiator()
tok = ctx.step()
st, h, body = c.request("/app", {"Authorization": "Negotiate " + b64(tok)})
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

# 3. The same token again on the same connection: the cached answer, not a replay error.
st, h, _ = c.request("/app", {"Authorization": "Negotiate " + b64(tok)})
check("re-sent token on the same connection -> 200", st == 200, st)
check("answered from the result cache", h.get("x-auth-source") == ["cache"], h)
check("cached answer names the same user", h.get("x-remote-user") == [alice], h)
# ... and on another connection it is a replay.
d = Http(http)
st, h, _ = d.request("/app", {"Authorization": "Negotiate " + b64(tok)})
check("same token on another connection is refused as a replay (401)", st == 401, st)
d.close()

# 4. Two legs on one keep-alive connection: NegTokenInit without an optimistic token, then
#    the Kerberos token in a NegTokenResp.
m0 = metrics(http)
k = initiator("krb5")
st, h, _ = c.request("/", {"Authorization": "Negotiate " + b64(spnego_init_no_token())})
check("leg 1 -> 401 with a continuation token", st == 401 and auth_token(h) is not None, (st, h))
check("one pending handshake", metrics(http)["negring_pending_handshakes"] == 1)
st, h, body = c.request("/", {"Authorization": "Negotiate " + b64(spnego_resp(k.step()))})
check("leg 2 -> 200 for alice", st == 200 and h.get("x-remote-user") == [alice], (st, body))
check("no pending handshake left", metrics(http)["negring_pending_handshakes"] == 0)
c.close()

# 5. Client vanishing between legs: the context is freed at once.
v = Http(http)
st, _, _ = v.request("/", {"Authorization": "Negotiate " + b64(spnego_init_no_token())})
check("vanishing client got leg 1", st == 401)
v.close()
for _ in range(250):
    if metrics(http)["negring_pending_handshakes"] == 0:
        break
    time.sleep(0.02)
check("pending context freed when the client vanished",
      metrics(http)["negring_pending_handshakes"] == 0)
check("aborted handshake counted",
      metrics(http).get('negring_handshakes_total{mech="unknown",result="aborted"}', 0) >= 1)

# 6. A second leg on a connection that never had a first one is refused, nothing crashes.
e = Http(http)
st, _, _ = e.request("/", {"Authorization": "Negotiate " + b64(spnego_resp(b"\x01\x02"))})
check("stray second leg -> 400", st == 400, st)

# 7. Garbage.
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

# 8. Another user's ticket gives that user, never alice.
bob_cc = "FILE:" + work + "/bob.ccache"
subprocess.run(["kinit", "-c", bob_cc, "bob@" + realm], input=b"bob-Pass-2\n", check=True,
               stdout=subprocess.DEVNULL)
b = Http(http)
st, h, _ = b.request("/", {"Authorization": "Negotiate " + b64(initiator(ccache=bob_cc).step())})
check("bob's ticket -> bob", st == 200 and h.get("x-remote-user") == ["bob@" + realm], h)

# 9. Session cookie (server runs with --cookie-key-file and --cookie-secure no).
cookie = [v for v in h.get("set-cookie", []) if v.startswith("negring_session=")]
check("Set-Cookie on success", len(cookie) == 1, h)
if cookie:
    value = cookie[0].split(";")[0]
    st, h, _ = Http(http).request("/", {"Cookie": "a=b; " + value})
    check("cookie alone -> 200 bob", st == 200 and h.get("x-remote-user") == ["bob@" + realm], h)
    check("cookie login marked", h.get("x-auth-source") == ["cookie"], h)
    name, val = value.split("=", 1)
    forged = name + "=" + val[:-2] + ("AA" if val[-2:] != "AA" else "BB")
    st, _, _ = Http(http).request("/", {"Cookie": forged})
    check("altered cookie -> 401", st == 401, st)
    # A new key file and SIGHUP: the cookie signed with the old key no longer logs in.
    with open(os.path.join(work, "cookie.key"), "wb") as f:
        f.write(os.urandom(32))
    reloads = metrics(http).get('negring_key_reloads_total{result="ok"}', 0)
    os.kill(int(os.environ["RS_PID"]), signal.SIGHUP)
    for _ in range(100):
        if metrics(http).get('negring_key_reloads_total{result="ok"}', 0) > reloads:
            break
        time.sleep(0.05)
    st, _, _ = Http(http).request("/", {"Cookie": value})
    check("cookie of the old key after the key file changed and SIGHUP -> 401", st == 401, st)
b.close()

# 10. HEAD gets headers only.
st, h, body = Http(http).request("/", method="HEAD")
check("HEAD -> 401 without body", st == 401 and body == b"", (st, body))

# 11. auth_request mode: 401 (never 400) for garbage, headers on success, and the cache keyed
#     on the front-end's client id header.
st, h, _ = Http(authreq).request("/auth", {"Authorization": "Negotiate AAAA"})
check("auth_request: garbage -> 401 with challenge",
      st == 401 and "Negotiate" in h.get("www-authenticate", []), (st, h))
tok = initiator().step()
st, h, _ = Http(authreq).request("/auth", {"Authorization": "Negotiate " + b64(tok),
                                           "X-Client-Connection": "10.0.0.1:5555 c1"})
check("auth_request: 200 + X-Remote-User", st == 200 and h.get("x-remote-user") == [alice], h)
st, h, _ = Http(authreq).request("/auth", {"Authorization": "Negotiate " + b64(tok),
                                           "X-Client-Connection": "10.0.0.1:5555 c1"})
check("auth_request: same client, new upstream connection -> cached 200",
      st == 200 and h.get("x-auth-source") == ["cache"], h)
st, h, _ = Http(authreq).request("/auth", {"Authorization": "Negotiate " + b64(tok),
                                           "X-Client-Connection": "10.9.9.9:1 c7"})
check("auth_request: same token from another client -> 401 (replay)", st == 401, st)
# Without the header an auth_request answer is never cached: the upstream connection is shared.
a = Http(authreq)
tok2 = initiator().step()
st, _, _ = a.request("/auth", {"Authorization": "Negotiate " + b64(tok2)})
check("auth_request without client id: 200", st == 200, st)
st, _, _ = a.request("/auth", {"Authorization": "Negotiate " + b64(tok2)})
check("auth_request without client id: a re-sent token is a replay (401)", st == 401, st)
st, _, _ = Http(http).request("/auth", {"Authorization": "Negotiate " + b64(tok),
                                        "X-Client-Connection": "10.0.0.1:5555 c1"})
check("http listener ignores the client id header (replay)", st == 401, st)

m = metrics(http)
check("metrics: kerberos ok handshakes counted",
      m['negring_handshakes_total{mech="kerberos",result="ok"}'] >= 4, m)
check("metrics: result cache hits", m["negring_result_cache_hits_total"] >= 2)
check("metrics: latency histogram filled", m["negring_handshake_duration_seconds_count"] >= 4)
finish()
