#!/usr/bin/env bash
# HTTPS handshake rates: Kerberos over TLS, ringserver (TLS listener) against Apache httpd
# (event MPM) + mod_ssl + mod_auth_gssapi, with nginx's TLS `return 200` (no authentication at
# all) as the ceiling of what a TLS front-end answers on this machine. Same certificate (ECDSA
# P-256), same keytab, same load, on loopback, one run per row per repeat, interleaved.
# Modes: keep-alive (one TLS handshake per connection, many Negotiate handshakes on it), fresh
# (a new TCP connection and a full TLS handshake per Negotiate handshake) and resumed (a new TCP
# connection per Negotiate handshake, its TLS session resumed from the connection before).
# Kerberos tokens are pre-made, each used once (the replay caches stay on). Prints the table
# with server CPU per handshake and the ratios; docs/benchmarks.md ("HTTPS handshakes").
# "ring-plain" is the same ringserver's plain HTTP listener, for what TLS adds.
#
#   scripts/bench-https.sh [-n HANDSHAKES] [-c CONNECTIONS] [-t LOADGEN_THREADS]
#                          [--modes "keepalive fresh resumed"] [--servers "apache nginx ringserver"]
#                          [--repeat R] [--warmup N] [--loadgen-args "ARGS"] [--json-dir DIR]
#                          [--keep]
#
# Binaries as in scripts/bench-http.sh (NEGRING_LOAD, NEGRING_RINGSERVER); Apache and nginx run
# from Debian's packages with configs in a temporary folder, removed at exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
handshakes=20000
connections=32
lg_threads=1
modes="keepalive fresh resumed"
servers="apache nginx ringserver"
json_dir=
keep=0
warmup=500
repeat=1
extra=

usage() {
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case $1 in
    -n) handshakes=$2; shift 2 ;;
    -c) connections=$2; shift 2 ;;
    -t) lg_threads=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --json-dir) json_dir=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --loadgen-args) extra=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) usage ;;
    esac
done

# shellcheck source-path=SCRIPTDIR source=lib/bench-servers.sh
. "$root/scripts/lib/bench-servers.sh" bench-https "--service HTTP/localhost"

loadgen=$(find_first "${NEGRING_LOAD:-}" "$root/build/loadgen/bench/loadgen/negring-load" \
    "$root"/build/*/bench/loadgen/negring-load) || {
    echo "bench-https: negring-load not built" >&2
    exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/negring-bench-https.XXXXXX")
chmod 755 "$work"
nginx_pid=
trap '[[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null; cleanup' EXIT
start_realm

# One ECDSA P-256 certificate for localhost, for every server.
mkdir -p "$work/pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$work/pki/key.pem" -out "$work/pki/cert.pem" 2>/dev/null
chmod 644 "$work/pki/key.pem"
cert=$work/pki/cert.pem
key=$work/pki/key.pem

declare -A url pid_of
if [[ " $servers " == *" apache "* ]] && apache_installed &&
    [[ -f /usr/lib/apache2/modules/mod_ssl.so ]]; then
    port=$(free_port)
    start_apache "$port" "StartServers 2
ServerLimit 16
ThreadsPerChild 64
MaxRequestWorkers 1024
MinSpareThreads 64
MaxSpareThreads 1024
KeepAliveTimeout 30
LoadModule ssl_module modules/mod_ssl.so
LoadModule socache_shmcb_module modules/mod_socache_shmcb.so
SSLEngine on
SSLCertificateFile $cert
SSLCertificateKeyFile $key
SSLProtocol -all +TLSv1.2 +TLSv1.3
SSLSessionCache shmcb:$work/apache/run/ssl_scache(512000)
SSLSessionTickets on"
    url[apache]=https://localhost:$port/ok.txt
    pid_of[apache]=$apache_pid
fi
if [[ " $servers " == *" nginx "* ]] && command -v nginx >/dev/null; then
    port=$(free_port)
    mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
    cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes $(nproc);
error_log $work/nginx/logs/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    keepalive_requests 1000000;
    large_client_header_buffers 4 64k;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    ssl_session_tickets on;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $cert;
        ssl_certificate_key $key;
        location / { return 200 "ok\n"; }
    }
}
CONF
    nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
    nginx_pid=$!
    wait_port "$port" "$nginx_pid" || { echo "bench-https: nginx did not start" >&2; exit 1; }
    url[nginx]=https://localhost:$port/
    pid_of[nginx]=$nginx_pid
fi
if [[ " $servers " == *" ringserver "* ]]; then
    if ring=$(find_first "${NEGRING_RINGSERVER:-}" "$(dirname "$loadgen")/../../ringserver/ringserver" \
        "$root"/build/*/ringserver/ringserver); then
        port=$(free_port)
        start_ringserver "$ring" "$port" optional --listen "127.0.0.1:$(free_port) tls cert=$cert key=$key"
        tls_port=$(sed -n 's/.*event=listening address=127.0.0.1:\([0-9]*\) .*/\1/p' \
            "$work/ringserver/stdout.log" | tail -1)
        wait_port "$tls_port" "$ring_pid"
        url[ringserver]=https://localhost:$tls_port/
        pid_of[ringserver]=$ring_pid
        # The same server's plain HTTP listener, for what TLS adds (no TLS session to resume).
        url[ring-plain]=http://localhost:$port/
        pid_of[ring-plain]=$ring_pid
        echo "ringserver: $ring" >&2
    fi
fi
[[ ${#url[@]} -gt 0 ]] || { echo "bench-https: no server to measure" >&2; exit 1; }

[[ -n $json_dir ]] || json_dir=$work/results
mkdir -p "$json_dir"
common=(-n "$handshakes" -c "$connections" -t "$lg_threads" --json -q)
echo "negring-load: $loadgen" >&2
echo "load: ${common[*]} [-F [--tls-resume]] $(mech_args kerberos) $extra URL" >&2
measure() { # SERVER MODE REP
    local server=$1 mode=$2 rep=$3 u=${url[$1]:-} out before flags=() rc=0
    [[ -n $u ]] || return 0
    [[ $server == ring-plain && $mode == resumed ]] && return 0
    case $mode in
    fresh) flags=(-F) ;;
    resumed) flags=(-F --tls-resume) ;;
    esac
    # shellcheck disable=SC2046,SC2086
    if [[ $warmup -gt 0 && $rep -eq 1 ]]; then
        "$loadgen" -n "$warmup" -c "$connections" -t "$lg_threads" -q "${flags[@]}" \
            $(mech_args kerberos) "$u" >/dev/null || true
    fi
    out=$json_dir/$server-$mode.$rep.json
    echo "run: $server $mode ($rep/$repeat)" >&2
    before=$(server_ticks "${pid_of[$server]}")
    # shellcheck disable=SC2046,SC2086
    "$loadgen" "${common[@]}" "${flags[@]}" $(mech_args kerberos) $extra "$u" >"$out" || rc=$?
    echo "$rc" >"${out%.json}.rc"
    [[ $rc -eq 0 ]] || echo "bench-https: $server $mode exited $rc (see $out)" >&2
    echo $(($(server_ticks "${pid_of[$server]}") - before)) >"${out%.json}.ticks"
}
for mode in $modes; do
    for ((rep = 1; rep <= repeat; rep++)); do
        for server in apache nginx ringserver ring-plain; do
            measure "$server" "$mode" "$rep"
        done
    done
done

/usr/bin/python3 - "$json_dir" "$modes" <<'PY'
import json, os, sys
d, modes = sys.argv[1], sys.argv[2].split()
hz = os.sysconf("SC_CLK_TCK")
def load(server, mode):
    runs = []
    for rep in range(1, 1000):
        p = os.path.join(d, f"{server}-{mode}.{rep}.json")
        if not os.path.exists(p):
            break
        if os.path.getsize(p) == 0:
            continue
        r = json.load(open(p))
        ticks = int(open(p[:-5] + ".ticks").read())
        r["server_cpu_us"] = ticks / hz * 1e6 / r["ok"] if r["ok"] else 0.0
        r["client_cpu_us"] = r["client_cpu_s"] * 1e6 / r["ok"] if r["ok"] else 0.0
        runs.append(r)
    if not runs:
        return None
    runs.sort(key=lambda r: r["handshakes_per_s"])
    return runs[(len(runs) - 1) // 2]
names = {"keepalive": "keep-alive", "fresh": "fresh/full", "resumed": "fresh/resumed"}
print(f"{'mode':<14} {'server':<11} {'handshakes/s':>12} {'p50 us':>9} {'p99 us':>9} {'ok':>7} "
      f"{'failed':>6} {'tls full':>8} {'resumed':>8} {'server CPU us/hs':>16} {'client CPU us/hs':>16}")
lines = []
targets = {"keepalive": 8.0, "resumed": 5.0}
for mode in modes:
    rows = {s: load(s, mode) for s in ("apache", "nginx", "ringserver", "ring-plain")}
    for s, r in rows.items():
        if r:
            l = r["latency_us"]
            print(f"{names[mode]:<14} {s:<11} {r['handshakes_per_s']:>12.1f} {l['p50']:>9.0f} "
                  f"{l['p99']:>9.0f} {r['ok']:>7} {r['failed']:>6} {r['tls_full']:>8} "
                  f"{r['tls_resumed']:>8} {r['server_cpu_us']:>16.1f} {r['client_cpu_us']:>16.1f}")
    a, n, g = rows["apache"], rows["nginx"], rows["ringserver"]
    if g and a and a["handshakes_per_s"] > 0:
        t = targets.get(mode)
        cpu = a["server_cpu_us"] / g["server_cpu_us"] if g["server_cpu_us"] else 0
        lines.append(f"{names[mode]}: ringserver/apache {g['handshakes_per_s'] / a['handshakes_per_s']:.2f}x"
                     f" handshakes/s" + (f" (target {t:.0f}x)" if t else "") +
                     f", server CPU per handshake {cpu:.2f}x less")
    if g and n and n["handshakes_per_s"] > 0:
        lines.append(f"{names[mode]}: ringserver at {100 * g['handshakes_per_s'] / n['handshakes_per_s']:.0f}%"
                     f" of nginx's TLS return 200")
for line in lines:
    print(line)
PY
