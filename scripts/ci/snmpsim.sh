#!/usr/bin/env bash
# Recorded SNMP devices on loopback, for the end-to-end monitoring tests (tests/availability/test_real_peers.py).
#
#   scripts/ci/snmpsim.sh start    copy the recordings under $FITS_SNMPSIM_DIR and start snmpsimd (idempotent)
#   scripts/ci/snmpsim.sh stop     stop it
#   scripts/ci/snmpsim.sh status   exit 0 when it answers on udp 127.0.0.1:$FITS_SNMPSIM_PORT
#
# Debian's snmpsimd (package snmpsim) serves every tests/availability/snmprec/NAME.snmprec as one device whose
# v2c community is NAME (edge-switch, nas, printer): several devices behind one port, told apart by community,
# as a poller sees a school's switches and servers. Where snmpd (scripts/ci/snmpd.sh) is a live agent with the
# machine's own MIBs, these are fixed recordings whose values a test can assert.
# As root, snmpsimd must drop to an unprivileged user (nobody:nogroup), so the recordings are copied to a
# folder that user can read (the checkout may sit under a home folder it cannot enter). snmpsimd logs every
# request: its log ($FITS_SNMPSIM_DIR/run/snmpsimd.log) starts afresh at each start.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RECORDINGS="${FITS_SNMPSIM_RECORDINGS:-$REPO/tests/availability/snmprec}"
DIR="${FITS_SNMPSIM_DIR:-/tmp/fits-snmpsim}"
PORT="${FITS_SNMPSIM_PORT:-1162}"
PIDFILE="$DIR/run/snmpsimd.pid"
LOG="$DIR/run/snmpsimd.log"
SNMPSIMD="${SNMPSIMD:-/usr/bin/snmpsimd}"
# The device the status check asks: the first recording's community.
PROBE_COMMUNITY="${FITS_SNMPSIM_PROBE:-edge-switch}"

running() {
    [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

answers() {
    # sysUpTime.0 of one recorded device over v2c: any value means snmpsimd is serving the recordings.
    command -v snmpget >/dev/null 2>&1 || { running; return; }
    snmpget -v2c -c "$PROBE_COMMUNITY" -t 1 -r 0 -On -Oqv "udp:127.0.0.1:$PORT" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1
}

prepare() {
    # A fresh copy each start: a recording removed from the checkout is no longer served.
    rm -rf "$DIR/data" "$DIR/cache" "$DIR/run"
    mkdir -p "$DIR/data" "$DIR/cache" "$DIR/run"
    cp "$RECORDINGS"/*.snmprec "$DIR/data/"
    chmod 755 "$DIR" "$DIR/data"
    chmod 644 "$DIR"/data/*.snmprec
    if [ "$(id -u)" -eq 0 ]; then
        chown -R nobody:nogroup "$DIR/cache" "$DIR/run"
    fi
}

start() {
    if answers; then
        echo "snmpsimd already answers on udp 127.0.0.1:$PORT."
        return 0
    fi
    [ -x "$SNMPSIMD" ] || { echo "snmpsimd is not installed ($SNMPSIMD): apt-get install snmpsim" >&2; exit 2; }
    ls "$RECORDINGS"/*.snmprec >/dev/null 2>&1 || { echo "no recordings in $RECORDINGS" >&2; exit 2; }
    running && kill "$(cat "$PIDFILE")" 2>/dev/null || true
    prepare
    local options=(
        --data-dir="$DIR/data" --cache-dir="$DIR/cache" --agent-udpv4-endpoint="127.0.0.1:$PORT"
        --daemonize --pid-file="$PIDFILE" --logging-method="file:$LOG"
    )
    if [ "$(id -u)" -eq 0 ]; then
        options+=(--process-user=nobody --process-group=nogroup)
    fi
    # HOME is ours: snmpsimd also serves any recordings under ~/.snmpsim/data (and fails without a HOME).
    # Detached from our stdout/stderr: a daemon holding the caller's pipe open would hang it.
    HOME="$DIR" "$SNMPSIMD" "${options[@]}" >"$DIR/run/start.log" 2>&1 </dev/null || true
    for _ in $(seq 1 100); do
        if answers; then
            echo "snmpsimd answers on udp 127.0.0.1:$PORT with the devices of $DIR/data ($(cd "$DIR/data" && echo *.snmprec))."
            return 0
        fi
        sleep 0.2
    done
    echo "snmpsimd did not start on udp 127.0.0.1:$PORT. Its output and log:" >&2
    tail -n 20 "$DIR/run/start.log" "$LOG" >&2 2>/dev/null || true
    exit 1
}

stop() {
    if running; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
        for _ in $(seq 1 25); do
            running || break
            sleep 0.2
        done
    fi
    rm -f "$PIDFILE"
    echo "snmpsimd stopped."
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) answers && echo "snmpsimd answers on udp 127.0.0.1:$PORT." ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
