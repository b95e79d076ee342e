#!/usr/bin/env bash
# A private Dovecot IMAP server on loopback, for the e-mail intake tests (tests/servicedesk/conftest.py).
#
#   scripts/ci/dovecot.sh start    write the config under $FITS_DOVECOT_DIR and start Dovecot (idempotent)
#   scripts/ci/dovecot.sh stop     stop it
#   scripts/ci/dovecot.sh status   exit 0 when it answers on 127.0.0.1:$FITS_DOVECOT_PORT
#
# Mailboxes (passwd-file, plain passwords, Maildir under the private directory):
#   highfield / highfield-imap, riverside / riverside-imap, westfield / westfield-imap
# Listens on 127.0.0.1 only, without TLS (`ssl = no`, plain logins allowed): a test peer, never a real server.
# Needs Debian's dovecot-imapd. Runs as root (mail owned by nobody) or as an ordinary user (rootless).
set -euo pipefail

DIR="${FITS_DOVECOT_DIR:-/tmp/fits-dovecot}"
PORT="${FITS_DOVECOT_PORT:-1143}"
CONF="$DIR/dovecot.conf"
DOVECOT="${DOVECOT:-/usr/sbin/dovecot}"

answers() {
    # The IMAP greeting over bash's /dev/tcp: "* OK ..." means Dovecot is up.
    timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && IFS= read -r line <&3 && [[ \$line == '* OK'* ]]" \
        2>/dev/null
}

write_config() {
    mkdir -p "$DIR/run" "$DIR/state" "$DIR/home"
    local mail_user mail_group rootless=""
    if [ "$(id -u)" -eq 0 ]; then
        mail_user=$(id -u nobody)
        mail_group=$(getent group nogroup | cut -d: -f3)
        chown "$mail_user:$mail_group" "$DIR/home"
    else
        mail_user=$(id -u)
        mail_group=$(id -g)
        rootless="default_internal_user = $(id -un)
default_internal_group = $(id -gn)
default_login_user = $(id -un)
service anvil {
  chroot =
}
service imap-login {
  chroot =
}"
    fi
    : >"$DIR/users"
    for user in highfield riverside westfield; do
        printf '%s:{PLAIN}%s-imap::::::\n' "$user" "$user" >>"$DIR/users"
    done
    chmod 644 "$DIR/users"
    cat >"$CONF" <<CONF
# Written by scripts/ci/dovecot.sh: a private IMAP test peer on loopback.
protocols = imap
listen = 127.0.0.1
base_dir = $DIR/run
state_dir = $DIR/state
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/users
}
userdb {
  driver = static
  args = uid=$mail_user gid=$mail_group home=$DIR/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
$rootless
CONF
}

start() {
    if answers; then
        echo "Dovecot already answers on 127.0.0.1:$PORT."
        return 0
    fi
    [ -x "$DOVECOT" ] || { echo "Dovecot is not installed ($DOVECOT): apt-get install dovecot-imapd" >&2; exit 2; }
    write_config
    # Detached from our stdout/stderr: a daemon holding the caller's pipe open would hang it.
    "$DOVECOT" -c "$CONF" >/dev/null 2>&1 </dev/null || true
    for _ in $(seq 1 50); do
        if answers; then
            echo "Dovecot answers on 127.0.0.1:$PORT (config $CONF)."
            return 0
        fi
        sleep 0.2
    done
    echo "Dovecot did not start on 127.0.0.1:$PORT. Its log ($DIR/dovecot.log):" >&2
    tail -n 20 "$DIR/dovecot.log" >&2 2>/dev/null || true
    exit 1
}

stop() {
    if [ -f "$CONF" ]; then
        "$DOVECOT" -c "$CONF" stop >/dev/null 2>&1 </dev/null || true
    fi
    echo "Dovecot stopped."
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) answers && echo "Dovecot answers on 127.0.0.1:$PORT." ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
