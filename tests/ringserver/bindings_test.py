"""Extended Protection (RFC 5929 tls-server-end-point channel bindings) through ringserver's TLS
listeners, with real clients: MIT GSSAPI (python3-gssapi, bindings or none), python3-requests-
kerberos, python3-requests-ntlm (which binds NTLM to the server certificate) and python3-ntlm-
auth without bindings. A token bound to another server's certificate (a man in the middle
relaying it) is refused under every policy that checks; a token from a client on plain HTTP
(no bindings) relayed to HTTPS is refused where bindings are required; a token replayed on
another TLS connection is refused; bindings=off ignores bindings.
RS_PORTS: [0] tls when-supplied, [1] tls require, [2] tls with another certificate (the man in
the middle's), [3] plain, [4] tls require with a certificate signed with SHA-384, [5] tls
bindings=off. Accounts: NEGRING\\alice for NTLM."""
import hashlib
import os
import ssl
import time

import kerberos
import requests
from ntlm_auth.ntlm import NtlmContext
from requests_kerberos import DISABLED, HTTPKerberosAuth
from requests_ntlm import HttpNtlmAuth

from rsclient import PORTS, Http, auth_token, b64, check, initiator, run, tls_client

when, require, other, plain, require384, off = PORTS
work = os.environ["RS_WORK"]
pki = os.path.join(work, "pki")
ca = os.path.join(pki, "ca.pem")
alice = "alice@" + os.environ["NEGRING_REALM"]
SEC_E_BAD_BINDINGS = "0x80090346"
nt_hash = open(os.path.join(work, "users")).read().split(":")[2]
password = "aad3b435b51404eeaad3b435b51404ee:" + nt_hash


def end_point(cert, digest=hashlib.sha256):
    """RFC 5929 §4: the tls-server-end-point application data of a PEM certificate."""
    der = ssl.PEM_cert_to_DER_cert(open(os.path.join(pki, cert)).read())
    return b"tls-server-end-point:" + digest(der).digest()


OURS, THEIRS = end_point("server.pem"), end_point("server2.pem")


def login(port, tok, tls=True):
    c = Http(port, tls_client() if tls else None)
    st, h, _ = c.request("/", {"Authorization": "Negotiate " + b64(tok)})
    c.close()
    return st, h


def refused_for_bindings(n_before):
    """The server logged SEC_E_BAD_BINDINGS for a refusal after n_before such lines."""
    for _ in range(100):
        lines = [l for l in open(os.environ["RS_LOG"]) if "status=" + SEC_E_BAD_BINDINGS in l]
        if len(lines) > n_before:
            return True
        time.sleep(0.02)
    return False


def bad_bindings_count():
    return sum(1 for l in open(os.environ["RS_LOG"]) if "status=" + SEC_E_BAD_BINDINGS in l)


def test_kerberos_with_the_channels_bindings():
    for port, what in [(when, "when-supplied"), (require, "require")]:
        st, h = login(port, initiator(bindings=OURS).step())
        check("Kerberos bound to this certificate, %s -> 200" % what,
              st == 200 and h.get("x-remote-user") == [alice], (st, h))
    st, h = login(require384, initiator(bindings=end_point("sha384.pem", hashlib.sha384)).step())
    check("certificate signed with SHA-384: bindings hashed with SHA-384 -> 200", st == 200,
          (st, h))


def test_kerberos_without_bindings():
    st, _ = login(when, initiator().step())
    check("Kerberos without bindings, when-supplied -> 200", st == 200, st)
    n = bad_bindings_count()
    st, _ = login(require, initiator().step())
    check("Kerberos without bindings, require -> 401", st == 401, st)
    check("refused as SEC_E_BAD_BINDINGS", refused_for_bindings(n))


def test_requests_kerberos():
    """Debian 12's requests-kerberos on pykerberos 1.1.14 sends no bindings (it needs
    kerberos.channelBindings, which that pykerberos lacks)."""
    sends = hasattr(kerberos, "channelBindings")
    auth = HTTPKerberosAuth(mutual_authentication=DISABLED)
    r = requests.get("https://localhost:%d/" % when, auth=auth, verify=ca, timeout=10)
    check("requests-kerberos, when-supplied -> 200", r.status_code == 200, r.status_code)
    r = requests.get("https://localhost:%d/" % require, auth=HTTPKerberosAuth(
        mutual_authentication=DISABLED), verify=ca, timeout=10)
    check("requests-kerberos (%s bindings), require -> %d" % ("with" if sends else "without",
                                                               200 if sends else 401),
          r.status_code == (200 if sends else 401), r.status_code)


def test_requests_ntlm_binds_to_the_certificate():
    for port, what in [(when, "when-supplied"), (require, "require")]:
        r = requests.get("https://localhost:%d/" % port, verify=ca, timeout=10,
                         auth=HttpNtlmAuth("NEGRING\\alice", password))
        check("requests-ntlm (bindings from the certificate), %s -> 200" % what,
              r.status_code == 200 and r.headers.get("X-Remote-User") == "NEGRING\\alice",
              (r.status_code, r.headers))


def ntlm_login(port, cbt=None, tls=True):
    """NTLM with python3-ntlm-auth on one connection; cbt: the bindings it computes from."""
    ctx = NtlmContext("alice", password, domain="NEGRING", workstation="WS1",
                      ntlm_compatibility=3, cbt_data=cbt)
    c = Http(port, tls_client() if tls else None)
    st, h, _ = c.request("/", {"Authorization": "NTLM " + b64(ctx.step())})
    challenge = auth_token(h, "NTLM")
    if st != 401 or challenge is None:
        return st
    st, _, _ = c.request("/", {"Authorization": "NTLM " + b64(ctx.step(challenge))})
    c.close()
    return st


def gss_bindings(app_data):
    from ntlm_auth.gss_channel_bindings import GssChannelBindingsStruct
    cbt = GssChannelBindingsStruct()
    cbt[cbt.APPLICATION_DATA] = app_data
    return cbt


def test_ntlm_without_bindings():
    check("NTLM without bindings, when-supplied -> 200", ntlm_login(when) == 200)
    n = bad_bindings_count()
    check("NTLM without bindings, require -> 401", ntlm_login(require) == 401)
    check("refused as SEC_E_BAD_BINDINGS", refused_for_bindings(n))


def test_token_bound_to_another_certificate_refused():
    """A man in the middle with its own certificate relays the victim's token: the victim bound
    it to the certificate it saw."""
    for port, what in [(when, "when-supplied"), (require, "require")]:
        n = bad_bindings_count()
        st, _ = login(port, initiator(bindings=THEIRS).step())
        check("Kerberos relayed from another certificate, %s -> 401" % what, st == 401, st)
        check("  as SEC_E_BAD_BINDINGS", refused_for_bindings(n))
        n = bad_bindings_count()
        check("NTLM relayed from another certificate, %s -> 401" % what,
              ntlm_login(port, gss_bindings(THEIRS)) == 401)
        check("  as SEC_E_BAD_BINDINGS", refused_for_bindings(n))
    st, _ = login(other, initiator(bindings=THEIRS).step())
    check("control: that token on the certificate it was bound to -> 200", st == 200, st)


def test_token_relayed_from_plain_http():
    """A client on plain HTTP sends no bindings; relayed to HTTPS it is refused where
    bindings are required, and accepted where they are only checked when supplied (IIS's
    "Accept" has the same gap: use bindings=require against relays)."""
    tok = initiator().step()  # as a plain-HTTP client makes it, captured before the server
    st, _ = login(require, tok)
    check("Kerberos from plain HTTP relayed to HTTPS (require) -> 401", st == 401, st)
    check("NTLM from plain HTTP relayed to HTTPS (require) -> 401",
          ntlm_login(require, None) == 401)
    st, _ = login(when, initiator().step())
    check("the same relay to a when-supplied listener -> 200 (the policy's known gap)", st == 200)


def test_token_replayed_on_another_tls_connection():
    tok = initiator(bindings=OURS).step()
    st, _ = login(require, tok)
    check("a bound token on its TLS connection -> 200", st == 200, st)
    st, _ = login(require, tok)
    check("the same token on another TLS connection -> 401 (replay)", st == 401, st)


def test_bindings_off_ignores_them():
    st, _ = login(off, initiator(bindings=THEIRS).step())
    check("bindings=off: a token bound elsewhere is not checked -> 200", st == 200, st)


run(test_kerberos_with_the_channels_bindings,
    test_kerberos_without_bindings,
    test_requests_kerberos,
    test_requests_ntlm_binds_to_the_certificate,
    test_ntlm_without_bindings,
    test_token_bound_to_another_certificate_refused,
    test_token_relayed_from_plain_http,
    test_token_replayed_on_another_tls_connection,
    test_bindings_off_ignores_them)
