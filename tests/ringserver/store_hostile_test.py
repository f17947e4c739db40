"""A shared store that misbehaves (a small Python server in Redis' place): malformed, oversized
and unasked-for replies, error replies, silence, a closed connection. The node (fail-closed)
refuses the logins it cannot check with 503, counts each failure by kind in /metrics, never
crashes, and accepts logins again once the store answers properly. And a real Redis with an ACL
user holding only docs/farm.md's permissions: a node with its password logs in (AUTH on every
connection), a node with a wrong password refuses with 503 (WRONGPASS), and `--revoke` and
`--reload-farm` work with that user."""
import os
import socket
import subprocess
import threading
import time

from farm import Node, Redis, free_port, wait_for
from rsclient import Http, b64, check, initiator, run

REPLIES = {
    "malformed": b"%1\r\n+a\r\n+b\r\n",                  # a RESP3 map
    "oversized": b"$99999999\r\n" + b"x" * 4096,         # a bulk string over the limit
    "long_line": b"+" + b"A" * 20000,                    # a line that never ends
    "bad_integer": b":12a\r\n",
    "error": b"-READONLY You can't write against a read only replica.\r\n",
    "nested": b"*1\r\n*1\r\n+x\r\n",
    "ok": b"+OK\r\n",
}


class FakeRedis:
    """Answers every command per `mode`; "unasked" speaks first, "silent" never answers,
    "close" hangs up on the first command."""

    def __init__(self):
        self.port = free_port()
        self.mode = "ok"
        self.conns = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            conn, _ = self.sock.accept()
            self.conns.append(conn)
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        try:
            if self.mode == "unasked":
                conn.sendall(b"+OK\r\n")
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                if self.mode == "close":
                    break
                if self.mode in ("silent", "unasked"):
                    continue
                for _ in range(data.count(b"*")):  # one reply per command (arrays of bulks)
                    conn.sendall(REPLIES[self.mode])
        except OSError:
            pass
        conn.close()

    def drop_connections(self):
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


fake = FakeRedis()
node = Node("node1", "--shared-store", "127.0.0.1:%d" % fake.port, "--shared-store-timeout",
            "300ms")


def login():
    h = Http(node.direct)
    try:
        st, _, _ = h.request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
    finally:
        h.close()
    return st


def failures(kind):
    return node.metrics().get('negring_shared_store_failures_total{kind="%s"}' % kind, 0)


def up():
    return node.metrics().get("negring_shared_store_up") == 1


def test_well_behaved_fake_accepts():
    check("store up", wait_for(up, 5))
    check("a login checked by the fake store: 200", login() == 200)


def case(mode, kind):
    fake.mode = mode
    before = failures(kind)
    wait_for(up, 5)
    st = login()
    check("%s: login refused with 503 (fail-closed)" % mode, st == 503, st)
    check("%s: counted as %s" % (mode, kind), wait_for(lambda: failures(kind) > before, 3),
          (before, failures(kind)))
    check("%s: node still serving" % mode, node.alive() and Http(node.direct).request(
        "/healthz")[0] == 200)


def test_hostile_replies():
    for mode in ("malformed", "oversized", "long_line", "bad_integer", "nested"):
        case(mode, "protocol")
    case("error", "error_reply")
    case("silent", "timeout")
    case("close", "closed")


def test_unasked_reply():
    """A reply while nothing waits: the store speaks first on every new connection. (One that
    comes after a command was sent cannot be told from its answer: RESP has no request ids.)"""
    before = failures("protocol")
    fake.mode = "unasked"
    fake.drop_connections()
    check("unasked reply: counted as protocol",
          wait_for(lambda: failures("protocol") >= before + 2, 5), (before, failures("protocol")))
    check("unasked reply: node still serving",
          node.alive() and Http(node.direct).request("/healthz")[0] == 200)


def test_recovers_when_the_store_behaves():
    fake.mode = "ok"
    check("store up again", wait_for(up, 5))
    check("logins accepted again", all(login() == 200 for _ in range(3)))
    check("shared_store_down logged", len(node.lines("shared_store_down")) >= 10,
          len(node.lines("shared_store_down")))


def test_redis_acl_user_and_password():
    work = os.environ["RS_WORK"]
    acl = Redis("redis-acl", "user default off\n"
                "user negring on >s3cret-farm ~negring:* "
                "+set +mget +zadd +zrange +incr +auth\n"
                "user admin on >admin-pw ~* +@all\n")
    with open(os.path.join(work, "redis.password"), "w") as f:
        f.write("s3cret-farm\n")
    with open(os.path.join(work, "wrong.password"), "w") as f:
        f.write("not-the-password\n")
    store = ["--shared-store", acl.address, "--shared-store-user", "negring",
             "--shared-store-timeout", "300ms", "--shared-store-poll", "200ms"]
    good = Node("acl-good", *(store + ["--shared-store-password-file",
                                       os.path.join(work, "redis.password")]))
    bad = Node("acl-bad", *(store + ["--shared-store-password-file",
                                     os.path.join(work, "wrong.password")]))
    h = Http(good.direct)
    st, _, _ = h.request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
    h.close()
    check("ACL user with the right password: login checked and accepted", st == 200, st)
    m = good.metrics()
    check("AUTH sent on the connection", m.get('negring_shared_store_commands_total{command="auth"}',
                                               0) >= 1)
    check("its claim counted fresh",
          m.get('negring_shared_replay_checks_total{verdict="fresh"}') == 1, m)
    auth = ("--user", "admin", "--pass", "admin-pw")
    check("the key is in the store under the prefix",
          len(acl.cli("--scan", "--pattern", "negring:replay:*", auth=auth).split()) == 1)
    h = Http(bad.direct)
    st, _, _ = h.request("/", {"Authorization": "Negotiate " + b64(initiator().step())})
    h.close()
    check("wrong password: login refused with 503 (fail-closed)", st == 503, st)
    check("counted as an error reply (WRONGPASS)", wait_for(lambda: bad.metrics().get(
        'negring_shared_store_failures_total{kind="error_reply"}', 0) >= 1, 3))
    ring = os.environ["RINGSERVER"]
    pw = ["--shared-store-password-file", os.path.join(work, "redis.password")]
    out = subprocess.run([ring] + store + pw + ["--revoke", "bob@EXAMPLE"], capture_output=True,
                         text=True, timeout=20)
    check("--revoke with the ACL user", out.returncode == 0, out.stderr)
    check("the revocation reaches the node",
          wait_for(lambda: good.metrics().get("negring_shared_revocations") == 1, 2))
    out = subprocess.run([ring] + store + pw + ["--reload-farm"], capture_output=True, text=True,
                         timeout=20)
    check("--reload-farm with the ACL user", out.returncode == 0, out.stderr)
    check("the node reloads", wait_for(lambda: good.metrics().get(
        'negring_key_reloads_total{result="ok"}') == 1, 2))
    for n in (good, bad):
        n.signal(15)
        check(n.name + " exits cleanly", n.wait() == 0)


def test_node_exits_cleanly():
    node.signal(15)
    check("node exits cleanly", node.wait() == 0)
    check("no sanitizer report", "Sanitizer" not in open(node.log_path).read())


run(test_well_behaved_fake_accepts, test_hostile_replies, test_unasked_reply,
    test_recovers_when_the_store_behaves, test_redis_acl_user_and_password,
    test_node_exits_cleanly)
