"""What the nginx module's and the Squid helper's tests share: the runner (one function per
behaviour), a throwaway realm (scripts/realm.sh), an NTLM account file (negring-user),
processes that are stopped at exit, a minimal HTTP/1.1 client over one socket (so a test
controls which connection a leg travels on), and the clients' tokens: MIT GSSAPI
(python3-gssapi) for Kerberos, python3-ntlm-auth for NTLM.

Environment: REALM_SH (scripts/realm.sh), NEGRING_USER_TOOL (negring-user), OPENSSL_CONF
(openssl-legacy.cnf: python3-ntlm-auth hashes with MD4, which OpenSSL 3 keeps in its legacy
provider)."""
import atexit
import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import gssapi
from ntlm_auth.ntlm import NtlmContext

FAILS = 0
try:  # at once, not mid-test
    hashlib.new("md4", b"")
except ValueError:
    sys.exit("MD4 unavailable: run with OPENSSL_CONF=tests/embed/openssl-legacy.cnf (ctest does)")
NTLM_DOMAIN, NTLM_USER, NTLM_PASSWORD = "EXAMPLE", "carol", "Carol-Pass-3"
SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")


def check(what, cond, detail=""):
    global FAILS
    if cond:
        print("ok: " + what)
    else:
        FAILS += 1
        print("FAIL: %s %s" % (what, detail), file=sys.stderr)


def run(*tests):
    """Runs the tests in turn; a test that raises is a failure and the next one still runs.
    Exits 1 if any check failed."""
    global FAILS
    for test in tests:
        print("== " + test.__name__)
        before = FAILS
        try:
            test()
        except Exception:
            FAILS += 1
            traceback.print_exc()
            print("FAIL: %s raised" % test.__name__, file=sys.stderr)
        if FAILS > before:
            print("FAIL: %s" % test.__name__, file=sys.stderr)
    if FAILS:
        print("%d check(s) failed" % FAILS, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


class Work:
    """A temporary folder with a realm, an NTLM account file and the processes a test starts;
    everything stopped and removed at exit."""

    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.procs = []
        atexit.register(self.close)
        subprocess.run([os.environ["REALM_SH"], "start", self.realm_dir], check=True,
                       stdout=subprocess.DEVNULL,
                       env=dict(os.environ, NEGRING_REALM_WATCH_PID=str(os.getpid())))
        with open(os.path.join(self.realm_dir, "env")) as f:
            for line in f:
                name, _, value = line.strip()[len("export "):].partition("=")
                os.environ[name] = value.strip("'")
        self.users = os.path.join(self.dir, "users")
        subprocess.run([os.environ["NEGRING_USER_TOOL"], "add", "--db", self.users,
                        NTLM_DOMAIN + "\\" + NTLM_USER], input=NTLM_PASSWORD + "\n", text=True,
                       check=True, stdout=subprocess.DEVNULL)

    @property
    def realm_dir(self):
        return os.path.join(self.dir, "realm")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def start(self, args, **kw):
        """A process in its own process group: stopping it stops its children (nginx's
        workers, Squid's helpers) too."""
        p = subprocess.Popen(args, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        subprocess.run([os.environ["REALM_SH"], "stop", self.realm_dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("process exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("port %d never opened" % port)


def echo_app(work):
    """tests/nginx/echo_app.py, the upstream application; returns its port."""
    port_file = work.path("app.port")
    here = os.path.dirname(os.path.abspath(__file__))
    work.start(["/usr/bin/python3", os.path.join(here, "..", "nginx", "echo_app.py"), port_file])
    for _ in range(500):
        if os.path.exists(port_file):
            with open(port_file) as f:
                return int(f.read())
        time.sleep(0.01)
    raise RuntimeError("echo_app did not start")


class Conn:
    """One HTTP/1.1 keep-alive connection."""

    def __init__(self, port, host="localhost"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.host, self.port = host, port
        self.buf = b""

    def request(self, path, headers=(), method="GET", proxy=False):
        """Sends one request; returns (status, {lower-case name: [values]}, body)."""
        head = "%s %s HTTP/1.1\r\nHost: %s:%d\r\n" % (method, path, self.host, self.port)
        head += "".join("%s: %s\r\n" % h for h in headers)
        self.sock.sendall((head + "\r\n").encode())
        return self.response()

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            hdrs.setdefault(name.strip().lower(), []).append(value.strip())
        n = int(hdrs.get("content-length", ["0"])[0])
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hdrs, body

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed")
        self.buf += data

    def close(self):
        self.sock.close()


def kerberos_initiator(service="HTTP@localhost", mech=SPNEGO):
    name = gssapi.Name(service, gssapi.NameType.hostbased_service)
    return gssapi.SecurityContext(name=name, mech=mech, usage="initiate",
                                  flags=[gssapi.RequirementFlag.mutual_authentication])


def kerberos_token(**kw):
    """A fresh Kerberos login (SPNEGO, MIT's initiator), base64."""
    return base64.b64encode(kerberos_initiator(**kw).step()).decode()


def ntlm_context(password=NTLM_PASSWORD):
    return NtlmContext(NTLM_USER, password, domain=NTLM_DOMAIN, workstation="PYCLIENT",
                       ntlm_compatibility=3)


def b64(data):
    return base64.b64encode(data).decode()


def challenge_token(hdrs, scheme):
    """The token of `scheme`'s WWW-Authenticate (or Proxy-Authenticate) challenge, or None."""
    for name in ("www-authenticate", "proxy-authenticate"):
        for value in hdrs.get(name, []):
            s, _, tok = value.partition(" ")
            if s.lower() == scheme.lower() and tok:
                return base64.b64decode(tok)
    return None
