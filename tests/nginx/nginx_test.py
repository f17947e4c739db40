#!/usr/bin/python3
"""The nginx module (nginx/) loaded into Debian's nginx, two workers, in front of proxy_pass to
an application that echoes the headers it gets (echo_app.py). Real clients: curl --negotiate
and --ntlm, requests-kerberos, requests-ntlm, MIT GSSAPI and python3-ntlm-auth over sockets
this test controls. One function per behaviour (embedtest.run).

Environment: NGINX_MODULE (the .so), REALM_SH, NEGRING_USER_TOOL."""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "embed"))
import gssapi  # noqa: E402
import requests  # noqa: E402
from requests_kerberos import HTTPKerberosAuth, REQUIRED  # noqa: E402
from requests_ntlm import HttpNtlmAuth  # noqa: E402

from embedtest import (NTLM_DOMAIN, NTLM_PASSWORD, NTLM_USER, Conn, Work, b64,  # noqa: E402
                       challenge_token, check, echo_app, free_port, kerberos_initiator,
                       kerberos_token, ntlm_context, run, wait_port)

work = Work("nginx-module-test.")
os.chmod(work.dir, 0o755)  # the workers run as nobody
APP = echo_app(work)
PORT = free_port()
USER = os.environ["NEGRING_USER"]
REALM = os.environ["NEGRING_REALM"]
NTLM_NAME = NTLM_DOMAIN + "\\" + NTLM_USER

LOCATION = """
            proxy_pass http://127.0.0.1:%d;
            proxy_set_header X-Remote-User $negotiate_user;
            proxy_set_header X-Remote-Realm $negotiate_realm;
            proxy_set_header X-Auth-Mech $negotiate_mech;
            proxy_set_header Authorization "";
""" % APP


def nginx_conf(port, server_body, http_extra=""):
    d = work.dir
    return """
load_module %(module)s;
worker_processes 2;
error_log %(d)s/error.log info;
pid %(d)s/nginx.pid;
events { worker_connections 512; }
http {
    log_format negotiate '$remote_addr $negotiate_user $negotiate_mech $status';
    access_log %(d)s/access.log negotiate;
    client_body_temp_path %(d)s/tmp-body; proxy_temp_path %(d)s/tmp-proxy;
    fastcgi_temp_path %(d)s/tmp-fastcgi; uwsgi_temp_path %(d)s/tmp-uwsgi;
    scgi_temp_path %(d)s/tmp-scgi;
    large_client_header_buffers 4 128k;
    %(http_extra)s
    server {
        listen 127.0.0.1:%(port)d reuseport;
        server_name localhost;
        add_header X-Worker $pid always;
        %(body)s
    }
}
""" % {"module": os.environ["NGINX_MODULE"], "d": d, "port": port, "body": server_body,
       "http_extra": http_extra}


SERVER = """
        auth_negotiate on;
        auth_negotiate_keytab %(keytab)s;
        auth_negotiate_ntlm_accounts %(users)s;
        location / { %(loc)s }
        location /kerberos/ { auth_negotiate_mechanisms kerberos; %(loc)s }
        location /ntlm/ { auth_negotiate_mechanisms ntlm; %(loc)s }
        location /bound/ { auth_negotiate_connection_bound all; %(loc)s }
        location /unbound/ { auth_negotiate_connection_bound off; %(loc)s }
        location /small/ { auth_negotiate_max_token_size 1k; %(loc)s }
        location /other-service/ { auth_negotiate_keytab %(other)s; %(loc)s }
        location /open/ { auth_negotiate off; %(loc)s }
        location /quick/ { auth_negotiate_handshake_timeout 1s; %(loc)s }
""" % {"keytab": os.environ["KRB5_KTNAME"], "users": work.users, "loc": LOCATION,
       "other": os.environ["NEGRING_OTHER_KEYTAB"]}


def start_nginx():
    conf = work.path("nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(PORT, SERVER))
    proc = work.start(["nginx", "-p", work.dir, "-c", conf, "-g", "daemon off;"])
    wait_port(PORT, proc)
    return proc


NGINX = start_nginx()
URL = "http://localhost:%d" % PORT


def app_headers(body):
    return json.loads(body)["headers"]


def curl(*args):
    out = subprocess.run(["curl", "-s", "-o", "/dev/stderr", "-w", "%{http_code}"] + list(args),
                         capture_output=True, text=True)
    return int(out.stdout or 0), out.stderr


def test_curl_negotiate_through_proxy_pass():
    code, body = curl("--negotiate", "-u", ":", URL + "/app")
    check("curl --negotiate: 200 from the application", code == 200, body)
    h = app_headers(body)
    check("the application gets $negotiate_user", h.get("X-Remote-User") == USER, h)
    check("the application gets $negotiate_realm", h.get("X-Remote-Realm") == REALM, h)
    check("the application gets $negotiate_mech", h.get("X-Auth-Mech") == "Kerberos", h)
    check("the client's token does not reach the application", "Authorization" not in h, h)


def test_mutual_authentication_token_verifies():
    ctx = kerberos_initiator()
    c = Conn(PORT)
    status, hdrs, _ = c.request("/app", [("Authorization", "Negotiate " + b64(ctx.step()))])
    check("Kerberos login: 200", status == 200, status)
    final = challenge_token(hdrs, "Negotiate")
    check("the 200 carries the final token in WWW-Authenticate", final is not None, hdrs)
    if final is not None:
        ctx.step(final)
        check("MIT's initiator verifies it (mutual authentication)", ctx.complete)
    c.close()


def test_client_cannot_forge_the_identity_headers():
    code, body = curl("--negotiate", "-u", ":", "-H", "X-Remote-User: mallory",
                      "-H", "X-Auth-Mech: NTLM", URL + "/app")
    h = app_headers(body) if code == 200 else {}
    check("proxy_set_header replaces a client's X-Remote-User", h.get("X-Remote-User") == USER, h)
    check("... and X-Auth-Mech", h.get("X-Auth-Mech") == "Kerberos", h)


def test_challenges_per_location():
    for path, want in (("/", ["Negotiate", "NTLM"]), ("/kerberos/", ["Negotiate"]),
                       ("/ntlm/", ["NTLM"])):
        c = Conn(PORT)
        status, hdrs, _ = c.request(path)
        check("no credentials at %s: 401" % path, status == 401, status)
        check("challenges at %s: %s" % (path, want), hdrs.get("www-authenticate") == want, hdrs)
        c.close()
    status, _, body = Conn(PORT).request("/open/x")
    check("a location with auth_negotiate off is open", status == 200, status)


def test_curl_ntlm():
    user = "%s:%s" % (NTLM_NAME, NTLM_PASSWORD)
    for path in ("/app", "/ntlm/app"):
        code, body = curl("--ntlm", "-u", user, URL + path)
        check("curl --ntlm at %s: 200" % path, code == 200, body)
        h = app_headers(body) if code == 200 else {}
        check("NTLM user at %s" % path, h.get("X-Remote-User") == NTLM_NAME, h)
        check("NTLM realm and mechanism at %s" % path,
              (h.get("X-Remote-Realm"), h.get("X-Auth-Mech")) == (NTLM_DOMAIN, "NTLM"), h)
    code, _ = curl("--ntlm", "-u", NTLM_NAME + ":wrong-password", URL + "/app")
    check("curl --ntlm with a wrong password: 401", code == 401, code)
    code, _ = curl("--ntlm", "-u", user, URL + "/kerberos/app")
    check("NTLM at a Kerberos-only location: 401", code == 401, code)


def test_python_clients():
    r = requests.get(URL + "/app", auth=HTTPKerberosAuth(mutual_authentication=REQUIRED))
    check("requests-kerberos (mutual authentication required): 200", r.status_code == 200,
          r.status_code)
    check("requests-kerberos user", r.ok and r.json()["headers"].get("X-Remote-User") == USER)
    r = requests.get(URL + "/app", auth=HttpNtlmAuth(NTLM_NAME, NTLM_PASSWORD))
    check("requests-ntlm: 200", r.status_code == 200, r.status_code)
    check("requests-ntlm user", r.ok and r.json()["headers"].get("X-Remote-User") == NTLM_NAME)
    r = requests.get(URL + "/app", auth=HttpNtlmAuth(NTLM_NAME, "wrong-password"))
    check("requests-ntlm with a wrong password: 401", r.status_code == 401, r.status_code)


def test_ticket_for_another_service_refused():
    code, _ = curl("--negotiate", "-u", ":", URL + "/other-service/x")
    check("a ticket for HTTP/localhost where only HTTP/other.localhost is held: 401",
          code == 401, code)


def worker_of(hdrs):
    return int(hdrs["x-worker"][0])


def test_replay_refused_by_every_worker():
    token = kerberos_token()
    c = Conn(PORT)
    status, hdrs, _ = c.request("/app", [("Authorization", "Negotiate " + token)])
    check("first use of a token: 200", status == 200, status)
    first_worker = worker_of(hdrs)
    other, same = None, set()
    for _ in range(60):  # new connections until one lands on the other worker
        c = Conn(PORT)
        status, hdrs, _ = c.request("/app", [("Authorization", "Negotiate " + token)])
        if worker_of(hdrs) != first_worker:
            other = status
            break
        same.add(status)
    check("the token replayed to the same worker: 401", same <= {401}, same)
    check("the token replayed to the other worker: 401", other == 401, other)
    check("... refused by the workers' shared replay table", replay_refusals() >= 1)


def test_two_leg_spnego_on_one_connection():
    # RFC 4178: a NegTokenInit naming Kerberos without a token; the module answers with a
    # NegTokenResp and the Kerberos token follows in a second leg on the same connection.
    krb5_oid = bytes.fromhex("06092a864886f712010202")
    spnego_oid = bytes.fromhex("06062b0601050502")
    init = der(0x60, spnego_oid + der(0xA0, der(0x30, der(0xA0, der(0x30, krb5_oid)))))
    c = Conn(PORT)
    status, hdrs, _ = c.request("/app", [("Authorization", "Negotiate " + b64(init))])
    check("SPNEGO without a token: 401 with a token (leg 1)",
          status == 401 and challenge_token(hdrs, "Negotiate") is not None, hdrs)
    krb5 = kerberos_initiator(mech=gssapi.MechType.kerberos).step()
    resp = der(0xA1, der(0x30, der(0xA2, der(0x04, krb5))))
    status, _, body = c.request("/app", [("Authorization", "Negotiate " + b64(resp))])
    check("the Kerberos token as leg 2 on the same connection: 200", status == 200, status)
    check("leg 2's user", status == 200 and app_headers(body).get("X-Remote-User") == USER)


def der(tag, content):
    n = len(content)
    length = bytes([n]) if n < 0x80 else bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + length + content


def ntlm_negotiate_leg(c, ctx, path="/app"):
    status, hdrs, _ = c.request(path, [("Authorization", "NTLM " + b64(ctx.step()))])
    return status, hdrs, challenge_token(hdrs, "NTLM")


def test_ntlm_pinned_to_its_connection():
    ctx = ntlm_context()
    a = Conn(PORT)
    status, _, challenge = ntlm_negotiate_leg(a, ctx)
    check("NTLM NEGOTIATE: 401 with a CHALLENGE", status == 401 and challenge is not None)
    authenticate = "NTLM " + b64(ctx.step(challenge))
    b = Conn(PORT)
    status, _, _ = b.request("/app", [("Authorization", authenticate)])
    check("the AUTHENTICATE on another connection is refused", status in (400, 401), status)
    status, _, body = a.request("/app", [("Authorization", authenticate)])
    check("the AUTHENTICATE on the CHALLENGE's connection: 200", status == 200, status)


def test_handshake_deadline():
    ctx = ntlm_context()
    c = Conn(PORT)
    _, _, challenge = ntlm_negotiate_leg(c, ctx, "/quick/app")
    time.sleep(1.2)
    status, _, _ = c.request("/quick/app", [("Authorization", "NTLM " + b64(ctx.step(challenge)))])
    check("an AUTHENTICATE after auth_negotiate_handshake_timeout (1s) is refused",
          status in (400, 401), status)


def test_connection_bound_logins():
    ctx = ntlm_context()
    c = Conn(PORT)
    _, _, challenge = ntlm_negotiate_leg(c, ctx)
    status, _, _ = c.request("/app", [("Authorization", "NTLM " + b64(ctx.step(challenge)))])
    check("NTLM login: 200", status == 200, status)
    status, _, body = c.request("/app")
    check("next request on the connection, no Authorization: 200 (bound by default for NTLM)",
          status == 200 and app_headers(body).get("X-Remote-User") == NTLM_NAME, status)
    status, _, _ = Conn(PORT).request("/app")
    check("... but not on another connection", status == 401, status)
    status, _, _ = c.request("/kerberos/app")
    check("... nor at a location with other credentials", status == 401, status)

    c = Conn(PORT)
    status, _, _ = c.request("/app", [("Authorization", "Negotiate " + kerberos_token())])
    status2, _, _ = c.request("/app")
    check("Kerberos is not bound by default", (status, status2) == (200, 401), (status, status2))
    c = Conn(PORT)
    status, _, _ = c.request("/bound/app", [("Authorization", "Negotiate " + kerberos_token())])
    status2, _, body = c.request("/bound/app")
    check("auth_negotiate_connection_bound all binds Kerberos",
          (status, status2) == (200, 200) and app_headers(body).get("X-Remote-User") == USER,
          (status, status2))
    status3, _, _ = ntlm_negotiate_leg(c, ntlm_context(), "/bound/app")
    status4, _, _ = c.request("/bound/app")
    check("a new Authorization header starts over (the bound login is dropped)",
          (status3, status4) == (401, 401), (status3, status4))

    ctx = ntlm_context()
    c = Conn(PORT)
    _, _, challenge = ntlm_negotiate_leg(c, ctx, "/unbound/app")
    status, _, _ = c.request("/unbound/app",
                             [("Authorization", "NTLM " + b64(ctx.step(challenge)))])
    status2, _, _ = c.request("/unbound/app")
    check("auth_negotiate_connection_bound off: NTLM asks again", (status, status2) == (200, 401),
          (status, status2))


def test_malformed_credentials():
    cases = [("Negotiate", 400), ("Negotiate !!!!", 400), ("Negotiate YWJj=ZA==", 400),
             ("Negotiate YWJjZA=", 400), ("NTLM AAAA", 400), ("Negotiate AAAA", 400),
             ("Basic YWxpY2U6eA==", 401), ("Bearer x", 401)]
    for value, want in cases:
        status, _, _ = Conn(PORT).request("/app", [("Authorization", value)])
        check("Authorization: %s -> %d" % (value, want), status == want, status)
    big = b64(b"\x60" + bytes(1100))
    status, _, _ = Conn(PORT).request("/small/x", [("Authorization", "Negotiate " + big)])
    check("a token over auth_negotiate_max_token_size (1k): 400", status == 400, status)
    token = kerberos_token()
    status, _, _ = Conn(PORT).request("/small/x", [("Authorization", "Negotiate " + token)])
    check("... while a real ticket (%d bytes) fits" % (len(token) * 3 // 4), status == 200,
          status)
    code, _ = curl("--negotiate", "-u", ":", URL + "/app")
    check("nginx still serves after them", code == 200, code)


def test_access_log_names_the_user():
    with open(work.path("access.log")) as f:
        lines = f.read().splitlines()
    # nginx escapes the backslash of DOMAIN\user in logs (\x5C)
    ntlm = NTLM_NAME.replace("\\", "\\x5C")
    check("the access log has $negotiate_user and $negotiate_mech",
          any(" %s Kerberos 200" % USER in line for line in lines) and
          any(" %s NTLM 200" % ntlm in line for line in lines), lines[-5:])


def test_worker_killed_mid_handshake():
    """Two NTLM handshakes half done on the two workers; one worker killed: only its handshake
    is lost, the other finishes, and the master's new worker serves new logins."""
    legs = []
    for _ in range(60):
        ctx = ntlm_context()
        c = Conn(PORT)
        status, hdrs, challenge = ntlm_negotiate_leg(c, ctx)
        if status == 401 and challenge and all(worker_of(hdrs) != w for w, *_ in legs):
            legs.append((worker_of(hdrs), c, ctx, challenge))
        if len(legs) == 2:
            break
    check("two handshakes pending, one per worker", len(legs) == 2)
    if len(legs) != 2:
        return
    (victim, c_lost, ctx_lost, ch_lost), (_, c_kept, ctx_kept, ch_kept) = legs
    os.kill(victim, signal.SIGKILL)
    try:
        lost, _, _ = c_lost.request("/app", [("Authorization", "NTLM " + b64(ctx_lost.step(ch_lost)))])
    except (ConnectionError, OSError):
        lost = "closed"
    check("the killed worker's handshake is lost (its connection closed)", lost == "closed", lost)
    status, _, body = c_kept.request("/app",
                                     [("Authorization", "NTLM " + b64(ctx_kept.step(ch_kept)))])
    check("the other worker's handshake completes: 200", status == 200, status)
    check("the master is still running", NGINX.poll() is None)
    ok = 0
    for _ in range(6):  # on both workers, the new one included
        code, _ = curl("--negotiate", "-u", ":", URL + "/app")
        ok += code == 200
    check("new logins after the kill: 6 of 6", ok == 6, ok)


def worker_pids():
    pids = set()
    for _ in range(20):
        _, hdrs, _ = Conn(PORT).request("/open/x")
        pids.add(worker_of(hdrs))
    return pids


def replay_refusals():
    with open(work.path("error.log")) as f:
        return f.read().count("replayed authenticator (accepted before by this or another")


def test_reload_keeps_the_replay_table():
    """SIGHUP: new workers with new credentials and fresh per-process replay caches; a token
    accepted before the reload is still refused, by the shared table nginx carried over."""
    token = kerberos_token()
    status, _, _ = Conn(PORT).request("/app", [("Authorization", "Negotiate " + token)])
    check("a login before the reload: 200", status == 200, status)
    refusals = replay_refusals()
    old = worker_pids()
    os.kill(NGINX.pid, signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and worker_pids() & old:
        time.sleep(0.1)
    check("new workers after SIGHUP", not worker_pids() & old)
    status, _, _ = Conn(PORT).request("/app", [("Authorization", "Negotiate " + token)])
    check("the token replayed to a new worker: 401", status == 401, status)
    check("... by the shared table", replay_refusals() == refusals + 1)
    code, _ = curl("--negotiate", "-u", ":", URL + "/app")
    check("a new login after the reload: 200", code == 200, code)


def nginx_t(server_body):
    conf = work.path("bad.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(free_port(), server_body))
    out = subprocess.run(["nginx", "-t", "-p", work.dir, "-c", conf], capture_output=True,
                         text=True)
    return out.returncode, out.stderr, conf


def test_nginx_t_names_bad_directives():
    keytab = os.environ["KRB5_KTNAME"]
    cases = [
        ("auth_negotiate on; auth_negotiate_keytab %s; auth_negotiate_mechanisms spnego;" % keytab,
         r'invalid value "spnego" in "auth_negotiate_mechanisms": use negotiate, kerberos or '
         r'ntlm in \S+bad.conf:\d+'),
        ("auth_negotiate on; auth_negotiate_keytab %s; auth_negotiate_connection_bound yes;"
         % keytab, r'invalid value "yes" in "auth_negotiate_connection_bound": use off, ntlm or all'),
        ("auth_negotiate on; auth_negotiate_keytab FILE:/nonexistent/http.keytab;",
         r'auth_negotiate: cannot acquire Negotiate credentials \(keytab '
         r'FILE:/nonexistent/http.keytab, .*\): no usable keys .*for "auth_negotiate on" in '
         r'\S+bad.conf:\d+'),
        ("auth_negotiate on; auth_negotiate_keytab %s; auth_negotiate_mechanisms ntlm;" % keytab,
         r'auth_negotiate: NTLM needs an account file .*for "auth_negotiate on" in \S+bad.conf'),
        ("auth_negotiate on; auth_negotiate_max_token_size 100;",
         r'"auth_negotiate_max_token_size" directive must be between 1k and 1m in \S+bad.conf'),
        ("auth_negotiate on; auth_negotiate_keytab %s; auth_negotiate_mechanisms ntlm; "
         "auth_negotiate_mechanisms kerberos;" % keytab,
         r'"auth_negotiate_mechanisms" directive is duplicate'),
        ("auth_negotiate maybe;", r'invalid value "maybe" in "auth_negotiate" directive'),
    ]
    for body, want in cases:
        rc, err, _ = nginx_t(body)
        check("nginx -t refuses: %s" % body.split(";")[-2].strip(),
              rc != 0 and re.search(want, err) is not None, err.strip())
    rc, err, _ = nginx_t(SERVER)
    check("nginx -t accepts the test's own configuration", rc == 0, err)


run(test_curl_negotiate_through_proxy_pass, test_mutual_authentication_token_verifies,
    test_client_cannot_forge_the_identity_headers, test_challenges_per_location, test_curl_ntlm,
    test_python_clients, test_ticket_for_another_service_refused,
    test_replay_refused_by_every_worker, test_two_leg_spnego_on_one_connection,
    test_ntlm_pinned_to_its_connection, test_handshake_deadline, test_connection_bound_logins,
    test_malformed_credentials, test_access_log_names_the_user,
    test_worker_killed_mid_handshake, test_reload_keeps_the_replay_table,
    test_nginx_t_names_bad_directives)
