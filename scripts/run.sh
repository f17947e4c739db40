#!/usr/bin/env bash
# The main job on the embedded default: installs and builds negring, creates a throwaway MIT
# Kerberos realm on loopback, then runs a real Negotiate handshake through the SSPI API
# (InitializeSecurityContext -> AcceptSecurityContext) and prints who was authenticated.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build/release" -j"$(nproc)" >/dev/null

realm_dir=$(mktemp -d "${TMPDIR:-/tmp}/negring-demo.XXXXXX")
trap '"$root/scripts/realm.sh" stop "$realm_dir/realm" >/dev/null 2>&1 || true; rm -rf "$realm_dir"' EXIT
"$root/scripts/realm.sh" start "$realm_dir/realm" >/dev/null
# shellcheck disable=SC1091
. "$realm_dir/realm/env"
echo "realm $NEGRING_REALM on 127.0.0.1:$NEGRING_KDC_PORT; client $NEGRING_USER; service $NEGRING_SERVICE"
"$root/build/release/examples/negring-handshake" "${NEGRING_SERVICE%@*}"
