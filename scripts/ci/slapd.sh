#!/usr/bin/env bash
# A private OpenLDAP server on loopback, for the Directory Services tests (tests/om/directory/conftest.py).
#
#   scripts/ci/slapd.sh start    write cn=config under $FITS_SLAPD_DIR, load the school directory, start slapd
#                                (idempotent: a running server is left as it is)
#   scripts/ci/slapd.sh reset    put the school directory back as the fixture has it (delete the tree, add it again)
#   scripts/ci/slapd.sh stop     stop it
#   scripts/ci/slapd.sh status   exit 0 when it answers on ldap://127.0.0.1:$FITS_SLAPD_PORT
#
# The directory: dc=highfield,dc=sch,dc=uk from tests/om/directory/ldap/highfield.ldif (OUs Staff, Pupils/Year7,
# Pupils/Year8, Computers, Groups, Leavers; ~20 people; groups; computers) with an AD-like auxiliary class
# (tests/om/directory/ldap/fits-ad.ldif: sAMAccountName, userAccountControl, lastLogonTimestamp...).
# Bind accounts: cn=fits-sync,ou=Service Accounts,<base> / sync-secret reads; cn=fits-admin,ou=Service Accounts,
# <base> / admin-secret writes; cn=admin,<base> / admin is the root DN (reset uses it). People: school-pass.
# Listens on 127.0.0.1 only, without TLS: a test peer, never a real server. Needs Debian's slapd and ldap-utils.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIXTURES="${FITS_SLAPD_FIXTURES:-$HERE/../../tests/om/directory/ldap}"
DIR="${FITS_SLAPD_DIR:-/tmp/fits-slapd}"
PORT="${FITS_SLAPD_PORT:-3389}"
URI="ldap://127.0.0.1:$PORT/"
BASE="dc=highfield,dc=sch,dc=uk"
ROOT_DN="cn=admin,$BASE"
ROOT_PW="admin"
SLAPD="${SLAPD:-/usr/sbin/slapd}"
PIDFILE="$DIR/slapd.pid"
LOG="$DIR/slapd.log"

answers() {
    ldapsearch -x -H "$URI" -o nettimeout=2 -D "cn=fits-sync,ou=Service Accounts,$BASE" -w sync-secret \
        -b "$BASE" -s base "(objectClass=*)" dn >/dev/null 2>&1
}

filetime() {
    # An AD timestamp (100 ns intervals since 1601-01-01) for $1 days ago.
    echo $(( ($(date +%s) - $1 * 86400 + 11644473600) * 10000000 ))
}

render() {
    # The school directory with its relative logon times filled in.
    sed -e "s/@RECENT@/$(filetime 1)/" -e "s/@MONTH@/$(filetime 40)/" -e "s/@STALE@/$(filetime 200)/" \
        "$FIXTURES/highfield.ldif"
}

write_config() {
    rm -rf "$DIR/slapd.d" "$DIR/data"
    mkdir -p "$DIR/slapd.d" "$DIR/data" "$DIR/run"
    local modules=/usr/lib/ldap
    cat >"$DIR/config.ldif" <<CONF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $PIDFILE
olcArgsFile: $DIR/run/slapd.args
olcLogLevel: none
olcSizeLimit: 1000

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $modules
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file://$FIXTURES/fits-ad.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: 1000

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $BASE
olcRootDN: $ROOT_DN
olcRootPW: $ROOT_PW
olcDbDirectory: $DIR/data
olcDbMaxSize: 67108864
olcDbIndex: objectClass eq
olcDbIndex: uid,sAMAccountName,cn eq
olcDbIndex: member eq
olcSizeLimit: size.soft=1000 size.hard=unlimited size.pr=500 size.prtotal=unlimited
olcAccess: {0}to attrs=userPassword by dn.exact="cn=fits-admin,ou=Service Accounts,$BASE" write by self write by anonymous auth by * none
olcAccess: {1}to * by dn.exact="cn=fits-admin,ou=Service Accounts,$BASE" write by dn.exact="cn=fits-sync,ou=Service Accounts,$BASE" read by self read by users search by * none
CONF
    slapadd -n0 -F "$DIR/slapd.d" -l "$DIR/config.ldif" >"$LOG" 2>&1
    render | slapadd -F "$DIR/slapd.d" -b "$BASE" >>"$LOG" 2>&1
}

start() {
    if answers; then
        echo "slapd already answers on $URI."
        return 0
    fi
    [ -x "$SLAPD" ] || { echo "slapd is not installed ($SLAPD): apt-get install slapd ldap-utils" >&2; exit 2; }
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
        sleep 0.5
    fi
    mkdir -p "$DIR"
    write_config || { echo "Could not load the configuration or the directory. Log ($LOG):" >&2; tail -n 20 "$LOG" >&2; exit 1; }
    local user_opts=()
    if [ "$(id -u)" -eq 0 ]; then
        user_opts=(-u root -g root)
    fi
    # Detached from our stdout/stderr: a daemon holding the caller's pipe open would hang it.
    "$SLAPD" -h "$URI" -F "$DIR/slapd.d" "${user_opts[@]}" >>"$LOG" 2>&1 </dev/null || true
    for _ in $(seq 1 50); do
        if answers; then
            echo "slapd answers on $URI (data under $DIR)."
            return 0
        fi
        sleep 0.2
    done
    echo "slapd did not start on $URI. Its log ($LOG):" >&2
    tail -n 20 "$LOG" >&2 2>/dev/null || true
    exit 1
}

reset() {
    answers || start >/dev/null
    ldapdelete -x -H "$URI" -D "$ROOT_DN" -w "$ROOT_PW" -r "$BASE" >/dev/null 2>&1 || true
    render | ldapadd -x -H "$URI" -D "$ROOT_DN" -w "$ROOT_PW" >"$DIR/reset.log" 2>&1 \
        || { echo "Could not load the school directory. Log ($DIR/reset.log):" >&2; tail -n 20 "$DIR/reset.log" >&2; exit 1; }
}

stop() {
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        kill "$(cat "$PIDFILE")"
        for _ in $(seq 1 25); do
            kill -0 "$(cat "$PIDFILE" 2>/dev/null || echo 0)" 2>/dev/null || break
            sleep 0.2
        done
    fi
    echo "slapd stopped."
}

case "${1:-start}" in
    start) start ;;
    reset) reset ;;
    stop) stop ;;
    status) answers && echo "slapd answers on $URI." ;;
    *) echo "usage: $0 start|reset|stop|status" >&2; exit 64 ;;
esac
