"""Client helpers for the ringserver tests: the test runner, MIT GSSAPI tokens (python3-gssapi),
hand-built SPNEGO wrappers for multi-leg exchanges, a minimal HTTP/1.1 client over one socket (so
the test controls keep-alive), the raw protocol's frames (docs/ringserver.md), and the fault
control socket of ringserver_faulty (fault_control.c)."""
import base64
import os
import socket
import struct
import sys
import time
import traceback

import gssapi

SPNEGO_OID = bytes.fromhex("06062b0601050502")
KRB5_OID_DER = bytes.fromhex("06092a864886f712010202")
FAILS = 0


def check(what, cond, detail=""):
    global FAILS
    if cond:
        print("ok: " + what)
    else:
        FAILS += 1
        print("FAIL: %s %s" % (what, detail), file=sys.stderr)


def run(*tests):
    """Runs the test functions in turn, then exits 1 if any check failed. A test that raises
    counts as a failure (with its traceback) and the next one still runs, so one broken step does
    not hide the rest."""
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
            continue
        if FAILS > before:
            print("FAIL: %s" % test.__name__, file=sys.stderr)
    if FAILS:
        print("%d check(s) failed" % FAILS, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


def initiator(mech="spnego", ccache=None, bindings=None):
    """A fresh MIT initiator context for HTTP@localhost; `bindings`: the channel bindings'
    application data (e.g. tls-server-end-point:HASH, RFC 5929)."""
    name = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
    oid = gssapi.MechType.kerberos if mech == "krb5" else gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
    creds = None
    if ccache:
        creds = gssapi.Credentials(usage="initiate", store={"ccache": ccache})
    flags = [gssapi.RequirementFlag.mutual_authentication]
    cb = gssapi.raw.ChannelBindings(application_data=bindings) if bindings else None
    return gssapi.SecurityContext(name=name, mech=oid, usage="initiate", flags=flags, creds=creds,
                                  channel_bindings=cb)


def der(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def spnego_init_no_token():
    """RFC 4178 NegTokenInit offering Kerberos without an optimistic token: the acceptor must
    answer with a NegTokenResp and wait for a second leg."""
    inner = der(0x30, der(0xA0, der(0x30, KRB5_OID_DER)))
    return der(0x60, SPNEGO_OID + der(0xA0, inner))


def spnego_resp(token):
    """RFC 4178 NegTokenResp carrying a mechanism token."""
    return der(0xA1, der(0x30, der(0xA2, der(0x04, token))))


def b64(data):
    return base64.b64encode(data).decode()


def tls_client(cafile=None, alpn=("http/1.1",), **versions):
    """A client ssl.SSLContext trusting `cafile` (default: the test PKI's CA), offering `alpn`;
    versions: minimum_version / maximum_version (ssl.TLSVersion)."""
    import ssl
    ctx = ssl.create_default_context(cafile=cafile or os.path.join(os.environ["RS_WORK"],
                                                                   "pki", "ca.pem"))
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    for k, v in versions.items():
        setattr(ctx, k, v)
    return ctx


class Http:
    """One keep-alive HTTP/1.1 connection; over TLS with an ssl.SSLContext (and a session to
    resume)."""

    def __init__(self, port, tls=None, session=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost", session=session)
        self.buf = b""

    def send_raw(self, data):
        self.sock.sendall(data)

    def request(self, path="/", headers=None, method="GET"):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: localhost"]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        self.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode())
        return self.response(method == "HEAD")

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def response(self, head=False):
        """(status, {lower-name: [values]}, body) or raises EOFError."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head_bytes, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        hdrs = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        n = 0 if head else int(hdrs.get("content-length", ["0"])[0])
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hdrs, body

    def closed_by_server(self, wait=5):
        """True if the server closes the connection within `wait` seconds."""
        try:
            self.sock.settimeout(wait)
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def auth_token(hdrs, scheme="Negotiate"):
    for v in hdrs.get("www-authenticate", []):
        if v.startswith(scheme + " "):
            return base64.b64decode(v[len(scheme) + 1:])
    return None


class Raw:
    """One raw-protocol connection (over TLS with an ssl.SSLContext)."""

    def __init__(self, port, tls=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")

    def send(self, token):
        self.sock.sendall(struct.pack(">I", len(token)) + token)

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise EOFError("connection closed")
            out += chunk
        return out

    def frame(self):
        """('C', token) | ('A', (final_token, name, mech)) | ('E', (status, reason))."""
        (n,) = struct.unpack(">I", self._read(4))
        body = self._read(n)
        kind, p = chr(body[0]), body[1:]
        if kind == "C":
            return kind, p
        if kind == "A":
            (tl,) = struct.unpack(">I", p[:4])
            tok, p = p[4:4 + tl], p[4 + tl:]
            (ul,) = struct.unpack(">H", p[:2])
            user, p = p[2:2 + ul].decode(), p[2 + ul:]
            (ml,) = struct.unpack(">H", p[:2])
            return kind, (tok, user, p[2:2 + ml].decode())
        if kind == "E":
            status, rl = struct.unpack(">IH", p[:6])
            return kind, (status, p[6:6 + rl].decode())
        raise ValueError("unknown frame type %r" % kind)

    def close(self):
        self.sock.close()


def metrics(port, tls=None):
    h = Http(port, tls)
    status, _, body = h.request("/metrics")
    h.close()
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


class Control:
    """The fault_control.c unix socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.buf = b""

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.sock.recv(64)
            if not chunk:
                raise EOFError("control socket closed")
            self.buf += chunk
        answer, self.buf = self.buf.split(b"\n", 1)
        return answer.decode()

    def settled_count(self):
        """Allocations since arming, once the server stopped allocating for this attempt."""
        last = int(self.cmd("count"))
        while True:
            time.sleep(0.005)
            now = int(self.cmd("count"))
            if now == last:
                return now
            last = now


PORTS = [int(p) for p in os.environ.get("RS_PORTS", "").split()]


def count_closed(socks, timeout):
    """Closes each socket after seeing whether the server closed it (EOF or reset) within
    `timeout` seconds; returns how many the server had closed."""
    closed = 0
    for s in socks:
        s.settimeout(timeout)
        try:
            closed += s.recv(1) == b""
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            pass
        s.close()
    return closed
