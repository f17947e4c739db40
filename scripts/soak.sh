#!/usr/bin/env bash
# Soaks of ringserver on loopback, longer than the default test run allows.
#
#   scripts/soak.sh [pending] [N]   N (default 10,000) Negotiate handshakes pending between legs
#                                   at once: memory per pending handshake, then all completed
#                                   with MIT GSSAPI tokens (tests/ringserver/scale_test.c). The
#                                   client needs a descriptor per handshake (hard limit > N + 64).
#   scripts/soak.sh half-open [N]   N (default 100,000) connections held half-open while real
#                                   clients authenticate, then all closed by the header deadline
#                                   (tests/ringserver/half_open_test.py). One worker per 15,000
#                                   connections: each worker's table of direct descriptors is
#                                   bounded by the descriptor limit, the process is not.
#   scripts/soak.sh farm [S]        the farm tests (tests/ringserver/farm_test.py, store_test.py:
#                                   three nodes, Redis, HAProxy) with S seconds (default 30) of
#                                   load around the node SIGKILL, and a Redis outage of 1.5 x S
#                                   under load with both policies.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kind=pending
if [[ ${1:-} == pending || ${1:-} == half-open || ${1:-} == farm ]]; then
    kind=$1
    shift
fi
build=$root/build/soak
"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target ringserver ringserver_scale_test negring-user >/dev/null
ulimit -n "$(ulimit -Hn)"
case $kind in
pending)
    NEGRING_SCALE_N=${1:-10000} "$build/tests/ringserver/ringserver_scale_test" \
        "$build/ringserver/ringserver"
    ;;
half-open)
    n=${1:-100000}
    RINGSERVER=$build/ringserver/ringserver REALM_SH=$root/scripts/realm.sh RS_HALF_OPEN=$n \
        "$root/tests/ringserver/py_test.sh" half_open_test.py \
        --listen 127.0.0.1:0 --listen "127.0.0.1:0 mode=raw" --workers $((n / 15000 + 1)) \
        --max-connections $((n + 1000)) --header-timeout 60s
    ;;
farm)
    for t in farm_test.py store_test.py; do
        FARM_LOAD_SECONDS=${1:-30} RINGSERVER=$build/ringserver/ringserver \
            REALM_SH=$root/scripts/realm.sh NEGRING_USER_TOOL=$build/tools/negring-user \
            "$root/tests/ringserver/farm_test.sh" "$t"
    done
    ;;
esac
