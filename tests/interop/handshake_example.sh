#!/usr/bin/env bash
# The README's run path: examples/negring-handshake on a throwaway realm must authenticate
# alice with Kerberos through Negotiate, mutual authentication included.
set -euo pipefail
binary=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/negring-example.XXXXXX")
trap '"$root/scripts/realm.sh" stop "$dir/realm" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
"$root/scripts/realm.sh" start "$dir/realm" >/dev/null
# shellcheck disable=SC1091
. "$dir/realm/env"
out=$("$binary" HTTP/localhost)
echo "$out"
[[ "$out" == "authenticated alice@NEGRING.TEST with Kerberos via Negotiate (2 legs, mutual yes)" ]]
