#!/usr/bin/env bash
# nginx (Debian's nginx-light) with auth_request in front of ringserver, configured as
# docs/ringserver.md shows: curl --negotiate through nginx reaches the application with the
# identity in headers nginx sets, whatever the client sent in those headers itself; no ticket
# gets nginx's 401 with ringserver's challenge; nginx proves itself to ringserver with the shared
# secret and names its client's connection for the result cache.
source "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || { echo "nginx not installed (scripts/setup.sh)"; exit 1; }
start_realm
head -c 24 /dev/urandom | base64 >"$WORK/frontend.secret"
start_server --listen "127.0.0.1:0 mode=auth_request" --workers 2 \
    --frontend-secret-file "$WORK/frontend.secret"
SECRET=$(cat "$WORK/frontend.secret")

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
NPORT=$(free_port)
APORT=$(free_port)
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
cat >"$WORK/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log $WORK/nginx/logs/error.log warn;
pid $WORK/nginx/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    upstream ringserver { server 127.0.0.1:$PORT; keepalive 8; }
    server {
        listen 127.0.0.1:$NPORT;
        server_name localhost;
        location = /_auth {
            internal;
            proxy_pass http://ringserver;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Negring-Frontend "$SECRET";
            proxy_set_header X-Client-Connection "\$remote_addr:\$remote_port \$connection";
        }
        location / {
            auth_request /_auth;
            auth_request_set \$user \$upstream_http_x_remote_user;
            auth_request_set \$realm \$upstream_http_x_remote_realm;
            auth_request_set \$mech \$upstream_http_x_auth_mechanism;
            auth_request_set \$source \$upstream_http_x_auth_source;
            auth_request_set \$mutual \$upstream_http_www_authenticate;
            add_header WWW-Authenticate \$mutual;
            proxy_set_header X-Remote-User \$user;
            proxy_set_header X-Remote-Realm \$realm;
            proxy_set_header X-Auth-Mechanism \$mech;
            proxy_set_header X-Auth-Source \$source;
            proxy_pass http://127.0.0.1:$APORT;
        }
    }
    server { # the application: echoes the identity headers it receives
        listen 127.0.0.1:$APORT;
        location / {
            return 200 "user=\$http_x_remote_user realm=\$http_x_remote_realm mech=\$http_x_auth_mechanism source=\$http_x_auth_source";
        }
    }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
trap 'kill $NGINX_PID 2>/dev/null || true; cleanup' EXIT
for i in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$NPORT/" && break
    sleep 0.05
done
url="http://localhost:$NPORT/app"

want="user=$NEGRING_USER realm=$NEGRING_REALM mech=Kerberos source=handshake"
page=$(curl -s --negotiate -u : -D "$WORK/h" "$url")
expect_eq "through nginx: the application gets the identity" "$page" "$want"
grep -qi '^WWW-Authenticate: Negotiate [A-Za-z0-9+/]' "$WORK/h" || fail "mutual-auth token passed through nginx"
page=$(curl -s --negotiate -u : -H 'X-Remote-User: mallory@EVIL' -H 'X-Remote-Realm: EVIL' \
    -H 'X-Auth-Mechanism: Evil' -H 'X-Auth-Source: evil' -H 'X-Negring-Frontend: forged' \
    -H 'X-Client-Connection: 10.0.0.1:1 1' "$url")
expect_eq "identity headers the client sends never reach the application" "$page" "$want"
hdrs=$(curl -s -D - -o /dev/null "$url")
expect_eq "no ticket: nginx answers 401" "$(head -1 <<<"$hdrs" | tr -d '\r' | cut -d' ' -f2)" 401
grep -qi '^WWW-Authenticate: Negotiate' <<<"$hdrs" || fail "nginx passes ringserver's challenge ($hdrs)"
expect_eq "no ticket, forged identity headers: 401" "$(curl -s -o /dev/null -w '%{http_code}' \
    -H 'X-Remote-User: mallory@EVIL' "$url")" 401
expect_eq "garbage token through nginx: 401" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Negotiate AAAA' "$url")" 401
ok_n=0
for i in $(seq 20); do
    [[ $(curl -s --negotiate -u : "$url") == "$want" ]] && ok_n=$((ok_n + 1))
done
expect_eq "20 more logins through nginx" "$ok_n" 20
grep -q 'event=frontend_refused' "$WORK/server.log" && fail "nginx was refused as the front-end"
kill "$NGINX_PID"
wait "$NGINX_PID" 2>/dev/null || true
stop_server
finish
