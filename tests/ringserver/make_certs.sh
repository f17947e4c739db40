#!/usr/bin/env bash
# make_certs.sh DIR: a throwaway PKI for the TLS tests, made with the openssl command line:
#   ca.pem / ca.key           the CA (ECDSA P-256)
#   server.pem / server.key   CN=localhost, signed by the CA with ECDSA-SHA256
#   server2.pem / server2.key another localhost certificate (SIGHUP reload)
#   sha384.pem / sha384.key   signed with ECDSA-SHA384 (RFC 5929: bindings hash with SHA-384)
#   sha1.pem / sha1.key       RSA signed with SHA-1 (bindings hash with SHA-256, as Windows)
#   client.pem / client.key   a client certificate signed by the CA (a front-end)
#   other-ca.pem, rogue.pem / rogue.key  a client certificate of another CA
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # ca NAME
    ec "$1.key"
    openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=$1 test CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
}
leaf() { # leaf NAME CA DIGEST EXT [KEYFILE made by the caller]
    [[ -f $1.key ]] || ec "$1.key"
    openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=localhost" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" \
        -days 2 "-$3" -extfile <(printf '%s\n' "$4") 2>/dev/null
    rm -f "$1.csr"
}
san="subjectAltName=DNS:localhost,IP:127.0.0.1"
ca ca
ca other-ca
leaf server ca sha256 "$san"
leaf server2 ca sha256 "$san"
leaf sha384 ca sha384 "$san"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sha1.key 2>/dev/null
leaf sha1 ca sha1 "$san"
leaf client ca sha256 "extendedKeyUsage=clientAuth"
leaf rogue other-ca sha256 "extendedKeyUsage=clientAuth"
