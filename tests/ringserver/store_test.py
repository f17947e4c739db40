"""The farm's shared state in Redis (docs/farm.md), three nodes reached directly: a Kerberos token
accepted by node 1 and replayed to node 2 is refused (control: a token node 1 never saw is
accepted by node 2); a local replay costs no store command; `ringserver --revoke` on one node
holds on every node within shared-store-poll + shared-store-timeout + a worker turn (200 + 300
+ 50 ms here; checked against 1 s), and `ringserver --reload-farm` reloads every node (a new
cookie key) within the same bound. Redis killed under
load: fail-closed nodes answer 503 with Retry-After and local-only nodes accept, both shown in
/metrics and the log, and both recover by themselves once Redis is back."""
import os
import subprocess
import threading
import time

from farm import Node, Redis, wait_for
from rsclient import Http, b64, check, initiator, run

redis = Redis()
WORK = os.environ["RS_WORK"]
# Scales the Redis outage and the load after it (scripts/soak.sh farm runs longer).
LOAD_SECONDS = float(os.environ.get("FARM_LOAD_SECONDS", "1"))
with open(os.path.join(WORK, "cookie.key"), "wb") as f:
    f.write(os.urandom(32))  # the farm's one cookie key
STORE = ["--shared-store", redis.address, "--shared-store-timeout", "300ms",
         "--shared-store-poll", "200ms", "--cookie-key-file", os.path.join(WORK, "cookie.key"),
         "--cookie-secure", "no"]
nodes = [Node("node%d" % i, *(STORE + ["--shared-store-policy", policy]))
         for i, policy in ((1, "fail-closed"), (2, "fail-closed"), (3, "local-only"))]


def login(node, token):
    h = Http(node.direct)
    try:
        st, hdrs, body = h.request("/", {"Authorization": "Negotiate " + b64(token)})
    finally:
        h.close()
    return st, hdrs, body


def metric(node, name):
    return node.metrics().get(name, 0)


def verdicts(node, v):
    return metric(node, 'negring_shared_replay_checks_total{verdict="%s"}' % v)


def test_replay_to_another_node_refused():
    tok = initiator().step()
    st, _, _ = login(nodes[0], tok)
    check("node 1 accepts a fresh token", st == 200, st)
    st, hdrs, body = login(nodes[1], tok)
    check("node 2 refuses it: another node accepted it", st == 401, (st, body))
    check("with a fresh challenge", "www-authenticate" in hdrs, hdrs)
    check("node 2 counted a replay", verdicts(nodes[1], "replay") == 1)
    check("node 2 logged why", wait_for(lambda: any(
        "authenticator accepted before by another node" in l for l in nodes[1].lines("auth_failed")),
        3))
    st, _, _ = login(nodes[1], initiator().step())
    check("control: node 2 accepts a token node 1 never saw", st == 200, st)
    check("two fresh claims in all", verdicts(nodes[0], "fresh") + verdicts(nodes[1], "fresh") == 2)
    keys = redis.cli("--scan", "--pattern", "negring:replay:*").split()
    check("the store holds one key per accepted authenticator", len(keys) == 2, keys)
    ttl = int(redis.cli("PTTL", keys[0]))
    check("each expires within 2 x clock skew (600 s)", 590000 < ttl <= 600000, ttl)


def test_local_replay_costs_no_round_trip():
    tok = initiator().step()
    st, _, _ = login(nodes[0], tok)
    check("fresh token accepted", st == 200, st)
    before = metric(nodes[0], 'negring_shared_store_commands_total{command="claim"}')
    st, _, _ = login(nodes[0], tok)
    check("the same node refuses the replay", st == 401, st)
    after = metric(nodes[0], 'negring_shared_store_commands_total{command="claim"}')
    check("on its own replay cache's word, without asking the store", after == before,
          (before, after))


def with_cookie(node, cookie):
    h = Http(node.direct)
    st, _, _ = h.request("/", {"Cookie": cookie})
    h.close()
    return st


def session_cookie(node):
    st, hdrs, _ = login(node, initiator().step())
    return st, hdrs.get("set-cookie", [""])[0].split(";")[0]


revoked_cookie = []


def test_revocation_on_one_node_holds_on_all():
    st, cookie = session_cookie(nodes[0])
    revoked_cookie.append(cookie)
    check("login on node 1 issues a session cookie", st == 200 and "=" in cookie, cookie)
    check("the cookie logs in on every node (one cookie key)",
          all(with_cookie(n, cookie) == 200 for n in nodes))
    user = "alice@" + os.environ["NEGRING_REALM"]
    out = subprocess.run([os.environ["RINGSERVER"]] + STORE + ["--revoke", user],
                         capture_output=True, text=True, timeout=20)
    t0 = time.monotonic()
    check("ringserver --revoke with shared-store", out.returncode == 0, out.stderr)
    refused_after = {}
    while len(refused_after) < len(nodes) and time.monotonic() - t0 < 5:
        for n in nodes:
            if n.name not in refused_after and with_cookie(n, cookie) == 401:
                refused_after[n.name] = time.monotonic() - t0
        time.sleep(0.01)
    worst = max(refused_after.values()) if len(refused_after) == len(nodes) else None
    print("note: revocation refused on each node after %r s" % refused_after)
    check("the revoked session is refused on every node within 1 s (%s)" % worst,
          worst is not None and worst <= 1.0, refused_after)
    check("each node counts the farm's revocation",
          all(n.metrics().get("negring_shared_revocations") == 1 for n in nodes))
    time.sleep(1.1)  # sessions issued after the revocation's second are not revoked
    st, fresh = session_cookie(nodes[2])
    check("a session issued after the revocation logs in everywhere",
          st == 200 and all(with_cookie(n, fresh) == 200 for n in nodes))


def test_reload_farm_rotates_the_cookie_key_everywhere():
    """The second step of a rolling rotation: the new cookie key is on every node (one file
    here), then `ringserver --reload-farm`: every node reloads within the same bound."""
    st, old = session_cookie(nodes[1])
    check("a session cookie before the rotation", st == 200 and
          all(with_cookie(n, old) == 200 for n in nodes))
    reloads = [n.metrics().get('negring_key_reloads_total{result="ok"}', 0) for n in nodes]
    with open(os.path.join(WORK, "cookie.key"), "wb") as f:
        f.write(os.urandom(32))
    out = subprocess.run([os.environ["RINGSERVER"]] + STORE + ["--reload-farm"],
                         capture_output=True, text=True, timeout=20)
    t0 = time.monotonic()
    check("ringserver --reload-farm", out.returncode == 0, out.stderr)
    check("every node reloads within 1 s", wait_for(lambda: all(
        n.metrics().get('negring_key_reloads_total{result="ok"}', 0) == r + 1
        for n, r in zip(nodes, reloads)), 1.0, 0.01), time.monotonic() - t0)
    check("the old key's cookie is refused everywhere",
          all(with_cookie(n, old) == 401 for n in nodes))
    check("reload logged with its trigger",
          all(n.lines("reload") and any("trigger=farm" in l for l in n.lines("reload"))
              for n in nodes))
    st, new = session_cookie(nodes[0])
    check("a cookie under the new key logs in everywhere",
          st == 200 and all(with_cookie(n, new) == 200 for n in nodes))


class Load:
    """Threads logging in with fresh tokens to one node, recording each status."""

    def __init__(self, node, threads=2):
        self.node, self.codes, self.stop = node, [], threading.Event()
        self.threads = [threading.Thread(target=self.run) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self):
        while not self.stop.is_set():
            try:
                st, hdrs, _ = login(self.node, initiator().step())
                self.codes.append((time.monotonic(), st, "retry-after" in hdrs))
            except (OSError, EOFError) as e:
                self.codes.append((time.monotonic(), repr(e), False))
            time.sleep(0.005)

    def end(self):
        self.stop.set()
        for t in self.threads:
            t.join()
        return self.codes


def test_redis_killed_and_restarted_under_load():
    closed, local = Load(nodes[0]), Load(nodes[2])
    time.sleep(0.5)
    redis.kill()
    t_kill = time.monotonic()
    check("fail-closed node: store down in /metrics",
          wait_for(lambda: metric(nodes[0], "negring_shared_store_up") == 0, 5))
    time.sleep(1.5 * LOAD_SECONDS)
    t_restart = time.monotonic()
    redis.start()
    check("store up again by itself (fail-closed node)",
          wait_for(lambda: metric(nodes[0], "negring_shared_store_up") == 1, 5))
    check("store up again by itself (local-only node)",
          wait_for(lambda: metric(nodes[2], "negring_shared_store_up") == 1, 5))
    t_up = time.monotonic()
    time.sleep(0.7 * LOAD_SECONDS)
    a, b = closed.end(), local.end()
    # Settled outage: from 0.6 s after the kill (requests in flight then may still end either
    # way) to the restart.
    out_a = [c for t, c, _ in a if t_kill + 0.6 < t < t_restart]
    out_b = [c for t, c, _ in b if t_kill + 0.6 < t < t_restart]
    check("fail-closed: every login in the outage refused with 503 (%d)" % len(out_a),
          len(out_a) > 5 and all(c == 503 for c in out_a), set(out_a))
    check("fail-closed: with Retry-After",
          all(ra for t, c, ra in a if c == 503))
    check("local-only: every login in the outage accepted (%d)" % len(out_b),
          len(out_b) > 5 and all(c == 200 for c in out_b), set(out_b))
    after_a = [c for t, c, _ in a if t > t_up + 0.2]
    after_b = [c for t, c, _ in b if t > t_up + 0.2]
    check("fail-closed: logins accepted again after the restart (%d)" % len(after_a),
          len(after_a) > 3 and all(c == 200 for c in after_a), set(after_a))
    check("local-only: logins accepted after the restart", all(c == 200 for c in after_b))
    check("nothing but 200 and 503 ever",
          all(c in (200, 503) for _, c, _ in a) and all(c == 200 for _, c, _ in b),
          set(c for _, c, _ in a + b))
    m0, m2 = nodes[0].metrics(), nodes[2].metrics()
    check("/metrics: fail-closed refusals counted",
          m0.get('negring_shared_replay_checks_total{verdict="unavailable_refused"}', 0) ==
          sum(1 for _, c, _ in a if c == 503))
    check("/metrics: local-only acceptances counted",
          m2.get('negring_shared_replay_checks_total{verdict="unavailable_local_only"}', 0) > 5)
    check("/metrics: connection failures counted",
          sum(v for k, v in m0.items() if k.startswith("negring_shared_store_failures_total")) >= 1)
    check("Redis restarted empty: the revocation still holds on every node",
          revoked_cookie and all(with_cookie(n, revoked_cookie[0]) == 401 for n in nodes))
    check("log: store down and up again",
          nodes[0].lines("shared_store_down") and len(nodes[0].lines("shared_store_up")) >= 2)


def test_nodes_exit_cleanly():
    for n in nodes:
        n.signal(15)
        check(n.name + " exits cleanly", n.wait() == 0)
        check(n.name + ": no sanitizer report", "Sanitizer" not in open(n.log_path).read())


run(test_replay_to_another_node_refused, test_local_replay_costs_no_round_trip,
    test_revocation_on_one_node_holds_on_all, test_reload_farm_rotates_the_cookie_key_everywhere,
    test_redis_killed_and_restarted_under_load, test_nodes_exit_cleanly)
