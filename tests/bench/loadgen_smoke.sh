#!/usr/bin/env bash
# negring-load against Apache httpd + mod_auth_gssapi (Debian packages) on a throwaway realm,
# through scripts/bench-http.sh: 200 Kerberos handshakes each keep-alive and with a fresh
# connection, every mutual-authentication token verified; 200 live-token handshakes that begin
# with the 401 challenge; and 200 for a service Apache holds no key for, which must all be
# reported as rejected; with gss-ntlmssp installed, 200 NTLM handshakes (live, the challenge
# answered each time) on fresh connections. Exit 77 (skipped) only when Apache or mod_auth_gssapi is not installed.
set -euo pipefail
loadgen=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! -x /usr/sbin/apache2 || ! -f /usr/lib/apache2/modules/mod_auth_gssapi.so ]]; then
    echo "SKIP: apache2 and libapache2-mod-auth-gssapi are not installed"
    exit 77
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/negring-loadgen-smoke.XXXXXX")
trap 'rm -rf "$out"' EXIT
export NEGRING_LOAD=$loadgen

bench() { # NAME MECH MODES LOADGEN_ARGS
    mkdir -p "$out/$1"
    "$root/scripts/bench-http.sh" --servers apache --mechs "$2" --modes "$3" -n 200 -c 8 \
        --warmup 0 --loadgen-args "$4" --json-dir "$out/$1"
}

# Prints "ok failed verified server_tokens rejected requests connects" of one result file.
fields() {
    /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["ok"], r["failed"], r["verified"], r["server_tokens"], r["failures"]["rejected"],
      r["requests"], r["connects"], r["latency_us"]["p99"] > 0)' "$1"
}

expect() { # FILE EXPECTED [EXIT_STATUS]
    local got rc
    rc=$(cat "${1%.json}.rc")
    [[ $rc == "${3:-0}" ]] || { echo "FAIL: negring-load exited $rc, expected ${3:-0}" >&2; exit 1; }
    got=$(fields "$1")
    echo "$(basename "$(dirname "$1")")/$(basename "$1"): $got"
    [[ $got == "$2" ]] || { echo "FAIL: expected $2" >&2; exit 1; }
}

bench verify kerberos "keepalive fresh" "--verify"
expect "$out/verify/apache-kerberos-keepalive.1.json" "200 0 200 200 0 200 8 True"
expect "$out/verify/apache-kerberos-fresh.1.json" "200 0 200 200 0 200 200 True"

bench live kerberos keepalive "--live --challenge"
expect "$out/live/apache-kerberos-keepalive.1.json" "200 0 200 200 0 400 8 True"

bench wrong kerberos keepalive "--service HTTP/other.localhost"
expect "$out/wrong/apache-kerberos-keepalive.1.json" "0 200 0 0 200 200 200 False" 1

if [[ -f /etc/gss/mech.d/mech.ntlmssp.conf ]]; then
    # NEGOTIATE, CHALLENGE answered, AUTHENTICATE (2 requests apiece), inside SPNEGO: the
    # final accept-completed token (with its mechListMIC) is verified by our initiator.
    bench ntlm ntlm fresh ""
    expect "$out/ntlm/apache-ntlm-fresh.1.json" "200 0 200 200 0 400 200 True"
else
    echo "gss-ntlmssp not installed: NTLM against Apache not checked"
fi
echo "PASS"
