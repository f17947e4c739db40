#!/usr/bin/env bash
# curl --negotiate with no Kerberos ticket, through MIT's SPNEGO and gss-ntlmssp (NTLM_USER_FILE),
# against ringserver's Negotiate listener: SPNEGO picks NTLM, the account database decides.
# (curl --ntlm is covered by tests/ringserver/curl_test.sh.) Uses the ringserver test library;
# needs RINGSERVER, REALM_SH and NEGRING_USER_TOOL in the environment (tests/CMakeLists.txt).
source "$(dirname "$0")/../ringserver/lib.sh"
start_realm
"$NEGRING_USER_TOOL" add --db "$WORK/users" 'EXAMPLE\alice' <<<"Secret1" >/dev/null
start_server --listen 127.0.0.1:0 --workers 2 --user-db "$WORK/users" --ntlm-domain EXAMPLE
url="http://localhost:$PORT/"

export KRB5CCNAME="FILE:$WORK/no-such-ccache" # no ticket: Kerberos cannot be used
printf 'EXAMPLE:alice:Secret1\n' >"$WORK/ntlm-good"
printf 'EXAMPLE:alice:Secret2\n' >"$WORK/ntlm-bad"

body=$(NTLM_USER_FILE="$WORK/ntlm-good" curl -sf --negotiate -u : "$url" || true)
expect_eq "curl --negotiate via gss-ntlmssp: mechanism" \
    "$(sed -n 's/.*"mechanism":"\([^"]*\)".*/\1/p' <<<"$body")" NTLM
expect_eq "curl --negotiate via gss-ntlmssp: user" \
    "$(sed -n 's/.*"user":"\([^"]*\)".*/\1/p' <<<"$body")" 'EXAMPLE\\alice'
expect_eq "curl --negotiate via gss-ntlmssp, wrong password: 401" \
    "$(NTLM_USER_FILE="$WORK/ntlm-bad" curl -s -o /dev/null -w '%{http_code}' --negotiate -u : "$url")" 401
stop_server
finish
