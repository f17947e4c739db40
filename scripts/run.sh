#!/usr/bin/env bash
# The main job on the embedded default: installs and builds negring, creates a throwaway MIT
# Kerberos realm on loopback, runs a real Negotiate handshake through the SSPI API
# (InitializeSecurityContext -> AcceptSecurityContext), then starts ringserver (the io_uring
# daemon) on a free loopback port and authenticates with curl --negotiate, printing who was
# authenticated each time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build/release" -j"$(nproc)" >/dev/null

realm_dir=$(mktemp -d "${TMPDIR:-/tmp}/negring-demo.XXXXXX")
ring_pid=
stop() {
    if [[ -n $ring_pid ]]; then
        kill -TERM "$ring_pid" 2>/dev/null || true
        wait "$ring_pid" 2>/dev/null || true
    fi
    "$root/scripts/realm.sh" stop "$realm_dir/realm" >/dev/null 2>&1 || true
    rm -rf "$realm_dir"
}
trap stop EXIT
"$root/scripts/realm.sh" start "$realm_dir/realm" >/dev/null
# shellcheck disable=SC1091
. "$realm_dir/realm/env"
echo "realm $NEGRING_REALM on 127.0.0.1:$NEGRING_KDC_PORT; client $NEGRING_USER; service $NEGRING_SERVICE"
"$root/build/release/examples/negring-handshake" "${NEGRING_SERVICE%@*}"

# ringserver on a kernel-chosen port (announced in its "listening" log line), then curl.
log=$realm_dir/ringserver.log
"$root/build/release/ringserver/ringserver" --listen 127.0.0.1:0 --keytab "$KRB5_KTNAME" 2>"$log" &
ring_pid=$!
for _ in $(seq 200); do
    grep -q 'event=listening' "$log" && break
    kill -0 "$ring_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.02
done
port=$(sed -n 's/.*event=listening address=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" | head -1)
[[ -n $port ]] || { cat "$log" >&2; exit 1; }
answer=$(curl -sf --negotiate -u : "http://localhost:$port/")
user=$(sed -n 's/.*"user":"\([^"]*\)".*/\1/p' <<<"$answer")
mech=$(sed -n 's/.*"mechanism":"\([^"]*\)".*/\1/p' <<<"$answer")
echo "ringserver on 127.0.0.1:$port: authenticated $user with $mech (curl --negotiate over HTTP)"
