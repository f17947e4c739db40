#!/usr/bin/env bash
# The configuration file and flags: --check accepts a good file and names the line of a bad
# one; flags override the file; an IPv6 listener from the file serves curl --negotiate; an
# auth_request listener off loopback needs front-end authentication; plain HTTP off loopback is
# warned about; the --help example starts; the farm's options (shared-store, its policy and
# deadlines, proxy-protocol, drain-grace) are checked.
source "$(dirname "$0")/lib.sh"
start_realm
cat >"$WORK/good.conf" <<CONF
# a comment
listen = [::1]:0 mode=http mechs=kerberos
listen = 127.0.0.1:0 mode=raw
keytab = $KRB5_KTNAME
workers = 1
max-header-bytes = 96k    # trailing comment
header-timeout = 5s
log-success = yes
CONF
out=$("$RINGSERVER" --config "$WORK/good.conf" --check 2>&1) || fail "--check of a good file: $out"
expect_eq "--check reports the configuration" "$out" "ringserver: configuration OK (2 listeners, 1 workers)"

printf 'listen = 127.0.0.1:0\nmax-headers = lots\n' >"$WORK/bad.conf"
rc=0
out=$("$RINGSERVER" --config "$WORK/bad.conf" --check 2>&1) || rc=$?
expect_eq "bad value: exit status 2" "$rc" 2
[[ $out == *"bad.conf:2: max-headers: bad value 'lots'"* ]] && ok "bad value: file and line named" ||
    fail "bad value message: $out"
rc=0
out=$("$RINGSERVER" --no-such-option 1 2>&1) || rc=$?
expect_eq "unknown flag: exit status 2" "$rc" 2
[[ $out == *"unknown option --no-such-option"* ]] && ok "unknown flag named" || fail "$out"
# The farm's options (docs/farm.md): a numeric store address, a known policy, non-zero deadlines.
bad_farm_option() { # WHAT EXPECTED_MESSAGE ARGS...
    local what=$1 want=$2 out rc=0
    shift 2
    out=$("$RINGSERVER" --listen 127.0.0.1:0 "$@" --check 2>&1) || rc=$?
    expect_eq "$what: exit status 2" "$rc" 2
    [[ $out == *"$want"* ]] && ok "$what: says why" || fail "$what: $out"
}
bad_farm_option "store by name" "want a numeric IPV4:PORT" --shared-store redis.example:6379
bad_farm_option "store on port 0" "want a numeric IPV4:PORT" --shared-store 127.0.0.1:0
bad_farm_option "unknown policy" "want fail-closed or local-only" --shared-store-policy maybe
bad_farm_option "zero store timeout" "must be > 0" --shared-store 127.0.0.1:6379 \
    --shared-store-timeout 0ms
bad_farm_option "unknown listener flag" "unknown part 'proxy-protocl'" \
    --listen "127.0.0.1:0 proxy-protocl"
# (--check reads the farm's revocations once: with no store there it logs why, and goes on.)
out=$("$RINGSERVER" --listen '127.0.0.1:0 proxy-protocol' --keytab "$KRB5_KTNAME" --workers 1 \
    --shared-store '[::1]:1' --shared-store-policy local-only --drain-grace 2s --check 2>&1) ||
    fail "farm options: $out"
expect_eq "farm options accepted" "$(tail -n 1 <<<"$out")" \
    "ringserver: configuration OK (1 listeners, 1 workers)"
[[ $out == *"event=shared_revocations result=failed"* ]] && ok "an unreachable store is logged" ||
    fail "unreachable store not logged: $out"
"$RINGSERVER" --help >"$WORK/help" # not into grep -q: it may leave before the end (SIGPIPE)
grep -q -- '--max-pending' "$WORK/help" && ok "--help lists the options" || fail "--help"

# An auth_request listener off loopback without front-end authentication does not start.
rc=0
out=$("$RINGSERVER" --listen '0.0.0.0:0 mode=auth_request' --keytab "$KRB5_KTNAME" --check 2>&1) || rc=$?
expect_eq "auth_request on 0.0.0.0 without a front-end secret: exit status 1" "$rc" 1
[[ $out == *"needs the front-end to authenticate itself"* ]] && ok "and says why" || fail "$out"
head -c 24 /dev/urandom | base64 >"$WORK/frontend.secret"
out=$("$RINGSERVER" --listen '0.0.0.0:0 mode=auth_request' --keytab "$KRB5_KTNAME" --check \
    --frontend-secret-file "$WORK/frontend.secret" 2>&1) || fail "with a secret: $out"
[[ $out == *"configuration OK"* ]] && ok "auth_request on 0.0.0.0 with a front-end secret starts" ||
    fail "$out"
[[ $out == *"event=plain_http"*"listener=0.0.0.0:"* ]] && ok "plain HTTP off loopback: warned" ||
    fail "no plain_http warning: $out"
out=$("$RINGSERVER" --listen '127.0.0.1:0' --keytab "$KRB5_KTNAME" --check 2>&1)
[[ $out != *"event=plain_http"* ]] && ok "plain HTTP on loopback: no warning" || fail "$out"

# The --help example runs as printed (its port made free, its files this test's).
example=$(sed -n '/^Example/{n;p}' "$WORK/help")
args=$(sed -e 's/.*ringserver //' -e 's/:8081/:0/' \
    -e "s|/etc/negring/frontend.secret|$WORK/frontend.secret|" <<<"$example")
eval "set -- $args"
out=$("$RINGSERVER" --keytab "$KRB5_KTNAME" "$@" --check 2>&1) || fail "--help example: $out"
[[ $out == *"configuration OK (1 listeners"* ]] && ok "the --help example starts" || fail "$out"
[[ $example == *"0.0.0.0"*"auth_request"* ]] && fail "the --help example exposes auth_request"

# The file's listeners with a flag overriding one option; IPv6 loopback served.
start_server --config "$WORK/good.conf" --workers 2
grep -q 'event=listening address=\[::1\]:[0-9]* mode=http mechs=kerberos workers=2' "$WORK/server.log" &&
    ok "flag overrides the file (workers=2), IPv6 listener" || fail "listening lines: $(cat "$WORK/server.log")"
port6=$(sed -n 's/.*address=\[::1\]:\([0-9]*\) .*/\1/p' "$WORK/server.log" | head -1)
body=$(curl -sf --negotiate -u : "http://localhost:$port6/" -g --ipv6 2>/dev/null || true)
if [[ -z $body ]]; then # curl may not map "localhost" to ::1; the SPN needs the name localhost
    body=$(curl -sf --negotiate -u : --resolve "localhost:$port6:::1" "http://localhost:$port6/")
fi
[[ $body == *"\"user\":\"$NEGRING_USER\""* ]] && ok "curl --negotiate over IPv6" || fail "IPv6: $body"
# Log lines are written by the ring after the answer goes out: give the line a moment to land.
for _ in $(seq 60); do grep -q 'event=auth_ok' "$WORK/server.log" && break; sleep 0.05; done
grep -q 'event=auth_ok' "$WORK/server.log" && ok "log-success logs the login" || fail "no auth_ok line"
stop_server
finish
