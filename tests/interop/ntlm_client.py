"""NTLM initiator for ntlm_clients_test: python3-ntlm-auth (an independent implementation)
driven over stdin/stdout, one base64 token per line.

    argv: user domain           password: the first stdin line
    out:  NEGOTIATE             in: CHALLENGE
    out:  AUTHENTICATE          then a sealed "from python" (out), and the unsealed text of
                                the test's sealed message (in: base64 "<signature|ciphertext>")
"""
import base64
import sys

from ntlm_auth.ntlm import NtlmContext


def send(data):
    sys.stdout.write(base64.b64encode(data).decode() + "\n")
    sys.stdout.flush()


def receive():
    return base64.b64decode(sys.stdin.readline().strip())


def main():
    password = sys.stdin.readline().rstrip("\n")
    ctx = NtlmContext(sys.argv[1], password, domain=sys.argv[2], workstation="PYCLIENT",
                      ntlm_compatibility=3)
    send(ctx.step())
    send(ctx.step(receive()))
    send(ctx.wrap(b"from python"))
    sys.stdout.write(ctx.unwrap(receive()).decode() + "\n")
    sys.stdout.flush()


main()
