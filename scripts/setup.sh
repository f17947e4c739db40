#!/usr/bin/env bash
# Installs negring's build and test dependencies from Debian 12 packages. Idempotent: quiet and
# quick when everything is already present. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-format
  libkrb5-dev libgssapi-krb5-2 krb5-kdc krb5-admin-server krb5-user   # Kerberos + test realm
  nettle-dev                                                          # AES, MD4/MD5, SHA, HMAC
  liburing-dev libjemalloc-dev libbenchmark-dev                       # ringserver, bench
  libasan8 libubsan1 libtsan2                                         # sanitizer runtimes
  clang libfuzzer-14-dev                                              # fuzz targets
  libssl-dev openssl                                                  # TLS listeners, NTLM's RC4
  curl gss-ntlmssp winbind python3-ntlm-auth python3-gssapi           # independent clients
  openjdk-17-jdk-headless chromium                                    # Java's, Chromium's NTLM
  nginx-light apache2 libapache2-mod-auth-gssapi                      # front-ends, comparisons
  nginx-dev                                                           # the nginx module (nginx/)
  python3-requests-kerberos python3-requests-ntlm                     # its Python clients
  squid                                                               # negring-squid-auth tests
  gnuplot-nox                                                         # benchmark plots
  jq linux-perf valgrind                                              # bench.sh figures, profiles
  debhelper lintian                                                   # scripts/package-test.sh
  strace                                                              # ringserver_prepare test
  groff-base systemd                                                  # man pages, unit checks
  samba samba-ad-provision samba-dsdb-modules ldb-tools iproute2      # AD DC tests (tests/ad)
  haproxy redis-server                                                # farm tests (docs/farm.md)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
