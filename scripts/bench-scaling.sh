#!/usr/bin/env bash
# Scaling: handshakes/s and server memory against the number of concurrent multi-leg handshakes,
# ringserver against Apache httpd (event MPM) + mod_auth_gssapi, on loopback, same machine, same
# load. Writes a markdown table and two PNG plots (gnuplot); docs/benchmarks.md ("Scaling")
# comes from this script.
#
#   scripts/bench-scaling.sh [--levels "100 300 1000 3000 10000"] [--mechs "ntlm kerberos"]
#                            [--servers "apache ringserver"] [--hold SECS] [--out DIR]
#                            [--img DIR] [--rate-n N] [--redraw] [--keep]
#
# Every handshake is a two-leg exchange on a connection of its own (negring-load -F):
#   ntlm      NTLMSSP in SPNEGO (Authorization: Negotiate), live: NEGOTIATE -> 401 + CHALLENGE
#             -> AUTHENTICATE -> 200. The server keeps an NTLM context between the legs
#             (Apache: mod_auth_gssapi GssapiConnectionBound + gss-ntlmssp; ringserver: its
#             context table), account EXAMPLE\carol on both.
#   kerberos  the browser's way (RFC 4559 §5): a request without Authorization -> 401 +
#             WWW-Authenticate: Negotiate -> the request with a pre-made SPNEGO/Kerberos token
#             (one per handshake, replay caches on) -> 200 + the mutual-authentication token.
#             Between the legs the server holds the connection only.
# For each concurrency level C (-c C, C connections):
#   rate  negring-load -F -c C -n max(10000, 3*C) (or --rate-n N): handshakes/s, p99, failures,
#         server CPU per handshake.
#   rss   negring-load -F -c C -n C --hold SECS: every connection stops between its two legs
#         until all C are there (C handshakes pending at once), for SECS; the server's resident
#         memory (VmRSS from /proc/PID/status, summed over Apache's processes) is sampled then
#         (largest of 3 samples), and just before the run (idle). ringserver's
#         negring_pending_handshakes gauge is read at the same moment.
# Apache: ServerLimit 16 x ThreadsPerChild 64 = MaxRequestWorkers 1024, all started at once, and
# AsyncRequestWorkerFactor 16, so the event MPM may keep up to ~17,000 connections; its
# descriptor limit is raised to the hard limit. ringserver: --max-connections/--max-pending 40000.
# Up to 10,000 connections per side fit the 20,000-descriptor hard limit of this machine.
#
# Output: DIR/scaling.md (the table), DIR/scaling.dat (for gnuplot), DIR/*.json (negring-load),
# the servers' logs, and IMG/scaling-rate.png, IMG/scaling-rss.png (default DIR:
# build/bench-scaling; IMG: docs/img). --redraw measures nothing: it makes the table and the
# plots again from the results already in DIR.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
levels="100 300 1000 3000 10000"
mechs="ntlm kerberos"
servers="apache ringserver"
hold=2
rate_n=
out=
img=$root/docs/img
keep=0
redraw=0

usage() {
    sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case $1 in
    --levels) levels=$2; shift 2 ;;
    --mechs) mechs=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --hold) hold=$2; shift 2 ;;
    --rate-n) rate_n=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --img) img=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --redraw) redraw=1; shift ;;
    *) usage ;;
    esac
done

# The servers; Kerberos the browser's way: the 401 challenge first, then a pre-made token.
# shellcheck source-path=SCRIPTDIR source=lib/bench-servers.sh
. "$root/scripts/lib/bench-servers.sh" bench-scaling "--challenge --service HTTP/localhost"

loadgen=$(find_first "${NEGRING_LOAD:-}" "$root/build/scaling/bench/loadgen/negring-load" \
    "$root/build/loadgen/bench/loadgen/negring-load" "$root"/build/*/bench/loadgen/negring-load) || {
    echo "bench-scaling: negring-load not built (cmake --build BUILD --target negring-load)" >&2
    exit 1
}
ring=$(find_first "${NEGRING_RINGSERVER:-}" "$(dirname "$loadgen")/../../ringserver/ringserver" \
    "$root"/build/*/ringserver/ringserver) || ring=
command -v gnuplot >/dev/null || echo "bench-scaling: gnuplot missing: no plots" >&2

ulimit -n "$(ulimit -Hn)" # Apache inherits it; ringserver and negring-load raise their own

work=$(mktemp -d "${TMPDIR:-/tmp}/negring-bench-scaling.XXXXXX")
chmod 755 "$work"
[[ -n $out ]] || out=$root/build/bench-scaling
mkdir -p "$out"
out=$(realpath "$out")
[[ $redraw -eq 1 ]] || rm -f "$out"/apache-* "$out"/ringserver-* "$out"/plot-* "$out"/scaling.*
trap cleanup EXIT

if [[ $redraw -eq 0 ]]; then
    start_realm
fi

have_apache=0
if [[ " $servers " == *" apache "* ]]; then
    if apache_installed; then
        have_apache=1
    else
        echo "bench-scaling: apache2 or libapache2-mod-auth-gssapi missing; Apache skipped" >&2
    fi
fi
have_ring=0
if [[ " $servers " == *" ringserver "* ]]; then
    if [[ -n $ring ]]; then
        have_ring=1
        echo "ringserver: $ring" >&2
    else
        echo "bench-scaling: ringserver not built; only Apache measured" >&2
    fi
fi
[[ $have_apache$have_ring != 00 ]] || { echo "bench-scaling: no server to measure" >&2; exit 1; }

declare -A url pid_of
stop_servers() { # LABEL: the servers' logs are kept as OUT/SERVER-LABEL.log
    stop_server_processes
    cat "$work/apache/logs/error.log" >"$out/apache-$1.log" 2>/dev/null || true
    cat "$work/ringserver/stdout.log" >"$out/ringserver-$1.log" 2>/dev/null || true
    apache_pid=''
    ring_pid=''
    rm -rf "$work/apache" "$work/ringserver"
    url=() pid_of=()
}

# Fresh servers for every level, so that each level's memory is measured from a server that
# has done nothing else (allocators keep what they once held).
start_servers() {
    local port
    if [[ $have_apache -eq 1 ]]; then
        port=$(free_port)
        # The event MPM sized for 10,000 connections: a connection between two legs waits in
        # the MPM's keep-alive set, not on a worker thread. All 16 processes run from the start:
        # the event MPM closes a keep-alive connection right after its answer (a 401 between two
        # NTLM legs included) while a process has more connections than ThreadsPerChild +
        # AsyncRequestWorkerFactor x its idle threads.
        start_apache "$port" "StartServers 16
ServerLimit 16
ThreadsPerChild 64
MaxRequestWorkers 1024
AsyncRequestWorkerFactor 16
MinSpareThreads 64
MaxSpareThreads 1024
KeepAliveTimeout 60"
        url[apache - kerberos]=http://127.0.0.1:$port/ok.txt
        url[apache - ntlm]=http://127.0.0.1:$port/ntlm/ok.txt
        pid_of[apache]=$apache_pid
    fi
    if [[ $have_ring -eq 1 ]]; then
        ring_port=$(free_port)
        start_ringserver "$ring" "$ring_port" required --max-connections 40000 --max-pending 40000
        url[ringserver - kerberos]=http://127.0.0.1:$ring_port/
        url[ringserver - ntlm]=http://127.0.0.1:$ring_port/
        pid_of[ringserver]=$ring_pid
    fi
    sleep 1 # Apache's children up
}

rss_kib() {
    local total=0 p v
    for p in $(server_pids "$1"); do
        v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

ring_pending() {
    curl -s --max-time 2 "http://127.0.0.1:$ring_port/metrics" 2>/dev/null |
        awk '/^negring_pending_handshakes/ { print $2 }' || true
}

threads_for() { if [[ $1 -ge 1000 ]]; then echo 2; else echo 1; fi; }

# rate SERVER MECH C
rate_run() {
    local server=$1 mech=$2 c=$3 n rc=0 before f=$out/$1-$2-$3.rate
    n=${rate_n:-$((3 * c > 10000 ? 3 * c : 10000))}
    before=$(server_ticks "${pid_of[$server]}")
    # shellcheck disable=SC2046
    "$loadgen" -F -c "$c" -n "$n" -t "$(threads_for "$c")" --timeout 30 --json -q \
        $(mech_args "$mech") "${url[$server - $mech]}" >"$f.json" 2>"$f.err" || rc=$?
    echo $(($(server_ticks "${pid_of[$server]}") - before)) >"$f.ticks"
    echo "$rc" >"$f.rc"
}

# rss SERVER MECH C: RSS of the fresh server, then the largest of 3 samples once all C are
# pending.
rss_run() {
    local server=$1 mech=$2 c=$3 pid=${pid_of[$1]} lg rc=0 f=$out/$1-$2-$3.rss best=0 r pend=
    rss_kib "$pid" >"$f.idle"
    # shellcheck disable=SC2046
    "$loadgen" -F -c "$c" -n "$c" -t "$(threads_for "$c")" --timeout 60 --hold "$hold" --json -q \
        $(mech_args "$mech") "${url[$server - $mech]}" >"$f.json" 2>"$f.err" &
    lg=$!
    while kill -0 "$lg" 2>/dev/null && ! grep -qs 'held pending' "$f.err"; do sleep 0.05; done
    if grep -qs 'held pending' "$f.err"; then
        # The gauge first: on a loaded machine the samples below may outlast a short hold.
        [[ $server == ringserver ]] && pend=$(ring_pending)
        for _ in 1 2 3; do
            r=$(rss_kib "$pid")
            ((r > best)) && best=$r
            sleep "$(awk -v h="$hold" 'BEGIN { print h / 4 }')"
        done
    fi
    wait "$lg" || rc=$?
    echo "$best" >"$f.peak"
    echo "${pend:-}" >"$f.pending"
    echo "$rc" >"$f.rc"
}

echo "negring-load: $loadgen" >&2
echo "levels: $levels; mechs: $mechs; hold: ${hold}s" >&2
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for mech in $mechs; do
    [[ $redraw -eq 0 ]] || break
    for c in $levels; do
        start_servers
        for server in apache ringserver; do
            [[ -n ${url[$server - $mech]:-} ]] || continue
            echo "run: $server $mech c=$c ($(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
            rss_run "$server" "$mech" "$c"
        done
        for server in apache ringserver; do
            [[ -n ${url[$server - $mech]:-} ]] || continue
            rate_run "$server" "$mech" "$c"
        done
        stop_servers "$mech-$c"
    done
done

/usr/bin/python3 - "$out" "$mechs" "$levels" <<'PY'
import json, os, sys
d, mechs, levels = sys.argv[1], sys.argv[2].split(), [int(x) for x in sys.argv[3].split()]
hz = os.sysconf("SC_CLK_TCK")
def read(p, conv=str):
    try:
        with open(p) as f:
            v = f.read().strip()
        return conv(v) if v else None
    except (OSError, ValueError):
        return None
def run(server, mech, c):
    base = os.path.join(d, f"{server}-{mech}-{c}")
    try:
        with open(base + ".rate.json") as f:
            r = json.load(f)
    except (OSError, ValueError):
        return None
    h = read(base + ".rss.json", lambda v: json.loads(v))
    ticks = read(base + ".rate.ticks", int) or 0
    return {
        "rate": r["handshakes_per_s"], "ok": r["ok"], "failed": r["failed"],
        "p99_ms": r["latency_us"]["p99"] / 1000,
        "fail": ", ".join(f"{k} {v}" for k, v in r["failures"].items() if v),
        "cpu_us": ticks / hz * 1e6 / r["ok"] if r["ok"] else 0,
        "idle_mib": (read(base + ".rss.idle", int) or 0) / 1024,
        "peak_mib": (read(base + ".rss.peak", int) or 0) / 1024,
        "held": h["held_pending"] if h else 0,
        "hold_ok": h["ok"] if h else 0,
        "hold_retries": h["retries"] if h else 0,
        "retries": r["retries"],
        "pending": read(base + ".rss.pending"),
    }
names = {"apache": "Apache + mod_auth_gssapi", "ringserver": "ringserver"}
mechname = {"ntlm": "NTLM (SPNEGO), server context between legs",
            "kerberos": "Kerberos (401 challenge first)"}
lines = ["| mechanism | server | concurrent | handshakes/s | p99 ms | failed (rate run) | "
         "server CPU µs/hs | held pending → completed | RSS at start MiB | RSS peak MiB | KiB per pending |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
dat = []
for mech in mechs:
    for server in ("apache", "ringserver"):
        for c in levels:
            r = run(server, mech, c)
            if r is None:
                continue
            per = (r["peak_mib"] - r["idle_mib"]) * 1024 / r["held"] if r["held"] else 0
            held = f"{r['held']:,}" + (f" (gauge {int(r['pending']):,})" if r["pending"] else "")
            held += f" → {r['hold_ok']:,}"
            if r["hold_retries"]:
                held += f" ({r['hold_retries']:,} closed by the server, resent)"
            failed = f"{r['failed']:,}" + (f" ({r['fail']})" if r["failed"] else "")
            if r["retries"]:
                failed += f"; {r['retries']:,} resent"
            lines.append(f"| {mech} | {names[server]} | {c:,} | {r['rate']:,.0f} | {r['p99_ms']:.1f} | "
                         f"{failed} | {r['cpu_us']:.0f} | {held} | {r['idle_mib']:.1f} | "
                         f"{r['peak_mib']:.1f} | {per:.1f} |")
            dat.append(f"{mech}-{server} {c} {r['rate']:.1f} {r['peak_mib']:.2f} {r['held']}")
with open(os.path.join(d, "scaling.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
with open(os.path.join(d, "scaling.dat"), "w") as f:
    f.write("\n".join(dat) + "\n")
print("\n".join(lines))
PY

if command -v gnuplot >/dev/null; then
    mkdir -p "$img"
    series=$(awk '{ print $1 }' "$out/scaling.dat" | sort -u | tr '\n' ' ')
    for s in $series; do awk -v s="$s" '$1 == s' "$out/scaling.dat" >"$out/plot-$s.dat"; done
    plot_cmd() { # COLUMN
        local s sep=
        for s in $series; do
            printf '%s"%s" using 2:%s with linespoints lw 2 title "%s"' "$sep" "$out/plot-$s.dat" \
                "$1" "$s"
            sep=', '
        done
    }
    gnuplot <<GP
set terminal pngcairo size 800,500 noenhanced
set logscale x
set grid
set key below
set xlabel "concurrent two-leg handshakes (one connection each)"
set output "$img/scaling-rate.png"
set ylabel "handshakes/s"
set yrange [0:*]
set title "Handshakes/s (loopback; the load generator shares the 2 cores)"
plot $(plot_cmd 3)
set output "$img/scaling-rss.png"
set logscale y
set yrange [*:*]
set ylabel "server RSS, MiB (all processes)"
set title "Server resident memory, all handshakes pending between legs"
plot $(plot_cmd 4)
GP
    echo "plots: $img/scaling-rate.png $img/scaling-rss.png" >&2
fi
echo "results: $out" >&2
