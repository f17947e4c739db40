#!/usr/bin/env bash
# negring-load over TLS against ringserver: keep-alive with every mutual-authentication token
# verified and the server's certificate checked against the test CA, fresh connections with full
# TLS handshakes and with resumed sessions (counted by both sides), and tokens bound to the
# certificate (--channel-bindings: libnegring's initiator with the RFC 5929 bindings negring-load
# computes) on a bindings=require listener, where unbound tokens are refused.
# Usage: loadgen_tls_smoke.sh NEGRING_LOAD RINGSERVER (REALM_SH in the environment)
export RINGSERVER=$2
source "$(dirname "$0")/../ringserver/lib.sh"
lg=$1
start_realm
"$HERE/make_certs.sh" "$WORK/pki"
tls="tls cert=$WORK/pki/server.pem key=$WORK/pki/server.key"
start_server --listen "127.0.0.1:0 $tls" --listen "127.0.0.1:0 $tls bindings=require" \
    --listen 127.0.0.1:0 --workers 2
when=${PORTS[0]} require=${PORTS[1]} plain=${PORTS[2]}

run() { # run ARGS... -> "ok failed verified tls_full tls_resumed" of one negring-load run
    "$lg" -q --json --service HTTP/localhost "$@" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
print(r["ok"], r["failed"], r["verified"], r["tls_full"], r["tls_resumed"])'
}

expect_eq "keep-alive, certificate and tokens verified" \
    "$(run -n 300 -c 4 -t 1 --verify --cacert "$WORK/pki/ca.pem" "https://localhost:$when/")" \
    "300 0 300 4 0"
expect_eq "fresh connections, full TLS handshakes" \
    "$(run -n 100 -c 4 -t 1 -F "https://localhost:$when/")" "100 0 0 100 0"
expect_eq "fresh connections, resumed sessions" \
    "$(run -n 100 -c 4 -t 1 -F --tls-resume "https://localhost:$when/")" "100 0 0 4 96"
resumed=$(curl -s "http://127.0.0.1:$plain/metrics" | awk '$1 == "negring_tls_handshakes_total{resumed=\"yes\"}" { print $2 }')
expect_eq "the server counted the resumed sessions" "$resumed" 96
expect_eq "tokens bound to the certificate, bindings=require" \
    "$(run -n 200 -c 4 -t 1 --channel-bindings "https://localhost:$require/")" "200 0 0 4 0"
out=$("$lg" -q --json --service HTTP/localhost -n 20 -c 2 -t 1 "https://localhost:$require/" || true)
expect_eq "unbound tokens, bindings=require: all refused" \
    "$("$PY" -c 'import json,sys; r=json.load(sys.stdin); print(r["ok"], r["failed"])' <<<"$out")" "0 20"
stop_server
finish
