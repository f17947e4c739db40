#!/usr/bin/env bash
# A throwaway Samba Active Directory domain controller on loopback, for negring's AD tests.
#
#   tests/ad/ad_dc.sh start DIR [GROUPS]   provision CORP.EXAMPLE into DIR/dc (samba-tool domain
#                                          provision --targetdir), add the test accounts, start
#                                          samba's KDC and LDAP on 127.0.0.1; prints DIR/env
#   tests/ad/ad_dc.sh stop DIR             stop samba and remove DIR
#
# Everything lives in DIR; /etc/samba and /var/lib/samba are never used (--targetdir, and
# smb.conf's paths point into DIR). Samba's KDC has no port setting: it binds 127.0.0.1:88 (and
# LDAP 389, kpasswd 464), so one DC runs at a time; start fails clearly when the ports are taken.
# If NEGRING_AD_WATCH_PID is set, samba is stopped once that process is gone.
#
# Accounts (password of each in DIR/env):
#   alice      a user; member of the groups "Web Users" and "Staff" ("Staff" nests "Web Users")
#   bob        a user, disabled
#   many       a user in GROUPS groups (default 300; scripts/ad-test.sh makes 5,500)
#   svc-web    a service account with SPNs HTTP/web.corp.example, HTTP/alias.corp.example
#              (AES by default: msDS-SupportedEncryptionTypes 0x18)
#   svc-rc4    a service account with SPN HTTP/rc4.corp.example and no AES
#              (msDS-SupportedEncryptionTypes 4: RC4 tickets and sessions, AD's old default)
#   svc-front  a front end with SPN HTTP/front.corp.example, trusted to authenticate for
#              delegation (protocol transition) to HTTP/web.corp.example (S4U2Self + S4U2Proxy)
# Keytabs: DIR/web.keytab (svc-web's keys under HTTP/web.corp.example only), DIR/rc4.keytab,
# DIR/front.keytab.
set -euo pipefail
umask 077

REALM=CORP.EXAMPLE
DOMAIN=CORP
ADMIN_PASS='Admin-Pass-1!'
ALICE_PASS='Alice-Pass-1!'
BOB_PASS='Bob-Pass-2!'
MANY_PASS='Many-Pass-3!'
SVC_PASS='Svc-Pass-4!'
MARKER=.negring-ad

die() {
    echo "ad_dc.sh: $*" >&2
    exit 1
}

ports_free() {
    ! ss -Hltun 2>/dev/null | awk '{print $5}' | grep -Eq '^127\.0\.0\.1:(88|389|464)$|^(0\.0\.0\.0|\*|\[::\]):(88|389|464)$'
}

tool() { samba-tool "$@" -H "$DIR/dc/private/sam.ldb" >>"$DIR/setup.log" 2>&1; }

set_attr() { # DN-relative account, attribute, value
    local dn
    dn=$(ldbsearch -H "$DIR/dc/private/sam.ldb" "(sAMAccountName=$1)" dn 2>/dev/null |
        sed -n 's/^dn: //p')
    [[ -n $dn ]] || die "no account $1"
    ldbmodify -H "$DIR/dc/private/sam.ldb" >>"$DIR/setup.log" 2>&1 <<LDIF
dn: $dn
changetype: modify
replace: $2
$2: $3
LDIF
}

# GROUPS groups with "many" as a member, in one LDIF (samba-tool takes a second per call).
add_many_groups() {
    local n=$1 base i
    base=$(ldbsearch -H "$DIR/dc/private/sam.ldb" -s base -b "" defaultNamingContext 2>/dev/null |
        sed -n 's/^defaultNamingContext: //p')
    local member="CN=many,CN=Users,$base"
    {
        for ((i = 1; i <= n; i++)); do
            printf 'dn: CN=bulk-%05d,CN=Users,%s\nobjectClass: group\nsAMAccountName: bulk-%05d\nmember: %s\n\n' \
                "$i" "$base" "$i" "$member"
        done
    } >"$DIR/groups.ldif"
    ldbadd -H "$DIR/dc/private/sam.ldb" "$DIR/groups.ldif" >>"$DIR/setup.log" 2>&1 ||
        die "adding $n groups failed (see $DIR/setup.log)"
}

provision() {
    samba-tool domain provision --realm="$REALM" --domain="$DOMAIN" --server-role=dc \
        --dns-backend=NONE --adminpass="$ADMIN_PASS" --targetdir="$DIR/dc" --host-name=dc1 \
        --host-ip=127.0.0.1 --option="interfaces=127.0.0.1" --option="bind interfaces only=yes" \
        --option="server services=ldap kdc" --option="log file=$DIR/samba.log" \
        --option="logging=file" --option="kdc force enable rc4 weak session keys=yes" \
        >>"$DIR/setup.log" 2>&1 || die "provision failed (see $DIR/setup.log)"
}

add_accounts() {
    local groups=$1
    tool user create alice "$ALICE_PASS" --use-username-as-cn
    tool user create bob "$BOB_PASS" --use-username-as-cn
    tool user disable bob
    tool user create many "$MANY_PASS" --use-username-as-cn
    tool group add "Web Users"
    tool group add Staff
    tool group addmembers "Web Users" alice
    tool group addmembers Staff "Web Users"
    for svc in svc-web svc-rc4 svc-front; do
        tool user create "$svc" "$SVC_PASS" --use-username-as-cn
    done
    tool spn add HTTP/web.corp.example svc-web
    tool spn add HTTP/alias.corp.example svc-web
    tool spn add HTTP/rc4.corp.example svc-rc4
    tool spn add HTTP/front.corp.example svc-front
    set_attr svc-web msDS-SupportedEncryptionTypes 24
    set_attr svc-rc4 msDS-SupportedEncryptionTypes 4
    set_attr svc-front msDS-SupportedEncryptionTypes 24
    # NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD | TRUSTED_TO_AUTH_FOR_DELEGATION
    set_attr svc-front userAccountControl $((0x200 | 0x10000 | 0x1000000))
    set_attr svc-front msDS-AllowedToDelegateTo HTTP/web.corp.example
    add_many_groups "$groups"
}

export_keytabs() {
    local conf=$DIR/dc/etc/smb.conf
    samba-tool domain exportkeytab "$DIR/web.keytab" --principal=HTTP/web.corp.example \
        -s "$conf" >>"$DIR/setup.log" 2>&1
    samba-tool domain exportkeytab "$DIR/rc4.keytab" --principal=HTTP/rc4.corp.example \
        -s "$conf" >>"$DIR/setup.log" 2>&1
    samba-tool domain exportkeytab "$DIR/front.keytab" --principal=svc-front \
        -s "$conf" >>"$DIR/setup.log" 2>&1
    for k in web rc4 front; do
        [[ -s $DIR/$k.keytab ]] || die "no $k.keytab (see $DIR/setup.log)"
    done
}

write_conf() {
    cat >"$DIR/krb5.conf" <<CONF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    allow_rc4 = true
    forwardable = true
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 arcfour-hmac
    default_ccache_name = FILE:$DIR/alice.ccache
[realms]
    $REALM = {
        kdc = 127.0.0.1
    }
[domain_realm]
    .corp.example = $REALM
    corp.example = $REALM
CONF
    cat >"$DIR/env" <<ENV
export KRB5_CONFIG=$DIR/krb5.conf
export KRB5CCNAME=FILE:$DIR/alice.ccache
export KRB5RCACHEDIR=$DIR
export NEGRING_AD_DIR=$DIR
export NEGRING_AD_REALM=$REALM
export NEGRING_AD_DOMAIN=$DOMAIN
export NEGRING_AD_SAM=$DIR/dc/private/sam.ldb
export NEGRING_AD_ALICE_PASS='$ALICE_PASS'
export NEGRING_AD_BOB_PASS='$BOB_PASS'
export NEGRING_AD_MANY_PASS='$MANY_PASS'
export NEGRING_AD_SVC_PASS='$SVC_PASS'
export NEGRING_AD_GROUPS=$NGROUPS
ENV
}

start_samba() {
    samba --foreground --no-process-group -M single -s "$DIR/dc/etc/smb.conf" \
        >>"$DIR/samba.out" 2>&1 &
    echo $! >"$DIR/samba.pid"
    local i
    for ((i = 0; i < 150; i++)); do
        if KRB5_CONFIG=$DIR/krb5.conf KRB5CCNAME=FILE:$DIR/admin.ccache \
            kinit administrator <<<"$ADMIN_PASS" >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$(cat "$DIR/samba.pid")" 2>/dev/null || die "samba exited (see $DIR/samba.out)"
        sleep 0.2
    done
    die "samba's KDC did not answer on 127.0.0.1:88"
}

start_watchdog() {
    local watched=$1 pid
    pid=$(cat "$DIR/samba.pid")
    (
        while kill -0 "$watched" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
        kill "$pid" 2>/dev/null
    ) </dev/null >/dev/null 2>&1 &
}

cmd_start() {
    [[ $# -ge 1 && $# -le 2 ]] || die "usage: ad_dc.sh start DIR [GROUPS]"
    NGROUPS=${2:-300}
    [[ $NGROUPS =~ ^[0-9]+$ ]] || die "bad group count: $NGROUPS"
    for t in samba samba-tool ldbadd ldbmodify ldbsearch kinit ss; do
        command -v "$t" >/dev/null || die "$t not found (scripts/setup.sh installs samba)"
    done
    ports_free || die "127.0.0.1 ports 88/389/464 are in use (another DC or KDC)"
    mkdir -p "$1"
    DIR=$(cd "$1" && pwd)
    [[ -e $DIR/dc ]] && die "a DC already exists in $DIR"
    : >"$DIR/$MARKER"
    provision
    add_accounts "$NGROUPS"
    export_keytabs
    write_conf
    start_samba
    [[ -n ${NEGRING_AD_WATCH_PID:-} ]] && start_watchdog "$NEGRING_AD_WATCH_PID"
    echo "$DIR/env"
}

cmd_stop() {
    [[ $# -eq 1 ]] || die "usage: ad_dc.sh stop DIR"
    [[ -d $1 ]] || return 0
    DIR=$(cd "$1" && pwd)
    [[ -f $DIR/$MARKER ]] || die "$DIR is not an AD test directory; not removing"
    if [[ -f $DIR/samba.pid ]]; then
        local pid
        pid=$(cat "$DIR/samba.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf -- "$DIR"
}

case ${1:-} in
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
*) die "usage: ad_dc.sh start DIR [GROUPS] | stop DIR" ;;
esac
