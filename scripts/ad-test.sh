#!/usr/bin/env bash
# The Active Directory tests at full size: a Samba AD DC on 127.0.0.1 (tests/ad/ad_dc.sh) with a
# user in 5,500 groups, and tests/ad/ad_test.c against it (the default run's ad_smoke is the same
# with 300 groups). Builds build/test first if needed.
#   scripts/ad-test.sh [GROUPS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
groups=${1:-5500}
bash "$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build/test" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build/test" -j2 --target ad_test ringserver >/dev/null
time bash "$root/tests/ad/run.sh" "$root/build/test/tests/ad_test" "$groups" \
    "$root/build/test/ringserver/ringserver"
