#!/usr/bin/env bash
# The Debian packages, built the Debian way and used as a user would: dpkg-buildpackage -us -uc
# -b on a clean copy of the tree; lintian without errors or warnings; the packages installed
# with apt; a program outside the tree built against them with pkg-config and with CMake's
# find_package(negring) and run; the installed ringserver started the way its unit starts it
# (installed configuration, keytab as a credential) against a throwaway realm and used by
# curl --negotiate; an accidental ABI change (one more exported function) failing the package
# build; the nginx module enabled as Debian enables it and logged in through with curl
# --negotiate, in front of an application; the Squid helper answering a Kerberos login over
# Squid's helper protocol. Removes the packages again. Needs root (apt). About
# a minute on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# No dot in the build path: nginx's build (auto/make) turns ".cc", ".cpp" and ".S" anywhere in a
# source path into an object name, so mktemp's "tmp.SXXXX" (1 run in 62) broke the nginx module's
# package build.
work=$(mktemp -d /tmp/negring-package-test-XXXXXXXX)
packages=(libnegring0 libnegring-dev ringserver negring-tools libnginx-mod-http-negotiate)
cleanup() {
  "$root/scripts/realm.sh" stop "$work/realm" >/dev/null 2>&1 || true
  kill "${pid:-0}" "${app_pid:-0}" "${nginx_pid:-0}" 2>/dev/null || true
  wait 2>/dev/null || true
  dpkg --purge "${packages[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

copy_tree() { # DIR: the committed tree plus what is staged or changed, nothing built
  mkdir -p "$1"
  (cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf -) |
    tar -xf - -C "$1"
}

copy_tree "$work/src/negring"
(cd "$work/src/negring" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
  { tail -30 "$work/build.log"; exit 1; }
echo "built: $(cd "$work/src" && ls ./*.deb | grep -v dbgsym | tr '\n' ' ')"
lintian --fail-on error,warning "$work/src/"*.changes
echo "lintian: no error, no warning"

debs=()
for p in "${packages[@]}"; do debs+=("$work/src/${p}_"*.deb); done
apt-get install -y -qq "${debs[@]}" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
getent passwd ringserver >/dev/null
printf 'Secret1\n' | negring-user add --db "$work/users" 'EXAMPLE\alice'
src=$root/tests/install/consumer
# shellcheck disable=SC2046
cc -Wall -Werror -o "$work/consumer-pc" "$src/consumer.c" $(pkg-config --cflags --libs negring)
cmake -S "$src" -B "$work/consumer-cmake" >/dev/null
cmake --build "$work/consumer-cmake" >/dev/null
for consumer in "$work/consumer-pc" "$work/consumer-cmake/consumer"; do
  [[ $("$consumer" "$work/users") == 'ok EXAMPLE\alice' ]]
done
echo "consumers built against the packages (pkg-config, find_package) authenticated alice"

# The installed daemon as its unit runs it, %d being the credentials directory.
env_file=$("$root/scripts/realm.sh" start "$work/realm")
# shellcheck disable=SC1090
source "$env_file"
mkdir "$work/credentials"
cp "${KRB5_KTNAME#FILE:}" "$work/credentials/keytab"
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/ringserver.service)
# shellcheck disable=SC2086
${exec_start//%d/$work/credentials} --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  port=$(sed -n 's/.*event=listening.*address=[^ ]*:\([0-9]*\) .*/\1/p' "$work/server.log" | head -1)
  [[ -n $port ]] && break
  sleep 0.05
done
user=$(curl -sf --negotiate -u : "http://localhost:${port:?no listening line}/" |
  sed -n 's/.*"user":"\([^"]*\)".*/\1/p')
[[ $user == "$NEGRING_USER" ]] || { cat "$work/server.log"; exit 1; }
echo "installed ringserver with its installed configuration served $user"

# The nginx module as the package enables it (a load_module snippet in modules-enabled, which
# Debian's nginx.conf includes; their module paths are relative to the packaged prefix), in
# front of an application that echoes the headers it gets.
[[ -L /etc/nginx/modules-enabled/50-mod-http-negotiate.conf ]]
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
/usr/bin/python3 "$root/tests/nginx/echo_app.py" "$work/app.port" &
app_pid=$!
nginx_port=$(free_port)
mkdir -p "$work/nginx"
for _ in $(seq 100); do [[ -s $work/app.port ]] && break; sleep 0.05; done
cat >"$work/nginx/nginx.conf" <<CONF
include /etc/nginx/modules-enabled/*.conf;
error_log $work/nginx/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$nginx_port;
        auth_negotiate on;
        auth_negotiate_keytab $KRB5_KTNAME;
        location / {
            proxy_pass http://127.0.0.1:$(cat "$work/app.port");
            proxy_set_header X-Remote-User \$negotiate_user;
        }
    }
}
CONF
nginx -c "$work/nginx/nginx.conf" -g "daemon off;" &
nginx_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.05; done
user=$(curl -sf --negotiate -u : "http://localhost:$nginx_port/" |
  sed -n 's/.*"X-Remote-User": "\([^"]*\)".*/\1/p')
[[ $user == "$NEGRING_USER" ]] || { cat "$work/nginx/error.log"; exit 1; }
echo "Debian's nginx with the packaged module (modules-enabled) authenticated $user"

# The packaged Squid helper, as Squid runs it: one Kerberos login over the helper protocol.
token=$(/usr/bin/python3 -c 'import base64, gssapi
n = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
c = gssapi.SecurityContext(name=n, usage="initiate", mech=gssapi.OID.from_int_seq("1.3.6.1.5.5.2"))
print(base64.b64encode(c.step()).decode())')
answer=$(echo "YR $token" | /usr/lib/squid/negring-squid-auth -k "$KRB5_KTNAME" -c "$work")
[[ $answer == "AF "*" \"$NEGRING_USER\"" ]] || { echo "negring-squid-auth answered: $answer"; exit 1; }
echo "the packaged negring-squid-auth logged $NEGRING_USER in over Squid's helper protocol"

# One more exported function than the symbols file lists: the package build must fail.
copy_tree "$work/abi/negring"
sed -i 's/^    negring_token_sids;$/    negring_token_sids;\n    ng_alloc;/' "$work/abi/negring/core/libnegring.map"
sed -i 's/^void \*ng_alloc(/__attribute__((visibility("default"))) void *ng_alloc(/' \
  "$work/abi/negring/core/base/alloc.c"
if (cd "$work/abi/negring" && dpkg-buildpackage -us -uc -b >"$work/abi.log" 2>&1); then
  echo "an ABI change built without complaint" >&2
  exit 1
fi
grep -q 'dpkg-gensymbols: error' "$work/abi.log" || { tail -20 "$work/abi.log"; exit 1; }
echo "an ABI change fails the package build (dpkg-gensymbols)"
