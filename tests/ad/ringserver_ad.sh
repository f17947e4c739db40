#!/usr/bin/env bash
# ringserver in front of the AD DC that tests/ad/run.sh started (its environment is in force):
# curl --negotiate, requests-kerberos and Java (JGSS) as alice, with sid-headers: X-Remote-User-SID is alice's objectSid, the JSON
# lists her group SIDs as tokenGroups does; then svc-web's password changes, a fresh ticket is
# refused as a stale key (logged with both kvnos, counted by reason), the keytab is exported
# again, SIGHUP, and the same kind of ticket logs in.
#   tests/ad/ringserver_ad.sh RINGSERVER
set -euo pipefail
RINGSERVER=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringserver-ad.XXXXXX")
RS_PID=
FAILS=0
cleanup() {
    [[ -n $RS_PID ]] && kill "$RS_PID" 2>/dev/null
    [[ $FAILS -eq 0 ]] || tail -n 20 "$WORK/server.log" >&2
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

cp "$NEGRING_AD_DIR/web.keytab" "$WORK/web.keytab"
"$RINGSERVER" --keytab "FILE:$WORK/web.keytab" --listen 127.0.0.1:0 --workers 1 \
    --sid-headers yes 2>"$WORK/server.log" &
RS_PID=$!
for _ in $(seq 200); do grep -q event=listening "$WORK/server.log" && break; sleep 0.02; done
PORT=$(sed -n 's/.*event=listening.*address=[^ ]*:\([0-9]*\) .*/\1/p' "$WORK/server.log" | head -1)
[[ -n $PORT ]] || { fail "ringserver did not start"; exit 1; }

login() { # a fresh TGT for alice in $1, then curl --negotiate: headers and body to $2
    kdestroy -c "$1" 2>/dev/null || true
    KRB5CCNAME=$1 kinit alice <<<"$NEGRING_AD_ALICE_PASS" >/dev/null
    KRB5CCNAME=$1 curl -s -D "$2.h" -o "$2.b" --negotiate -u : \
        --resolve "web.corp.example:$PORT:127.0.0.1" "http://web.corp.example:$PORT/" || true
}
sam() { ldbsearch -H "$NEGRING_AD_SAM" -b "CN=$1,CN=Users,DC=corp,DC=example" -s base "$2" 2>/dev/null |
    sed -n "s/^$2: //p"; }

login "FILE:$WORK/a.cc" "$WORK/first"
grep -q '^HTTP/1.1 200' "$WORK/first.h" && ok "curl --negotiate as alice -> 200" || fail "login: $(head -1 "$WORK/first.h")"
sid=$(sam alice objectSid)
hdr=$(sed -n 's/^X-Remote-User-SID: \(.*\)\r$/\1/p' "$WORK/first.h")
[[ -n $sid && $hdr == "$sid" ]] && ok "X-Remote-User-SID is alice's objectSid" || fail "user SID '$hdr' vs '$sid'"
grep -q "^X-Remote-Primary-Group-SID: ${sid%-*}-513" "$WORK/first.h" &&
    ok "X-Remote-Primary-Group-SID is Domain Users" || fail "primary group SID"
# requests-kerberos (python3-gssapi underneath) as the client, the SPN named by hostname_override.
py_user=$(KRB5CCNAME="FILE:$WORK/a.cc" /usr/bin/python3 - "$PORT" <<'PY'
import sys, requests
from requests_kerberos import HTTPKerberosAuth, OPTIONAL
auth = HTTPKerberosAuth(mutual_authentication=OPTIONAL, hostname_override="web.corp.example")
r = requests.get("http://127.0.0.1:%s/" % sys.argv[1], auth=auth, timeout=10)
print(r.status_code, r.headers.get("X-Remote-User-SID", ""))
PY
)
[[ $py_user == "200 $sid" ]] && ok "requests-kerberos -> 200 with the user SID" || fail "requests-kerberos: '$py_user'"
# Java's own Negotiate (JGSS, the same ticket cache), the host mapped by jdk.net.hosts.file.
javac -d "$WORK" "$(dirname "$0")/../interop/java/HttpLogin.java"
echo "127.0.0.1 web.corp.example" >"$WORK/hosts"
java_out=$(KRB5CCNAME="FILE:$WORK/a.cc" java -Djava.security.krb5.conf="$KRB5_CONFIG" \
    -Djavax.security.auth.useSubjectCredsOnly=false -Djdk.net.hosts.file="$WORK/hosts" \
    -cp "$WORK" HttpLogin "http://web.corp.example:$PORT/" 2>&1 || true)
[[ $java_out == "200 $sid "* ]] && ok "Java JGSS -> 200 with the user SID" || fail "Java: '$java_out'"
missing=0
while read -r g; do
    [[ $g == "${sid%-*}"-* ]] || continue
    jq -e --arg g "$g" '.group_sids | index($g)' "$WORK/first.b" >/dev/null || missing=$((missing + 1))
done < <(sam alice tokenGroups)
[[ $missing -eq 0 ]] && ok "JSON group_sids hold every domain group of tokenGroups" || fail "$missing groups missing"

# The user in NEGRING_AD_GROUPS groups: a token of that size through HTTP, every group listed.
kdestroy -c "FILE:$WORK/m.cc" 2>/dev/null || true
KRB5CCNAME="FILE:$WORK/m.cc" kinit many <<<"$NEGRING_AD_MANY_PASS" >/dev/null
KRB5CCNAME="FILE:$WORK/m.cc" curl -s -o "$WORK/many.b" --negotiate -u : \
    --resolve "web.corp.example:$PORT:127.0.0.1" "http://web.corp.example:$PORT/" || true
n=$(jq '.group_sids | length' "$WORK/many.b" 2>/dev/null || echo 0)
[[ $n -ge $NEGRING_AD_GROUPS ]] && ok "the user in $NEGRING_AD_GROUPS groups: $n group SIDs in the JSON" ||
    fail "many groups: $n SIDs"

samba-tool user setpassword svc-web --newpassword='Svc-Pass-6!' -H "$NEGRING_AD_SAM" >/dev/null 2>&1
login "FILE:$WORK/b.cc" "$WORK/stale"
grep -q '^HTTP/1.1 401' "$WORK/stale.h" && ok "ticket of the new key -> 401" || fail "stale: $(head -1 "$WORK/stale.h")"
for _ in $(seq 100); do grep -q 'reason=stale_key' "$WORK/server.log" && break; sleep 0.05; done
grep -q 'mech=kerberos.*reason=stale_key detail="ticket kvno' "$WORK/server.log" &&
    ok "logged as a stale key with the kvnos" || fail "no stale_key line"
stale=$(curl -s "http://127.0.0.1:$PORT/metrics" |
    awk '$1 == "negring_auth_failures_total{mech=\"kerberos\",reason=\"stale_key\"}" {print $2}')
[[ ${stale:-0} -ge 1 ]] && ok "counted as a stale key ($stale)" || fail "stale_key metric '${stale:-}'"
samba-tool domain exportkeytab "$WORK/web.keytab" --principal=HTTP/web.corp.example \
    -s "$NEGRING_AD_DIR/dc/etc/smb.conf" >/dev/null 2>&1
kill -HUP "$RS_PID"
for _ in $(seq 100); do grep -q 'event=reload' "$WORK/server.log" && break; sleep 0.05; done
login "FILE:$WORK/c.cc" "$WORK/rotated"
grep -q '^HTTP/1.1 200' "$WORK/rotated.h" && ok "after the export and SIGHUP -> 200" || fail "rotated: $(head -1 "$WORK/rotated.h")"
[[ $FAILS -eq 0 ]] && echo "ringserver_ad: all passed" || exit 1
