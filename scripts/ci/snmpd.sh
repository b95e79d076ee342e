#!/usr/bin/env bash
# A private Net-SNMP agent on loopback, for the availability probe tests (tests/availability/conftest.py).
#
#   scripts/ci/snmpd.sh start    write the config under $FITS_SNMPD_DIR and start snmpd (idempotent)
#   scripts/ci/snmpd.sh stop     stop it
#   scripts/ci/snmpd.sh status   exit 0 when it answers on udp 127.0.0.1:$FITS_SNMPD_PORT
#
# Access: v2c community "public" (read-only, from 127.0.0.1 only) and the v3 user "fitsprobe"
# (SHA auth "fitsprobe-auth", AES privacy "fitsprobe-priv"). The real system MIBs are served (SNMPv2-MIB,
# IF-MIB, HOST-RESOURCES-MIB): a test peer standing in for a switch or a server, never a real agent.
# Needs Debian's snmpd (and snmp for the status check). Runs as root or as an ordinary user.
set -euo pipefail

DIR="${FITS_SNMPD_DIR:-/tmp/fits-snmpd}"
PORT="${FITS_SNMPD_PORT:-1161}"
CONF="$DIR/snmpd.conf"
PIDFILE="$DIR/snmpd.pid"
SNMPD="${SNMPD:-/usr/sbin/snmpd}"

answers() {
    # sysUpTime.0 over v2c: any value means the agent is up.
    command -v snmpget >/dev/null 2>&1 || { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; return; }
    snmpget -v2c -c public -t 1 -r 0 -On -Oqv "udp:127.0.0.1:$PORT" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1
}

write_config() {
    mkdir -p "$DIR/persist"
    cat >"$CONF" <<CONF
# Written by scripts/ci/snmpd.sh: a private SNMP test peer on loopback.
agentaddress udp:127.0.0.1:$PORT
rocommunity public 127.0.0.1
createUser fitsprobe SHA fitsprobe-auth AES fitsprobe-priv
rouser fitsprobe priv
sysLocation FITS test rack
sysContact fits-tests@example.invalid
sysName fits-snmpd
# No AgentX master and no traps: a plain read-only agent.
master no
CONF
}

start() {
    if answers; then
        echo "snmpd already answers on udp 127.0.0.1:$PORT."
        return 0
    fi
    [ -x "$SNMPD" ] || { echo "snmpd is not installed ($SNMPD): apt-get install snmpd snmp" >&2; exit 2; }
    write_config
    # -C: only our config; -p: our pid file; -Lf: our log. SNMP_PERSISTENT_DIR keeps the v3 engine state
    # private. Detached from our stdout/stderr: a daemon holding the caller's pipe open would hang it.
    SNMP_PERSISTENT_DIR="$DIR/persist" MIBS="" \
        "$SNMPD" -C -c "$CONF" -p "$PIDFILE" -Lf "$DIR/snmpd.log" >/dev/null 2>&1 </dev/null || true
    for _ in $(seq 1 50); do
        if answers; then
            echo "snmpd answers on udp 127.0.0.1:$PORT (config $CONF)."
            return 0
        fi
        sleep 0.2
    done
    echo "snmpd did not start on udp 127.0.0.1:$PORT. Its log ($DIR/snmpd.log):" >&2
    tail -n 20 "$DIR/snmpd.log" >&2 2>/dev/null || true
    exit 1
}

stop() {
    if [ -f "$PIDFILE" ]; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
        rm -f "$PIDFILE"
    fi
    echo "snmpd stopped."
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) answers && echo "snmpd answers on udp 127.0.0.1:$PORT." ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
