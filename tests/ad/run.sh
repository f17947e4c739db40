#!/usr/bin/env bash
# Starts a throwaway Samba AD DC (tests/ad/ad_dc.sh) with GROUPS groups for the "many" user,
# runs tests/ad/ad_test against it, and stops it. ctest's ad_smoke (the default run) and
# scripts/ad-test.sh (5,500 groups) both come through here.
#   tests/ad/run.sh AD_TEST_BINARY [GROUPS [RINGSERVER]]   (with RINGSERVER, ringserver_ad.sh too)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$1
groups=${2:-300}
ringserver=${3:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/negring-ad.XXXXXX")
rmdir "$dir"
trap 'bash "$here/ad_dc.sh" stop "$dir"' EXIT
start=$(date +%s)
NEGRING_AD_WATCH_PID=$$ bash "$here/ad_dc.sh" start "$dir" "$groups" >/dev/null
echo "ad: DC with $groups groups ready in $(($(date +%s) - start)) s"
# shellcheck disable=SC1091
. "$dir/env"
"$binary"
[[ -z $ringserver ]] || bash "$here/ringserver_ad.sh" "$ringserver"
