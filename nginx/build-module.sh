#!/usr/bin/env bash
# Builds ngx_http_negotiate_module.so the way Debian builds its libnginx-mod-* packages
# (nginx-dev's nginx_mod build system): nginx's own configure from /usr/share/nginx/src with
# the packaged nginx's flags (conf_flags: --with-compat and the rest, so the module's signature
# matches /usr/sbin/nginx), then `make modules`. CMake runs it for the tests; the Debian
# package uses dh's nginx_mod directly (debian/rules).
#
#   nginx/build-module.sh configure BUILD_DIR   nginx's configure, into BUILD_DIR (about 8 s)
#   nginx/build-module.sh make BUILD_DIR        BUILD_DIR/ngx_http_negotiate_module.so
#
# NEGRING_INCLUDE_DIR and NEGRING_LIBS name a libnegring that is not installed (default:
# pkg-config negring). CFLAGS is passed on (default -g -O2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
step=$1
out=$(mkdir -p "$2" && cd "$2" && pwd)
src=/usr/share/nginx/src
[[ -x $src/configure ]] || { echo "build-module.sh: nginx-dev is not installed" >&2; exit 1; }
# nginx's build (auto/make) turns ".cc", ".cpp" and ".S" anywhere in a source path into an object
# name, whatever follows them, so a folder such as tmp.Sx1 or v1.cc breaks its Makefile.
case "$here:$out" in
*.cc* | *.cpp* | *.S*)
    echo "build-module.sh: nginx's build cannot work under a folder whose name has \".cc\"," \
        "\".cpp\" or \".S\" in it: $here, $out" >&2
    exit 1
    ;;
esac

if [[ $step == configure ]]; then
    # configure writes its Makefile beside itself: run it in a copy made of symbolic links.
    rm -rf "$out/nginx-src"
    cp -rs "$src" "$out/nginx-src"
    cd "$out/nginx-src"
    # shellcheck disable=SC1091
    . ./conf_flags
    ./configure --with-cc-opt="${CFLAGS:--g -O2} -fPIC" --with-ld-opt="-fPIC" \
        "${NGX_CONF_FLAGS[@]}" --add-dynamic-module="$here" --builddir="$out/objs" \
        >"$out/configure.log" 2>&1 || { tail -20 "$out/configure.log" >&2; exit 1; }
else
    cd "$out/nginx-src"
    make -f "$out/objs/Makefile" modules >"$out/make.log" 2>&1 || { cat "$out/make.log" >&2; exit 1; }
    cp "$out/objs/ngx_http_negotiate_module.so" "$out/"
fi
