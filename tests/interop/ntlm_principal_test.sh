#!/usr/bin/env bash
# NTLM from independent clients to a ringserver that names its principal (HTTP/localhost), under
# the default target name policy ("when supplied", docs/ntlm.md): curl --ntlm and Java's own NTLM
# (HttpURLConnection) send no target name and log in; headless Chromium sends HTTP/localhost:PORT
# and logs in (the port does not make another service); gss-ntlmssp through curl --negotiate
# names HTTP/localhost and logs in, and, aimed at 127.0.0.1, names another service and is refused
# (401, logged as wrong_service with mech=ntlm). Before the policy, a principal refused every
# client but pyspnego. Then ntlm-target-name = required: curl --ntlm refused, gss-ntlmssp not. Uses the ringserver test library; needs RINGSERVER, REALM_SH,
# NEGRING_USER_TOOL and JAVA_SRC (tests/CMakeLists.txt).
source "$(dirname "$0")/../ringserver/lib.sh"
start_realm
"$NEGRING_USER_TOOL" add --db "$WORK/users" 'EXAMPLE\alice' <<<"Secret1" >/dev/null
start_server --listen 127.0.0.1:0 --workers 2 --user-db "$WORK/users" --ntlm-domain EXAMPLE \
    --principal HTTP/localhost
url="http://localhost:$PORT/"

code=$(curl -s -o "$WORK/curl.json" -w '%{http_code}' --ntlm -u 'EXAMPLE\alice:Secret1' "$url")
expect_eq "curl --ntlm (no target name) to a server with a principal: 200" "$code" 200

javac -d "$WORK" "$JAVA_SRC/HttpLogin.java"
out=$(java -cp "$WORK" HttpLogin "$url" 'EXAMPLE\alice' Secret1 2>&1 || true)
expect_eq "Java NTLM (no target name): 200" "${out%% *}" 200
grep -q '"mechanism":"NTLM"' <<<"$out" || fail "Java NTLM: mechanism ($out)"

# Chromium's own NTLM (--auth-schemes=ntlm), credentials from the URL; the flags the machine
# notes give for a headless Chromium without network.
dom=$(timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$WORK/chromium" --auth-schemes=ntlm \
    --dump-dom "http://EXAMPLE%5Calice:Secret1@localhost:$PORT/" 2>/dev/null || true)
grep -q '"user":"EXAMPLE\\\\alice","realm":"EXAMPLE","mechanism":"NTLM"' <<<"$dom" &&
    ok "headless Chromium NTLM (target HTTP/localhost:PORT): logged in" || fail "Chromium: $dom"

export KRB5CCNAME="FILE:$WORK/no-such-ccache" # no ticket: SPNEGO picks NTLM (gss-ntlmssp)
printf 'EXAMPLE:alice:Secret1\n' >"$WORK/ntlm-user"
code=$(NTLM_USER_FILE="$WORK/ntlm-user" curl -s -o /dev/null -w '%{http_code}' --negotiate -u : "$url")
expect_eq "gss-ntlmssp naming HTTP/localhost: 200" "$code" 200
code=$(NTLM_USER_FILE="$WORK/ntlm-user" curl -s -o /dev/null -w '%{http_code}' --negotiate -u : \
    "http://127.0.0.1:$PORT/")
expect_eq "gss-ntlmssp naming HTTP/127.0.0.1: 401" "$code" 401
for _ in $(seq 100); do grep -q 'reason=wrong_service' "$WORK/server.log" && break; sleep 0.05; done
grep -q 'mech=ntlm user="EXAMPLE\\\\alice".*reason=wrong_service detail="target name' "$WORK/server.log" &&
    ok "logged as wrong_service, NTLM, with the user and the target name" ||
    fail "no wrong_service line"
stop_server

# ntlm-target-name = required: a client that names no service is refused, one naming it is not.
start_server --listen 127.0.0.1:0 --workers 1 --user-db "$WORK/users" --ntlm-domain EXAMPLE \
    --principal HTTP/localhost --ntlm-target-name required
url="http://localhost:$PORT/"
code=$(curl -s -o /dev/null -w '%{http_code}' --ntlm -u 'EXAMPLE\alice:Secret1' "$url")
expect_eq "required: curl --ntlm (no target name): 401" "$code" 401
code=$(NTLM_USER_FILE="$WORK/ntlm-user" curl -s -o /dev/null -w '%{http_code}' --negotiate -u : "$url")
expect_eq "required: gss-ntlmssp naming HTTP/localhost: 200" "$code" 200
for _ in $(seq 100); do grep -q 'policy requires one' "$WORK/server.log" && break; sleep 0.05; done
grep -q 'reason=wrong_service detail="no target name' "$WORK/server.log" &&
    ok "required: logged as wrong_service, no target name" || fail "no 'no target name' line"
stop_server
finish
