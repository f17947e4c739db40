#!/usr/bin/env bash
# The Debian packages, built the Debian way and used as a user would: dpkg-buildpackage -us -uc
# -b on a clean copy of the tree; lintian without errors or warnings; the packages installed
# with apt; a program outside the tree built against them with pkg-config and with CMake's
# find_package(negring) and run; the installed ringserver started the way its unit starts it
# (installed configuration, keytab as a credential) against a throwaway realm and used by
# curl --negotiate; an accidental ABI change (one more exported function) failing the package
# build. Removes the packages again. Needs root (apt). About a minute on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
work=$(mktemp -d)
packages=(libnegring0 libnegring-dev ringserver negring-tools)
cleanup() {
  "$root/scripts/realm.sh" stop "$work/realm" >/dev/null 2>&1 || true
  kill "${pid:-0}" 2>/dev/null || true
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

apt-get install -y -qq "$work/src/"{libnegring0,libnegring-dev,ringserver,negring-tools}_*.deb \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
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
