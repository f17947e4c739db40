#!/usr/bin/env bash
# Scale-out figures (docs/benchmarks.md, "Scale-out: HAProxy and Redis (issue 17)"): Kerberos
# handshakes per second and p99 latency, measured with negring-load, for
#   1 node, direct          local replay cache only | with the shared store (Redis)
#   3 nodes behind HAProxy  local replay cache only | with the shared store (Redis)
# and the cost per handshake: the store's commands and bytes (the nodes' /metrics), the commands
# Redis itself counted (INFO stats), and the CPU time ringserver, Redis and HAProxy spent (their
# /proc/PID/stat ticks, 10 ms each), the figures a capacity model needs on a machine too small
# (and too shared) for the rates themselves to scale. Each node is a ringserver with one worker; HAProxy
# runs the configuration of docs/farm.md (HTTP mode, http-reuse never, send-proxy-v2).
#
#   scripts/bench-farm.sh [-n HANDSHAKES] [-c CONNECTIONS] [-t LOADGEN_THREADS] [-F] [--keep]
#
# -F: a new TCP connection per handshake (default: keep-alive). Binaries: NEGRING_LOAD
# (default build/test/bench/loadgen/negring-load, else any build's) and the ringserver of the
# same build. Everything runs on loopback from a temporary folder and is stopped at exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
handshakes=20000
connections=32
lg_threads=1
fresh=()
keep=0

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case $1 in
    -n) handshakes=$2; shift 2 ;;
    -c) connections=$2; shift 2 ;;
    -t) lg_threads=$2; shift 2 ;;
    -F) fresh=(-F); shift ;;
    --keep) keep=1; shift ;;
    *) usage ;;
    esac
done

# shellcheck source-path=SCRIPTDIR source=lib/bench-servers.sh
. "$root/scripts/lib/bench-servers.sh" bench-farm "--service HTTP/localhost"
apache_pid=
ring_pid=
pids=()

loadgen=$(find_first "${NEGRING_LOAD:-}" "$root/build/test/bench/loadgen/negring-load" \
    "$root"/build/*/bench/loadgen/negring-load) || {
    echo "bench-farm: negring-load not built (cmake --build build/test --target negring-load)" >&2
    exit 1
}
ring=$(find_first "$(dirname "$loadgen")/../../ringserver/ringserver") || {
    echo "bench-farm: no ringserver beside $loadgen" >&2
    exit 1
}
for tool in haproxy redis-server redis-cli jq curl; do
    command -v "$tool" >/dev/null || { echo "bench-farm: $tool missing (scripts/setup.sh)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/negring-bench-farm.XXXXXX")
farm_cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    cleanup
}
trap farm_cleanup EXIT
start_realm

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir "$work" --loglevel warning >"$work/redis.log" 2>&1 &
redis_pid=$!
pids+=($!)
wait_port "$redis_port" "${pids[-1]}"

# start_node NAME STORE(yes|no): a ringserver with one worker; sets PROXIED and DIRECT ports.
start_node() {
    local name=$1 store=() i
    [[ $2 == yes ]] && store=(--shared-store "127.0.0.1:$redis_port")
    PROXIED=$(free_port)
    DIRECT=$(free_port)
    "$ring" --keytab "$KRB5_KTNAME" --workers 1 --listen "127.0.0.1:$PROXIED proxy-protocol service=farm" \
        --listen "127.0.0.1:$DIRECT service=farm" "${store[@]}" 2>"$work/$name.log" &
    pids+=($!)
    wait_port "$DIRECT" "${pids[-1]}"
    if [[ $2 == yes ]]; then # a worker connects on its first turn
        for ((i = 0; i < 100; i++)); do
            curl -s "http://127.0.0.1:$DIRECT/metrics" | grep -q '^negring_shared_store_up 1' && break
            sleep 0.02
        done
    fi
}

# start_haproxy PORT SERVER_PORTS...: docs/farm.md's configuration, in the foreground.
start_haproxy() {
    local port=$1 i=0 p
    shift
    {
        printf 'global\n    maxconn 4096\n'
        printf 'defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n'
        printf '    timeout server 30s\n    timeout http-keep-alive 10s\n'
        printf '    option http-keep-alive\n    http-reuse never\n'
        printf 'frontend negotiate\n    bind 127.0.0.1:%s\n    default_backend ringservers\n' "$port"
        printf 'backend ringservers\n    balance roundrobin\n    option httpchk GET /healthz\n'
        printf '    http-check expect status 200\n'
        printf '    default-server check inter 1s fall 2 rise 2 send-proxy-v2\n'
        for p in "$@"; do printf '    server node%d 127.0.0.1:%s\n' $((++i)) "$p"; done
    } >"$work/haproxy.cfg"
    haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
    pids+=($!)
    wait_port "$port" "${pids[-1]}"
    sleep 2.5 # until every server passed its checks (rise 2, inter 1s)
}

metric_sum() { # METRIC PORTS...: the metric summed over the nodes' /metrics
    local m=$1 total=0 p v
    shift
    for p in "$@"; do
        v=$(curl -s "http://127.0.0.1:$p/metrics" | awk -v m="$m" '$1 == m { print $2 }')
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

cpu_ticks() { # PIDS...: user + system ticks of those processes
    local total=0 p
    for p in "$@"; do
        [[ -n $p ]] || continue
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
    done
    echo "$total"
}

per_hs_us() { # TICKS HANDSHAKES: microseconds of CPU per handshake
    awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }'
}

redis_commands() {
    redis-cli -p "$redis_port" INFO stats | tr -d '\r' | awk -F: '$1 == "total_commands_processed" { print $2 }'
}

common=(-n "$handshakes" -c "$connections" -t "$lg_threads" "${fresh[@]}" --service HTTP/localhost
    --json -q)
echo "negring-load: $loadgen; ringserver: $ring" >&2
echo "load: negring-load ${common[*]} URL" >&2
printf '%-32s %12s %8s %8s %9s %8s %9s %8s %8s %8s\n' row "handshakes/s" "p50 us" "p99 us" \
    "claims/hs" "bytes/hs" "redis cmd" "ring us" "redis us" "haproxy us"

# measure ROW URL METRICS_PORTS...: ROW_RING_PIDS and ROW_LB_PID name the processes measured.
measure() {
    local row=$1 url=$2 c0 b0 r0 c1 b1 r1 ok t0 t1 d0 d1 h0 h1 j
    shift 2
    "$loadgen" -n 500 -c "$connections" --service HTTP/localhost -q "$url" >/dev/null || true # warm-up
    c0=$(metric_sum 'negring_shared_store_commands_total{command="claim"}' "$@")
    b0=$(( $(metric_sum 'negring_shared_store_bytes_total{direction="out"}' "$@") +
           $(metric_sum 'negring_shared_store_bytes_total{direction="in"}' "$@") ))
    r0=$(redis_commands)
    t0=$(cpu_ticks "${ROW_RING_PIDS[@]}") d0=$(cpu_ticks "$redis_pid") h0=$(cpu_ticks "${ROW_LB_PID:-}")
    "$loadgen" "${common[@]}" "$url" >"$work/$row.json" || true
    t1=$(cpu_ticks "${ROW_RING_PIDS[@]}") d1=$(cpu_ticks "$redis_pid") h1=$(cpu_ticks "${ROW_LB_PID:-}")
    c1=$(metric_sum 'negring_shared_store_commands_total{command="claim"}' "$@")
    b1=$(( $(metric_sum 'negring_shared_store_bytes_total{direction="out"}' "$@") +
           $(metric_sum 'negring_shared_store_bytes_total{direction="in"}' "$@") ))
    r1=$(redis_commands)
    j=$work/$row.json
    ok=$(jq .ok "$j")
    printf '%-32s %12s %8s %8s %9s %8s %9s %8s %8s %8s\n' "$row" "$(jq .handshakes_per_s "$j")" \
        "$(jq .latency_us.p50 "$j")" "$(jq .latency_us.p99 "$j")" \
        "$(awk -v a=$((c1 - c0)) -v n="$ok" 'BEGIN { printf "%.2f", n ? a / n : 0 }')" \
        "$(awk -v a=$((b1 - b0)) -v n="$ok" 'BEGIN { printf "%.1f", n ? a / n : 0 }')" \
        "$(awk -v a=$((r1 - r0 - 1)) -v n="$ok" 'BEGIN { printf "%.2f", n ? a / n : 0 }')" \
        "$(per_hs_us $((t1 - t0)) "$ok")" "$(per_hs_us $((d1 - d0)) "$ok")" \
        "$(per_hs_us $((h1 - h0)) "$ok")"
    [[ $(jq .failed "$j") == 0 ]] || echo "  ($row: $(jq -c .failures "$j") failed)" >&2
}

# One node, direct: local only, then with the store.
ROW_LB_PID=
start_node solo-local no
ROW_RING_PIDS=("${pids[-1]}")
measure "1 node, local only" "http://127.0.0.1:$DIRECT/" "$DIRECT"
start_node solo-store yes
ROW_RING_PIDS=("${pids[-1]}")
measure "1 node, shared store" "http://127.0.0.1:$DIRECT/" "$DIRECT"

# Three nodes behind HAProxy: local only, then with the store.
for store in no yes; do
    proxied=()
    direct=()
    ROW_RING_PIDS=()
    for i in 1 2 3; do
        start_node "farm-$store-$i" "$store"
        proxied+=("$PROXIED")
        direct+=("$DIRECT")
        ROW_RING_PIDS+=("${pids[-1]}")
    done
    lb=$(free_port)
    start_haproxy "$lb" "${proxied[@]}"
    ROW_LB_PID=${pids[-1]}
    label="3 nodes + HAProxy, local only"
    [[ $store == yes ]] && label="3 nodes + HAProxy, shared store"
    measure "$label" "http://127.0.0.1:$lb/" "${direct[@]}"
done
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average: $(cut -d' ' -f1-3 /proc/loadavg); cpus: $(nproc)" >&2
