#!/usr/bin/env bash
# nginx (Debian's nginx-light) with auth_request in front of ringserver: curl --negotiate through
# nginx reaches the protected location with the user in a header; no ticket gets nginx's 401 with
# ringserver's challenge; nginx names its client's connection for the result cache.
source "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || { echo "nginx not installed (scripts/setup.sh)"; exit 1; }
start_realm
start_server --listen "127.0.0.1:0 mode=auth_request" --workers 2

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
NPORT=$(free_port)
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp" "$WORK/nginx/html"
echo "protected page" >"$WORK/nginx/html/app"
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
            proxy_set_header X-Client-Connection "\$remote_addr:\$remote_port \$connection";
        }
        location / {
            auth_request /_auth;
            auth_request_set \$user \$upstream_http_x_remote_user;
            auth_request_set \$mech \$upstream_http_x_auth_mechanism;
            auth_request_set \$mutual \$upstream_http_www_authenticate;
            add_header X-User \$user always;
            add_header X-Mech \$mech always;
            add_header WWW-Authenticate \$mutual;
            root $WORK/nginx/html;
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

page=$(curl -s --negotiate -u : -D "$WORK/h" "$url")
expect_eq "through nginx: protected page served" "$page" "protected page"
expect_eq "through nginx: X-User" "$(sed -n 's/^X-User: //p' "$WORK/h" | tr -d '\r')" "$NEGRING_USER"
expect_eq "through nginx: X-Mech" "$(sed -n 's/^X-Mech: //p' "$WORK/h" | tr -d '\r')" Kerberos
grep -qi '^WWW-Authenticate: Negotiate [A-Za-z0-9+/]' "$WORK/h" || fail "mutual-auth token passed through nginx"
hdrs=$(curl -s -D - -o /dev/null "$url")
expect_eq "no ticket: nginx answers 401" "$(head -1 <<<"$hdrs" | tr -d '\r' | cut -d' ' -f2)" 401
grep -qi '^WWW-Authenticate: Negotiate' <<<"$hdrs" || fail "nginx passes ringserver's challenge ($hdrs)"
expect_eq "garbage token through nginx: 401" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Negotiate AAAA' "$url")" 401
ok_n=0
for i in $(seq 20); do
    [[ $(curl -s --negotiate -u : "$url") == "protected page" ]] && ok_n=$((ok_n + 1))
done
expect_eq "20 more logins through nginx" "$ok_n" 20
kill "$NGINX_PID"
wait "$NGINX_PID" 2>/dev/null || true
stop_server
finish
