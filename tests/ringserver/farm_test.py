"""Three ringserver nodes sharing replay keys in Redis, behind HAProxy 2.6 (farm.py;
docs/farm.md): Kerberos and NTLM logins through the balancer complete, in HTTP mode and in TCP
mode with TLS passed through to the nodes, each node logs the real client (PROXY v2: curl binds
127.0.0.2, HAProxy connects from 127.0.0.3), multi-leg SPNEGO stays on one node, a token accepted through HAProxy is refused when replayed to a node directly,
SIGTERM with drain-grace takes a node out of HAProxy before it goes without failing a request,
and a node SIGKILLed under load loses only the handshakes it had in flight, whose clients'
retries succeed on the other nodes."""
import os
import re
import signal
import subprocess
import threading
import time

from farm import Haproxy, Node, Redis, wait_for
from rsclient import Http, auth_token, b64, check, initiator, run, spnego_init_no_token, spnego_resp

WORK = os.environ["RS_WORK"]
# Seconds of load before and after a node is killed (scripts/soak.sh farm runs longer).
LOAD_SECONDS = float(os.environ.get("FARM_LOAD_SECONDS", "1"))
PASSWORD = os.environ["NEGRING_USER_PASSWORD"]
redis = Redis()
COMMON = ["--user-db", os.path.join(WORK, "users"), "--drain-grace", "2s", "--drain-timeout", "5s",
          "--shared-store", redis.address]
nodes = [Node("node%d" % i, *COMMON) for i in (1, 2, 3)]
lb = Haproxy(nodes)


def curl(*args):
    """(status, local port, body) of one curl through HAProxy from 127.0.0.2."""
    out = subprocess.run(["curl", "-s", "--interface", "127.0.0.2", "-w",
                          "\n%{http_code} %{local_port}"] + list(args) + [lb.url()],
                         capture_output=True, text=True, timeout=30)
    body, _, tail = out.stdout.rpartition("\n")
    code, port = tail.split(" ")
    return int(code), int(port), body


def peers_logged(mech):
    return [p for n in nodes for l in n.lines("auth_ok") if "mech=" + mech in l
            for p in re.findall(r" peer=(\S+) ", l)]


def served_by(nodes_, port):
    return [n.name for n in nodes_ if any(" peer=127.0.0.2:%d " % port in l
                                          for l in n.lines("auth_ok"))]


def test_kerberos_through_haproxy():
    ports = []
    for _ in range(6):
        code, port, body = curl("--negotiate", "-u", ":")
        check("curl --negotiate through HAProxy: 200", code == 200 and '"Kerberos"' in body,
              (code, body))
        ports.append(port)
    time.sleep(0.2)
    for port in ports:
        check("node logged the real client 127.0.0.2:%d" % port, len(served_by(nodes, port)) == 1)
    check("never the balancer's address", not any(p.startswith("127.0.0.3:")
                                                   for p in peers_logged("kerberos")))
    check("round robin: every node served logins",
          all(any(n.name in served_by(nodes, p) for p in ports) for n in nodes))


def test_tls_passed_through_haproxy():
    """TCP mode: HAProxy sends the PROXY header, then the client's own TLS bytes; the node
    terminates TLS and logs the real client. Twenty Kerberos logins: the store's answer often
    comes while the node still sends its TLS session tickets, which must not cut the held
    answer (a regression: curl saw an empty reply)."""
    url = "https://localhost:%d/" % lb.tls_port
    cacert = os.path.join(WORK, "pki", "ca.pem")
    runs = [["--negotiate", "-u", ":"]] * 20 + [["--ntlm", "-u", "alice:" + PASSWORD]] * 3
    failed, unlogged = [], 0
    for args in runs:
        out = subprocess.run(["curl", "-sS", "--interface", "127.0.0.2", "--cacert", cacert,
                              "-w", "\n%{http_code} %{local_port}"] + args + [url],
                             capture_output=True, text=True, timeout=30)
        code, port = out.stdout.rpartition("\n")[2].split(" ")
        if code != "200":
            failed.append((args[0], code, out.stderr))
            continue
        time.sleep(0.02)
        unlogged += len(served_by(nodes, int(port))) != 1
    check("curl --negotiate (20) and --ntlm (3) over TLS through HAProxy's TCP mode: all 200",
          not failed, failed)
    check("each logged with its real client by one node", unlogged == 0, unlogged)


def test_ntlm_through_haproxy():
    for _ in range(6):
        code, port, body = curl("--ntlm", "-u", "alice:" + PASSWORD)
        check("curl --ntlm (two legs) through HAProxy: 200",
              code == 200 and '"mechanism":"NTLM"' in body, (code, body))
        time.sleep(0.05)
        check("the NTLM login on one node, its client logged", len(served_by(nodes, port)) == 1)
    code, _, _ = curl("--ntlm", "-u", "alice:wrong")
    check("wrong NTLM password through HAProxy: 401", code == 401, code)


def test_requests_kerberos_through_haproxy():
    import requests
    from requests_kerberos import OPTIONAL, HTTPKerberosAuth
    r = requests.get(lb.url(), auth=HTTPKerberosAuth(mutual_authentication=OPTIONAL), timeout=10)
    check("python requests-kerberos through HAProxy: 200", r.status_code == 200, r.status_code)


def test_multi_leg_spnego_stays_on_one_node():
    """A SPNEGO init without a token: the node keeps the handshake pending for the next leg,
    which must reach the same node over the same HAProxy connection."""
    for _ in range(3):
        h = Http(lb.port)
        st, hdrs, _ = h.request("/", {"Authorization": "Negotiate " + b64(spnego_init_no_token())})
        check("first leg: 401 with a NegTokenResp", st == 401 and auth_token(hdrs) is not None, st)
        tok = spnego_resp(initiator(mech="krb5").step())
        st, _, body = h.request("/", {"Authorization": "Negotiate " + b64(tok)})
        check("second leg on the same node: 200", st == 200, (st, body))
        h.close()


def test_token_through_haproxy_replayed_to_a_node_refused():
    tok = initiator().step()
    h = Http(lb.port)
    st, _, _ = h.request("/", {"Authorization": "Negotiate " + b64(tok)})
    h.close()
    check("token accepted through HAProxy", st == 200, st)
    for n in nodes:  # whichever node took it, every node refuses it now
        d = Http(n.direct)
        st, _, _ = d.request("/", {"Authorization": "Negotiate " + b64(tok)})
        d.close()
        check("replayed to %s directly: 401" % n.name, st == 401, st)


def test_sigkill_under_load_loses_only_in_flight():
    """Four clients log in (two NTLM, two Kerberos: fresh tokens each time) through HAProxy in a
    loop. The load pauses while six two-leg SPNEGO handshakes are opened through HAProxy and
    held between their legs (so node 2's pending gauge counts exactly the held ones on it), then
    resumes, and node 2 is SIGKILLed. The held handshakes lost are exactly those; a load attempt
    that fails is one the node had in flight (each client has at most one). Each is retried at
    once, as a browser would, and must succeed on the other nodes."""
    victim = nodes[1]
    stop, pause = threading.Event(), threading.Event()
    stats = {"ok": 0, "lost": 0, "retried_ok": 0, "retry_failed": 0, "busy": 0}
    lock = threading.Lock()

    def attempt(kind):
        if kind == "ntlm":
            code, _, _ = curl("--ntlm", "-u", "alice:" + PASSWORD)
        else:
            code, _, _ = curl("--negotiate", "-u", ":")
        return code == 200

    def one_login(kind):
        if attempt(kind):
            with lock:
                stats["ok"] += 1
            return
        with lock:
            stats["lost"] += 1
        ok = attempt(kind)
        with lock:
            stats["retried_ok" if ok else "retry_failed"] += 1

    def client(kind):
        while not stop.is_set():
            with lock:
                if pause.is_set():
                    busy = False
                else:
                    stats["busy"] += 1
                    busy = True
            if not busy:
                time.sleep(0.005)
                continue
            one_login(kind)
            with lock:
                stats["busy"] -= 1

    threads = [threading.Thread(target=client, args=(k,)) for k in ("ntlm", "ntlm", "krb", "krb")]
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    pause.set()
    wait_for(lambda: stats["busy"] == 0, 30)
    held = []
    for _ in range(6):
        h = Http(lb.port)
        h.request("/", {"Authorization": "Negotiate " + b64(spnego_init_no_token())})
        held.append(h)
    held_on_victim = int(victim.metrics()["negring_pending_handshakes"])
    before = stats["ok"]
    pause.clear()
    time.sleep(0.2)
    victim.signal(signal.SIGKILL)
    victim.wait()
    check("HAProxy marks the killed node down",
          wait_for(lambda: lb.status().get(victim.name) == "DOWN", 5), lb.status())
    held_lost = 0
    for h in held:  # their second legs now, well within HAProxy's keep-alive timeout
        try:
            st, _, _ = h.request("/", {"Authorization": "Negotiate " + b64(
                spnego_resp(initiator(mech="krb5").step()))})
        except (OSError, EOFError):
            st = None
        h.close()
        if st != 200:
            held_lost += 1
            retry = Http(lb.port)
            st, _, _ = retry.request("/", {"Authorization": "Negotiate " + b64(
                initiator().step())})
            retry.close()
            check("a held handshake lost with the node succeeds on retry", st == 200, st)
    check("the held handshakes lost are exactly those node 2 had pending (%d)" % held_on_victim,
          held_lost == held_on_victim and held_on_victim >= 1, (held_lost, held_on_victim))
    time.sleep(LOAD_SECONDS)
    stop.set()
    for t in threads:
        t.join()
    print("note: %(ok)d logins under load, %(lost)d lost in flight, %(retried_ok)d retried ok, "
          "%(retry_failed)d retries failed" % stats)
    check("logins before and after the kill", before > 10 and stats["ok"] > before + 10, stats)
    check("under load, at most one lost per client (the one in flight)", stats["lost"] <= 4,
          stats)
    check("every lost login succeeded on retry",
          stats["retry_failed"] == 0 and stats["retried_ok"] == stats["lost"], stats)


def test_sigterm_drain_seen_by_haproxy_first():
    codes, stop = [], threading.Event()

    def load():
        while not stop.is_set():
            codes.append(curl("--negotiate", "-u", ":")[0])

    t = threading.Thread(target=load)
    t.start()
    time.sleep(0.3)
    going = nodes[2]
    going.signal(signal.SIGTERM)
    t0 = time.monotonic()
    down = wait_for(lambda: lb.status().get(going.name) not in ("UP", None), 5, 0.05)
    alive_when_down = going.alive()
    check("HAProxy marks the draining node down (%.2f s)" % (time.monotonic() - t0), down,
          lb.status())
    check("while the node is still up (drain-grace)", alive_when_down)
    check("the node exits cleanly after its grace", going.wait() == 0)
    time.sleep(0.5)
    stop.set()
    t.join()
    check("every request during the drain succeeded (%d)" % len(codes),
          len(codes) > 5 and all(c == 200 for c in codes), [c for c in codes if c != 200])


def test_nodes_exit_cleanly():
    lb.stop()
    for n in nodes:
        if n.proc.returncode == -signal.SIGKILL:
            continue
        if n.alive():
            n.signal(signal.SIGINT)  # the second signal cuts drain-grace short
            n.signal(signal.SIGTERM)
            check(n.name + " exits cleanly", n.wait() == 0)
        log = open(n.log_path).read()
        check(n.name + ": no sanitizer report", "Sanitizer" not in log)


run(test_kerberos_through_haproxy, test_ntlm_through_haproxy, test_tls_passed_through_haproxy,
    test_requests_kerberos_through_haproxy, test_multi_leg_spnego_stays_on_one_node,
    test_token_through_haproxy_replayed_to_a_node_refused,
    test_sigkill_under_load_loses_only_in_flight, test_sigterm_drain_seen_by_haproxy_first,
    test_nodes_exit_cleanly)
