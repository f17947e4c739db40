#!/usr/bin/env bash
# Installs, builds and runs the whole test suite twice: once with AddressSanitizer +
# UndefinedBehaviorSanitizer over everything, once as a plain build (which also builds the
# ThreadSanitizer stress tests of the lock-free tables). Each run ends with ctest's summary.
# Then a short fuzz smoke run of every libFuzzer target (scripts/fuzz.sh smoke), and the Debian
# packages built, installed and used (scripts/package-test.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
jobs=$(nproc)

cmake -S "$root" -B "$root/build/test-asan" -DCMAKE_BUILD_TYPE=Debug \
  -DNEGRING_SANITIZE=address,undefined -DNEGRING_WERROR=ON >/dev/null
cmake --build "$root/build/test-asan" -j"$jobs"
(cd "$root/build/test-asan" && ASAN_OPTIONS=detect_leaks=1 \
  LSAN_OPTIONS=suppressions="$root/tests/lsan.supp" ctest -j"$jobs" --output-on-failure)

cmake -S "$root" -B "$root/build/test" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEGRING_WERROR=ON >/dev/null
cmake --build "$root/build/test" -j"$jobs"
(cd "$root/build/test" && ctest -j"$jobs" --output-on-failure)

# Fuzz smoke: every libFuzzer target replays its regression inputs, then runs 7 s (clang).
"$root/scripts/fuzz.sh" smoke

# The Debian packages: built, linted, installed, used, removed (about a minute).
"$root/scripts/package-test.sh"
