#!/usr/bin/env bash
# One command per comparison; each builds what it needs (an optimised build in
# $NEGRING_BUILD, default build/bench) and prints its figures with the command and the machine,
# as a block for docs/benchmarks.md.
#
#   scripts/bench.sh inprocess [TOKENS] [REPS] [WARMUP]
#       negring AcceptSecurityContext (Negotiate) vs MIT gss_accept_sec_context (SPNEGO, keytab
#       on disk) on the same pre-made SPNEGO/Kerberos tokens, single thread, each token accepted
#       once by each side, after WARMUP untimed accepts each (steady state); accepts/s and the
#       ratio. Defaults: 4000 tokens, 3 repetitions, 25000 warm-up accepts.
#   scripts/bench.sh ntlm [REPS]
#       in-process NTLM accept: the acceptor's share of complete three-message handshakes (our
#       initiator's work paused out of the time), 1..N threads, and the whole handshake both
#       sides for comparison; medians of REPS repetitions (default 5).
#   scripts/bench.sh micro [GOOGLE-BENCHMARK FLAGS...]
#       every micro-benchmark (SPNEGO, Kerberos accept, handle table, replay cache 1..N threads).
#   scripts/bench.sh instructions
#       instructions per accepted context (Kerberos cached and first use, NTLM, NTLM in
#       Negotiate), counted by callgrind: repeatable where time on a shared machine is not, for
#       comparing two builds (run it in each tree).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${NEGRING_BUILD:-$root/build/bench}

build_bench() {
  "$root/scripts/setup.sh"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)" --target negring-bench >/dev/null
}

machine() {
  echo "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(uname -sr)," \
    "MIT krb5 $(krb5-config --version | awk '{print $NF}')"
}

inprocess() {
  local tokens=${1:-4000} reps=${2:-3} warmup=${3:-25000} json load
  build_bench
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  json=$(mktemp)
  trap 'rm -f "$json"' RETURN
  "$build/bench/micro/negring-bench" --tokens="$tokens" --warmup="$warmup" \
    --benchmark_filter='^krb5_accept/' \
    --benchmark_repetitions="$reps" --benchmark_format=json >"$json"
  # Medians of the repetitions. "cpu" is the process CPU time per accept (what one core does:
  # the primary figure on a shared machine), "real" the wall-clock time.
  jq -r --arg cmd "scripts/bench.sh inprocess $tokens $reps $warmup" --arg machine "$(machine)" \
    --arg load "$load" \
    --arg date "$(date -u +%Y-%m-%dT%H:%MZ)" '
    def med(n): [.benchmarks[] | select(.run_name | startswith("krb5_accept/" + n + "/"))
                 | select(.aggregate_name == "median")][0];
    def per_s(t): (1e9 / t | floor);
    def us(t): (t / 10 | round / 100);
    def row(name; b): "| \(name) | \(per_s(b.cpu_time)) | \(us(b.cpu_time)) | \(per_s(b.real_time)) | \(us(b.real_time)) |";
    (med("negring")) as $n | (med("negring_uncached")) as $u | (med("mit")) as $m |
    "| acceptor | accepts/s (CPU) | µs/accept (CPU) | accepts/s (wall) | µs/accept (wall) |",
    "|---|---|---|---|---|",
    row("negring, ticket cached"; $n),
    row("negring, ticket new to the cache"; $u),
    row("MIT gss_accept_sec_context"; $m),
    "",
    "ratio negring/MIT: \($m.cpu_time / $n.cpu_time * 100 | round / 100)x CPU, \($m.real_time / $n.real_time * 100 | round / 100)x wall-clock (uncached: \($m.cpu_time / $u.cpu_time * 100 | round / 100)x CPU)",
    "command: \($cmd)",
    "date: \($date)",
    "machine: \($machine)",
    "load average before the run: \($load)"' "$json"
}

ntlm() {
  local reps=${1:-5} json load
  build_bench
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  json=$(mktemp)
  trap 'rm -f "$json"' RETURN
  "$build/bench/micro/negring-bench" --benchmark_filter='^ntlm_' --benchmark_min_time=1 \
    --benchmark_repetitions="$reps" --benchmark_format=json >"$json"
  # CPU: what one core spends per handshake; wall: handshakes/s of all threads together.
  jq -r --arg cmd "scripts/bench.sh ntlm $reps" --arg machine "$(machine)" --arg load "$load" \
    --arg reps "$reps" --arg date "$(date -u +%Y-%m-%dT%H:%MZ)" '
    def per_s(t): (1e9 / t | floor);
    def us(t): (t / 10 | round / 100);
    "| benchmark (median of \($reps) runs) | µs/handshake (CPU) | handshakes/s per core | µs/handshake (wall) | handshakes/s (wall) |",
    "|---|---|---|---|---|",
    (.benchmarks[] | select(.aggregate_name == "median") |
     "| \(.run_name) | \(us(.cpu_time)) | \(per_s(.cpu_time)) | \(us(.real_time)) | \(per_s(.real_time)) |"),
    "",
    "command: \($cmd)",
    "date: \($date)",
    "machine: \($machine)",
    "load average before the run: \($load)"' "$json"
}

instructions() {
  build_bench
  local out filter
  out=$(mktemp)
  trap 'rm -f "$out"' RETURN
  echo "| benchmark | instructions | accepts | contexts | instructions per context |"
  echo "|---|---|---|---|---|"
  for filter in 'krb5_accept/negring/' 'krb5_accept/negring_uncached/' 'ntlm_accept/negring$' \
                'ntlm_accept/negotiate_spnego$'; do
    valgrind --tool=callgrind --callgrind-out-file="$out" \
      --toggle-collect=AcceptSecurityContext --toggle-collect=DeleteSecurityContext \
      "$build/bench/micro/negring-bench" --benchmark_filter="$filter" --benchmark_min_time=0.5 \
      --tokens=2000 --warmup=2000 >/dev/null 2>&1
    python3 "$root/scripts/lib/callgrind_per_context.py" "$out" "$filter"
  done
  echo
  echo "command: scripts/bench.sh instructions ($(git -C "$root" rev-parse --short HEAD))"
  echo "machine: $(machine), $(valgrind --version)"
}

case "${1:-}" in
  inprocess) shift; inprocess "$@" ;;
  instructions) shift; instructions ;;
  ntlm) shift; ntlm "$@" ;;
  micro) shift; build_bench; "$build/bench/micro/negring-bench" "$@" ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
