#!/usr/bin/env bash
# ringserver.service (ringserver/systemd/): systemd-analyze verify accepts it, its exposure score
# (systemd-analyze security --offline) stays "OK" (below 2.0, printed), and its ExecStart command
# line, with %d (the credentials directory) holding a throwaway realm's keytab, starts and
# answers curl --negotiate. systemd is not PID 1 here, so the unit itself is not started; the
# notify protocol it relies on is tested by ringserver_notify.
# usage: service_unit_test.sh CONFIGURED_UNIT RINGSERVER CONFIG
set -euo pipefail
unit=$1 ringserver=$2 config=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap '"$root/scripts/realm.sh" stop "$work/realm" >/dev/null 2>&1 || true; kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

# The unit as installed, pointed at this build (verify checks that executables exist).
sbin=$(sed -n 's#^ExecStart=\(.*\)/ringserver .*#\1#p' "$unit")
etc=$(sed -n 's#^LoadCredential=keytab:\(.*\)/negring/http.keytab#\1#p' "$unit")
sed -e "s#$sbin/ringserver#$ringserver#g" -e "s#$etc/negring/ringserver.conf#$config#g" "$unit" \
  >"$work/ringserver.service"
systemd-analyze verify --man=no "$work/ringserver.service"
score=$(systemd-analyze security --offline=true --no-pager "$work/ringserver.service" 2>&1 |
  sed -n 's/.*Overall exposure level for ringserver.service: \([0-9.]*\) \(.*\)/\1 \2/p')
echo "exposure: $score"
awk -v s="${score%% *}" 'BEGIN { exit !(s != "" && s < 2.0) }' || { echo "exposure too high" >&2; exit 1; }

# ExecStart as systemd would run it, %d being the credentials directory.
env_file=$("$root/scripts/realm.sh" start "$work/realm")
# shellcheck disable=SC1090
source "$env_file"
mkdir "$work/credentials"
cp "${KRB5_KTNAME#FILE:}" "$work/credentials/keytab"
exec_start=$(sed -n 's/^ExecStart=//p' "$work/ringserver.service")
exec_start=${exec_start//%d/$work/credentials}
# shellcheck disable=SC2086
$exec_start --listen 127.0.0.1:0 --workers 1 >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  port=$(sed -n 's/.*event=listening.*address=[^ ]*:\([0-9]*\) .*/\1/p' "$work/log" | head -1)
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n ${port:-} ]] || { cat "$work/log" >&2; exit 1; }
user=$(curl -sf --negotiate -u : "http://localhost:$port/" | sed -n 's/.*"user":"\([^"]*\)".*/\1/p')
[[ $user == "$NEGRING_USER" ]] || { echo "curl got user '$user'" >&2; exit 1; }
echo "the unit's command line serves $user"
