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
#   scripts/bench.sh against REV [PAIRS] [FILTER]
#       this tree against revision REV (built in a clone under $TMPDIR), the two run
#       alternately PAIRS times (default 5), pinned to the last CPU: CPU time per iteration of
#       the micro-benchmarks FILTER selects (default the NTLM accepts and their crypto floor),
#       medians of 3, and this tree's time over REV's per pair. A shared machine's speed
#       drifts by more than a change does; the ratio within a pair is what holds.
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

# negring-bench of revision $1, built once in a clone of this repository under $TMPDIR.
build_revision() {
  local sha src
  sha=$(git -C "$root" rev-parse --verify "$1^{commit}")
  src=${TMPDIR:-/tmp}/negring-bench-$sha
  if [ ! -d "$src/.git" ]; then
    git clone --quiet --no-checkout "$root" "$src"
    git -C "$src" checkout --quiet --detach "$sha"
  fi
  cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$src/build" -j"$(nproc)" --target negring-bench >/dev/null
  echo "$src/build/bench/micro/negring-bench"
}

against() {
  local rev=${1:?usage: scripts/bench.sh against REV [PAIRS] [FILTER]} pairs=${2:-5}
  local filter=${3:-'^ntlm_(accept|floor)/'} old new results load pin=()
  build_bench
  old=$(build_revision "$rev")
  new=$build/bench/micro/negring-bench
  command -v taskset >/dev/null && pin=(taskset -c "$(($(nproc) - 1))")
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  results=$(mktemp)
  trap 'rm -f "$results"' RETURN
  for pair in $(seq "$pairs"); do
    for side in old new; do
      local bin=$old
      [ "$side" = new ] && bin=$new
      "${pin[@]}" "$bin" --benchmark_filter="$filter" --benchmark_min_time=1 \
        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
        --benchmark_format=json 2>/dev/null |
        jq -c --arg side "$side" --argjson pair "$pair" --arg at "$(date -u +%H:%MZ)" '
          .benchmarks[] | select(.aggregate_name == "median")
          | {pair: $pair, at: $at, side: $side, name: .run_name, cpu: .cpu_time}' >>"$results"
    done
  done
  # One row per benchmark and pair; a benchmark REV does not have shows this tree's time only.
  jq -rs --arg cmd "scripts/bench.sh against $rev $pairs '$filter'" --arg machine "$(machine)" \
    --arg rev "$(git -C "$root" rev-parse --short "$rev")" --arg load "$load" \
    --arg head "$(git -C "$root" rev-parse --short HEAD)" '
    def us(t): (t / 10 | round / 100);
    def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                       else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    def ratio(o; n): (n / o * 100 | round / 100);
    group_by(.name) | map({name: .[0].name, runs: (group_by(.pair) | map({
        at: .[0].at, old: (map(select(.side == "old"))[0].cpu),
        new: (map(select(.side == "new"))[0].cpu)}))}) as $rows |
    "| benchmark | pair, time | \($rev) µs (CPU) | \($head) (this tree) µs (CPU) | this tree / \($rev) |",
    "|---|---|---|---|---|",
    ($rows[] | .name as $name | .runs | to_entries[] |
      "| \($name) | \(.key + 1), \(.value.at) | \(if .value.old then us(.value.old) else "-" end) | \(us(.value.new)) | \(if .value.old then ratio(.value.old; .value.new) else "-" end) |"),
    "",
    ($rows[] | select(.runs[0].old) |
      "median ratio \(.name): \([.runs[] | .new / .old] | median * 100 | round / 100)"),
    "",
    "command: \($cmd)",
    "machine: \($machine)",
    "load average before the run: \($load)"' "$results"
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
  against) shift; against "$@" ;;
  inprocess) shift; inprocess "$@" ;;
  instructions) shift; instructions ;;
  ntlm) shift; ntlm "$@" ;;
  micro) shift; build_bench; "$build/bench/micro/negring-bench" "$@" ;;
  *) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
