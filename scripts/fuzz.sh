#!/usr/bin/env bash
# Builds negring's libFuzzer targets (tests/fuzz/fuzz_*.c) with clang, ASan and UBSan into
# build/fuzz and runs them.
#
#   scripts/fuzz.sh SECONDS [TARGET...]   a campaign: each target (default: all) for SECONDS
#   scripts/fuzz.sh smoke                 CI: the regression inputs, then 7 s per target
#   scripts/fuzz.sh seeds                 remake the committed seed corpora (tests/fuzz/corpus)
#
# A throwaway realm (scripts/realm.sh) supplies the service keys of the stateful accept target
# (NEGRING_FUZZ_KEYTAB) and fresh seed tokens those keys decrypt; an NTLM account database
# (NEGRING_USER_DB) matching the NTLM seeds' password adds NTLM to it. New inputs a campaign finds go
# to build/fuzz/corpus/<target>; crashes to build/fuzz/crashes/<target>-*, and the script exits 1.
# Turn a crash into tests/fuzz/regressions/<target>/<name> plus a unit test. FUZZ_FLAGS adds
# libFuzzer flags (FUZZ_FLAGS="-fork=1 -ignore_crashes=1" keeps going past a known crash).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/fuzz"
mode=${1:-smoke}
shift || true

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEGRING_FUZZ=ON -DBUILD_TESTING=OFF \
  -DNEGRING_WERROR=ON >/dev/null
cmake --build "$build" -j2 --target fuzz_targets fuzz_make_seeds >/dev/null

realm="$build/realm"
"$root/scripts/realm.sh" stop "$realm" 2>/dev/null || true
NEGRING_REALM_WATCH_PID=$$ "$root/scripts/realm.sh" start "$realm" >/dev/null
trap '"$root/scripts/realm.sh" stop "$realm"' EXIT
# shellcheck disable=SC1091
. "$realm/env"
export NEGRING_FUZZ_KEYTAB="FILE:$realm/service.keytab"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

if [[ $mode == seeds ]]; then
  rm -rf "$root/tests/fuzz/corpus"
  "$build/tests/fuzz/fuzz_make_seeds" "$root/tests/fuzz/corpus"
  du -sh "$root/tests/fuzz/corpus"
  exit 0
fi

live="$build/live-seeds"
rm -rf "$live"
"$build/tests/fuzz/fuzz_make_seeds" "$live" "$build/ntlm-users"
export NEGRING_USER_DB="$build/ntlm-users" # NTLM for the accept target (docs/ntlm.md)

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in "$build"/tests/fuzz/fuzz_*; do
    name=$(basename "$f")
    [[ $name == fuzz_make_seeds || ! -x $f ]] && continue
    targets+=("${name#fuzz_}")
  done
fi
if [[ $mode == smoke ]]; then
  seconds=7
elif [[ $mode =~ ^[0-9]+$ ]]; then
  seconds=$mode
else
  echo "usage: fuzz.sh SECONDS [TARGET...] | smoke | seeds" >&2
  exit 2
fi

mkdir -p "$build/crashes"
failed=0
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/fuzz_$t"
  [[ -x $bin ]] || { echo "fuzz: no target $t" >&2; exit 2; }
  regress="$root/tests/fuzz/regressions/$t"
  if [[ -d $regress ]] && compgen -G "$regress/*" >/dev/null; then
    # Every input that once crashed must now run clean.
    "$bin" -runs=1 "$regress"/* >"$build/fuzz_$t.regress.log" 2>&1 ||
      { echo "fuzz: $t regression input crashes again (see $build/fuzz_$t.regress.log)"; failed=1; }
  fi
  work="$build/corpus/$t"
  if [[ $mode == smoke ]]; then # start from the seeds only, so the time bound holds
    work="$build/smoke-corpus/$t"
    rm -rf "$work"
  fi
  mkdir -p "$work"
  dirs=("$work")
  [[ -d $root/tests/fuzz/corpus/$t ]] && dirs+=("$root/tests/fuzz/corpus/$t")
  [[ -d $live/$t ]] && dirs+=("$live/$t")
  log="$build/fuzz_$t.log"
  # shellcheck disable=SC2086 # FUZZ_FLAGS: extra libFuzzer flags, e.g. "-fork=2 -ignore_crashes=1"
  if "$bin" -max_total_time="$seconds" -timeout=10 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t-" ${FUZZ_FLAGS:-} "${dirs[@]}" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [[ -z $execs ]]; then # -fork mode prints "#RUNS: cov: ... exec/s RATE ..." lines
      execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
      rate=$(sed -n 's/^#[0-9]*: cov:.* exec\/s \([0-9]*\) .*/\1/p' "$log" | tail -1)
    fi
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $t ok: ${execs:-?} runs in ${seconds}s, ${rate:-?}/s, $cov"
  else
    echo "fuzz: $t FAILED (log $log, inputs in $build/crashes/):"
    grep -E 'ERROR|invariant|SUMMARY|runtime error' "$log" | head -5
    failed=1
  fi
done
exit $failed
