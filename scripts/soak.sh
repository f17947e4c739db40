#!/usr/bin/env bash
# Scale soak: ringserver holds N (default 10,000) Negotiate handshakes pending between legs at
# once on loopback, reports its memory per pending handshake, then completes them all with MIT
# GSSAPI tokens (tests/ringserver/scale_test.c). Needs RLIMIT_NOFILE hard limit > N + 64.
#   scripts/soak.sh [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000}
build=$root/build/soak
"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target ringserver ringserver_scale_test >/dev/null
ulimit -n "$(ulimit -Hn)"
NEGRING_SCALE_N=$n "$build/tests/ringserver/ringserver_scale_test" "$build/ringserver/ringserver"
