#!/usr/bin/python3
"""negring-squid-auth (squid/): through Debian's Squid 5.7 as a forward proxy (curl
--proxy-negotiate and --proxy-ntlm to an application that echoes the headers it gets, the user
Squid passes on in X-Remote-User), and on its own over the helper protocol (stdin/stdout):
Kerberos with mutual authentication, replays within and across helper processes, NTLM on
interleaved channels, malformed lines answered BH without dying, a crashed helper restarted by
Squid. One function per behaviour (embedtest.run).

Environment: SQUID_HELPER (the binary), REALM_SH, NEGRING_USER_TOOL, OPENSSL_CONF."""
import base64
import os
import pwd
import re
import select
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "embed"))
from embedtest import (NTLM_DOMAIN, NTLM_PASSWORD, NTLM_USER, Conn, Work, b64,  # noqa: E402
                       check, echo_app, free_port, kerberos_initiator, kerberos_token,
                       ntlm_context, run, wait_port)

HELPER = os.environ["SQUID_HELPER"]
work = Work("squid-helper-test.")
os.chmod(work.dir, 0o755)  # Squid runs its helpers as the proxy user
USER = os.environ["NEGRING_USER"]
NTLM_NAME = NTLM_DOMAIN + "\\" + NTLM_USER
APP = echo_app(work)


# ---- the helper on its own ---------------------------------------------------------------

class Helper:
    """One negring-squid-auth process; ask() sends a line and returns its answer line."""

    def __init__(self, *args):
        self.proc = work.start([HELPER, "-k", os.environ["KRB5_KTNAME"], "--ntlm-accounts",
                                work.users] + list(args),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def answer(self, timeout=10):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError("no answer")
        return self.proc.stdout.readline().decode().rstrip("\n")

    def ask(self, line):
        self.send(line.encode() + b"\n")
        return self.answer()

    def close(self):
        self.proc.stdin.close()
        return self.proc.wait(timeout=10)


def test_kerberos_over_the_helper_protocol():
    h = Helper("-c", work.path())
    ctx = kerberos_initiator()
    token = b64(ctx.step())
    answer = h.ask("YR " + token)
    m = re.fullmatch(r'AF (\S+) "(.*)"', answer)
    check("YR with a Kerberos token: AF token \"user\"", m is not None and m.group(2) == USER,
          answer)
    if m:
        ctx.step(base64.b64decode(m.group(1)))
        check("the AF token completes MIT's initiator (mutual authentication)", ctx.complete)
    answer = h.ask("YR " + token)
    check("the same token again: NA", answer.startswith("NA "), answer)
    strip = Helper("-r", "-c", work.path())
    answer = strip.ask("YR " + kerberos_token())
    check("-r: the user without its realm", answer.endswith(' "%s"' % USER.split("@")[0]),
          answer)
    check("the helpers exit 0 at the end of their input", (h.close(), strip.close()) == (0, 0))


def test_replay_across_helper_processes():
    """Squid runs several children: a token one accepted is refused by another through the
    replay table they share (-c), and accepted by one that does not share it (the control:
    libnegring's own replay cache is per process)."""
    a, b = Helper("-c", work.path()), Helper("-c", work.path())
    os.makedirs(work.path("elsewhere"), exist_ok=True)
    c = Helper("-c", work.path("elsewhere"))
    token = kerberos_token()
    check("helper A accepts a token", a.ask("YR " + token).startswith("AF "))
    answer = b.ask("YR " + token)
    check("helper B, same table: NA replayed authenticator",
          answer.startswith("NA replayed authenticator"), answer)
    check("helper C, another table, accepts it again (why the table is shared)",
          c.ask("YR " + token).startswith("AF "))
    for h in (a, b, c):
        h.close()


def test_ntlm_on_interleaved_channels():
    h = Helper("--mechs", "ntlm", "-c", work.path())
    ctx = [ntlm_context(), ntlm_context(), ntlm_context("wrong-password")]
    challenges = {}
    for ch in (0, 1, 2):
        answer = h.ask("%d YR %s" % (ch, b64(ctx[ch].step())))
        m = re.fullmatch(r"%d TT (\S+)" % ch, answer)
        check("channel %d: YR NEGOTIATE -> TT CHALLENGE" % ch, m is not None, answer)
        challenges[ch] = base64.b64decode(m.group(1)) if m else b""
    for ch in (1, 0):
        answer = h.ask("%d KK %s" % (ch, b64(ctx[ch].step(challenges[ch]))))
        check("channel %d: KK AUTHENTICATE -> AF \"DOMAIN\\\\user\" (quoted, \\ escaped)" % ch,
              answer == '%d AF "%s"' % (ch, NTLM_NAME.replace("\\", "\\\\")), answer)
    answer = h.ask("2 KK %s" % b64(ctx[2].step(challenges[2])))
    check("channel 2, wrong password: NA", answer == "2 NA logon denied", answer)
    h.close()


def test_malformed_lines_answered_bh():
    h = Helper("-c", work.path(), "--max-channels", "8")
    cases = [b"", b"XX", b"YR", b"YR ", b"YR  AAAA", b"YR !!!!", b"YR QQ=", b"YR QR==",
             b"YR AAAA extra", b"YR AAAA ", b"KK AAAA\r", b"yr AAAA", b"QQ now",
             b"1234567890 YR AAAA", b"8 YR AAAA", b"-1 YR AAAA", b"YR A\x00AA",
             b"\xff\xfe\x00\x01", b" YR AAAA"]
    for line in cases:
        h.send(line + b"\n")
        answer = h.answer()
        check("%r -> BH" % line, answer.startswith("BH ") or answer.startswith("8 BH "), answer)
    h.send(b"YR " + b"A" * 200000 + b"\n")
    check("a 200 KB line -> BH line too long", h.answer() == "BH line too long")
    answer = h.ask("7 YR AAAA")  # well-formed, not a token libnegring takes
    check("a line that parses but holds no token: NA, channel kept", answer.startswith("7 NA "),
          answer)
    answer = h.ask("YR " + kerberos_token())
    check("after all that, a real login: AF", answer.startswith("AF "), answer)
    h.send(b"YR AAAA")  # no newline, then the end of input
    h.proc.stdin.close()
    check("an unterminated last line -> BH", h.answer() == "BH line not terminated")
    check("... and a clean exit", h.proc.wait(timeout=10) == 0)


def test_bad_options_refused():
    out = subprocess.run([HELPER, "--mechs", "spnego"], capture_output=True, text=True)
    check("--mechs spnego: exit 1 with a message", out.returncode == 1 and
          "bad value" in out.stderr, out.stderr)
    out = subprocess.run([HELPER, "--mechs", "ntlm", "-c", work.path()], capture_output=True,
                         text=True)
    check("--mechs ntlm without an account file: exit 1, says why", out.returncode == 1 and
          "account file" in out.stderr, out.stderr)
    out = subprocess.run([HELPER, "-k", "/nonexistent/http.keytab", "-c", work.path()],
                         capture_output=True, text=True)
    check("a missing keytab: exit 1, names it", out.returncode == 1 and
          "/nonexistent/http.keytab" in out.stderr, out.stderr)


# ---- through Squid -----------------------------------------------------------------------

def start_squid():
    d = work.path("squid")
    os.makedirs(d)
    shutil.copy(os.environ["KRB5_KTNAME"].split(":", 1)[1], os.path.join(d, "http.keytab"))
    shutil.copy(os.environ["KRB5_CONFIG"], os.path.join(d, "krb5.conf"))
    shutil.copy(work.users, os.path.join(d, "users"))
    if os.geteuid() == 0:  # Squid started as root runs its helpers as proxy
        proxy = pwd.getpwnam("proxy")
        for name in os.listdir(d) + ["."]:
            os.chown(os.path.join(d, name), proxy.pw_uid, proxy.pw_gid)
    port = free_port()
    with open(os.path.join(d, "squid.conf"), "w") as f:
        f.write("""
http_port 127.0.0.1:%(port)d
visible_hostname localhost
pid_filename %(d)s/squid.pid
cache_log %(d)s/cache.log
access_log stdio:%(d)s/access.log squid
cache deny all
cache_mem 8 MB
coredump_dir %(d)s
netdb_filename none
pinger_enable off
shutdown_lifetime 1 seconds
auth_param negotiate program %(helper)s -i -k %(d)s/http.keytab -c %(d)s
auth_param negotiate children 3 startup=1 idle=1
auth_param negotiate keep_alive on
auth_param ntlm program %(helper)s -i --mechs ntlm --ntlm-accounts %(d)s/users -c %(d)s
auth_param ntlm children 3 startup=1 idle=1
acl authed proxy_auth REQUIRED
http_access allow authed
http_access deny all
request_header_add X-Remote-User "%%ul" all
""" % {"port": port, "d": d, "helper": HELPER})
    # The helpers, as the proxy user, read this copy of krb5.conf; their sanitizer (in the
    # ASan build) cannot stop the world for a leak check after Squid's setuid.
    env = dict(os.environ, KRB5_CONFIG=os.path.join(d, "krb5.conf"),
               ASAN_OPTIONS="detect_leaks=0")
    proc = work.start(["squid", "-N", "-d1", "-f", os.path.join(d, "squid.conf")], env=env,
                      stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "stderr"), "w"))
    wait_port(port, proc, seconds=20)
    return proc, port, d


SQUID, SQUID_PORT, SQUID_DIR = start_squid()
APP_URL = "http://127.0.0.1:%d/" % APP


def through_squid(*args):
    out = subprocess.run(["curl", "-s", "-o", "/dev/stderr", "-w", "%{http_code}", "-x",
                          "http://localhost:%d" % SQUID_PORT] + list(args) + [APP_URL],
                         capture_output=True, text=True)
    return int(out.stdout or 0), out.stderr


def remote_user(body):
    import json
    return json.loads(body)["headers"].get("X-Remote-User")


def test_curl_proxy_negotiate():
    code, _ = through_squid()
    check("no credentials: 407", code == 407, code)
    code, body = through_squid("--proxy-negotiate", "-U", ":")
    check("curl --proxy-negotiate: 200 from the application", code == 200, body)
    check("Squid's user is the Kerberos principal", code == 200 and remote_user(body) == USER,
          body)


def test_curl_proxy_ntlm():
    code, body = through_squid("--proxy-ntlm", "-U", "%s:%s" % (NTLM_NAME, NTLM_PASSWORD))
    check("curl --proxy-ntlm: 200", code == 200, body)
    check("Squid's user is DOMAIN\\user, backslash intact",
          code == 200 and remote_user(body) == NTLM_NAME, body)
    code, _ = through_squid("--proxy-ntlm", "-U", NTLM_NAME + ":wrong-password")
    check("curl --proxy-ntlm with a wrong password: 407", code == 407, code)


def test_replayed_token_refused_through_squid():
    token = kerberos_token()
    answers = []
    for _ in range(2):
        c = Conn(SQUID_PORT)
        status, _, _ = c.request(APP_URL, [("Proxy-Authorization", "Negotiate " + token)])
        answers.append(status)
        c.close()
    check("a token used twice through Squid: 200 then 407", answers == [200, 407], answers)


def helper_pids(flag):
    """The pids of Squid's negring-squid-auth children whose command line has `flag`."""
    pids = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == SQUID.pid and b"(negring-squid-auth)" in cmdline[0] and flag in cmdline:
            pids.append(int(pid))
    return pids


def test_helper_restarted_after_a_crash():
    code, _ = through_squid("--proxy-negotiate", "-U", ":")
    check("a login before the crash: 200", code == 200, code)
    with open(os.path.join(SQUID_DIR, "cache.log")) as f:
        served = [int(p) for p in re.findall(r"negring-squid-auth\[(\d+)\]: \S+ logged in with "
                                             r"Kerberos", f.read())]
    alive = helper_pids(b"-k")
    victim = next((p for p in reversed(served) if p in alive), None)
    check("the helper that answered is found", victim is not None, (served, alive))
    if victim is None:
        return
    os.kill(victim, signal.SIGSEGV)  # a crash, as a bug would make one
    deadline = time.time() + 10
    while time.time() < deadline and victim in helper_pids(b"-k"):
        time.sleep(0.05)
    ok = 0
    for _ in range(3):
        code, _ = through_squid("--proxy-negotiate", "-U", ":")
        ok += code == 200
    check("logins after the crash: 3 of 3", ok == 3, ok)
    now = helper_pids(b"-k")
    check("Squid started a new helper", victim not in now and len(now) >= 1, now)
    check("Squid is still running", SQUID.poll() is None)


run(test_kerberos_over_the_helper_protocol, test_replay_across_helper_processes,
    test_ntlm_on_interleaved_channels, test_malformed_lines_answered_bh, test_bad_options_refused,
    test_curl_proxy_negotiate, test_curl_proxy_ntlm, test_replayed_token_refused_through_squid,
    test_helper_restarted_after_a_crash)
