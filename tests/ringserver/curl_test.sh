#!/usr/bin/env bash
# curl --negotiate (and --ntlm once libnegring has NTLM) against ringserver; SIGHUP reloads keys
# under load without failing a request, and a key rollover is picked up by SIGHUP only.
source "$(dirname "$0")/lib.sh"
start_realm
ntlm_args=()
if [[ -x ${NEGRING_USER_TOOL:-} ]]; then
    "$NEGRING_USER_TOOL" add --db "$WORK/users" 'NEGRING\alice' <<<"$NEGRING_USER_PASSWORD" >/dev/null
    ntlm_args=(--user-db "$WORK/users")
fi
start_server --listen 127.0.0.1:0 --workers 2 "${ntlm_args[@]}"
url="http://localhost:$PORT/"

body=$(curl -sf --negotiate -u : "$url")
expect_eq "curl --negotiate: user" "$(sed -n 's/.*"user":"\([^"]*\)".*/\1/p' <<<"$body")" "$NEGRING_USER"
expect_eq "curl --negotiate: mechanism" "$(sed -n 's/.*"mechanism":"\([^"]*\)".*/\1/p' <<<"$body")" Kerberos
expect_eq "no credentials: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$url")" 401

if grep -q 'ntlm=yes' "$WORK/server.log"; then
    code=$(curl -s -o "$WORK/ntlm.json" -w '%{http_code}' --ntlm -u "alice:$NEGRING_USER_PASSWORD" "$url")
    expect_eq "curl --ntlm: 200" "$code" 200
    grep -q '"user":"NEGRING\\\\alice","realm":"NEGRING","mechanism":"NTLM"' "$WORK/ntlm.json" ||
        fail "curl --ntlm: user and mechanism ($(cat "$WORK/ntlm.json"))"
    expect_eq "curl --ntlm, wrong password: 401" \
        "$(curl -s -o /dev/null -w '%{http_code}' --ntlm -u alice:wrong "$url")" 401
else
    echo "note: libnegring has no NTLM package yet; curl --ntlm not run"
fi

# SIGHUP during load: every request still succeeds.
codes="$WORK/codes"
(for i in $(seq 40); do curl -s -o /dev/null -w '%{http_code}\n' --negotiate -u : "$url"; done >"$codes") &
loader=$!
for i in 1 2 3 4 5; do
    sleep 0.05
    kill -HUP "$RS_PID"
done
wait "$loader"
expect_eq "40 requests during 5 SIGHUPs all 200" "$(grep -c '^200$' "$codes")" 40
# Signals sent while a reload runs coalesce (POSIX), so at least one and at most five reloads.
sleep 0.3
reloads=$(metric 'negring_key_reloads_total{result="ok"}')
if [[ $reloads -ge 1 && $reloads -le 5 ]]; then ok "reloads counted ($reloads)"; else fail "reloads: $reloads"; fi

# Key rollover: a ticket under the new key fails until SIGHUP reloads the keytab.
"$REALM_SH" kadmin "$NEGRING_REALM_DIR" "cpw -randkey HTTP/localhost" >/dev/null
"$REALM_SH" kadmin "$NEGRING_REALM_DIR" "ktadd -k $NEGRING_REALM_DIR/service.keytab HTTP/localhost" >/dev/null
new_cc="FILE:$WORK/fresh.ccache"
"$REALM_SH" kinit "$NEGRING_REALM_DIR" "$NEGRING_USER" "$new_cc" <<<"$NEGRING_USER_PASSWORD"
expect_eq "new-key ticket before SIGHUP: 401" \
    "$(KRB5CCNAME=$new_cc curl -s -o /dev/null -w '%{http_code}' --negotiate -u : "$url")" 401
kill -HUP "$RS_PID"
wait_metric 'negring_key_reloads_total{result="ok"}' $((reloads + 1)) >/dev/null
expect_eq "new-key ticket after SIGHUP: 200" \
    "$(KRB5CCNAME=$new_cc curl -s -o /dev/null -w '%{http_code}' --negotiate -u : "$url")" 200
grep -q 'event=auth_failed.*status=0x' "$WORK/server.log" || fail "failed auth not logged"
stop_server
finish
