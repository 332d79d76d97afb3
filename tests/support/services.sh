#!/usr/bin/env bash
# Private MariaDB + RabbitMQ instances for the msgbus tests, on loopback ports, without systemd.
#
#   services.sh start [--cluster] | stop | status [mariadb|rabbitmq] | env
#   services.sh mariadb-start | mariadb-stop | rabbitmq-start | rabbitmq-stop
#   services.sh cluster-start | cluster-stop | cluster-status | cluster-node-kill N | cluster-node-start N
#   services.sh cluster-ctl N [--tool rabbitmq-queues|rabbitmq-diagnostics|...] ARGS... | cluster-queues N ARGS...
#
# The three-node RabbitMQ cluster (msgbus-c1..c3@localhost) is only started by cluster-start or
# `start --cluster`; `stop` stops it too.
# Everything lives under ${MSGBUS_SERVICES_DIR:-<repo>/.services}. Only processes this script started
# (recorded with their start time under <state>/pids) are ever signalled.
# Progress goes to stderr, so `eval "$(services.sh env)"` only ever sees the export lines.
set -euo pipefail

SCRIPT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
REPO_ROOT="$(cd "$(dirname "$SCRIPT_PATH")/../.." && pwd)"

STATE_DIR="${MSGBUS_SERVICES_DIR:-$REPO_ROOT/.services}"
case "$STATE_DIR" in /*) ;; *) STATE_DIR="$PWD/$STATE_DIR" ;; esac

MYSQL_PORT="${MSGBUS_TEST_MYSQL_PORT:-33906}"
AMQP_PORT="${MSGBUS_TEST_AMQP_PORT:-56729}"
DIST_PORT="${MSGBUS_TEST_AMQP_DIST_PORT:-25729}"
# The single node's management API (rabbitmq_management), on loopback: `msgbus stats` reads the
# unacked counts and the consumer lag from it.
MGMT_PORT="${MSGBUS_TEST_AMQP_MANAGEMENT_PORT:-15729}"
EPMD_PORT="${MSGBUS_TEST_EPMD_PORT:-43699}"
CTL_DIST_PORT_MIN=$((DIST_PORT + 10000))
CTL_DIST_PORT_MAX=$((DIST_PORT + 10020))
NODENAME="msgbus@localhost"
# Cluster node N (1..CLUSTER_SIZE) listens on CLUSTER_AMQP_PORT + N - 1 and CLUSTER_DIST_PORT + N - 1.
CLUSTER_SIZE=3
CLUSTER_AMQP_PORT="${MSGBUS_TEST_CLUSTER_AMQP_PORT:-56731}"
CLUSTER_DIST_PORT="${MSGBUS_TEST_CLUSTER_DIST_PORT:-25731}"

# Fixed, public test credentials (nothing else is ever printed).
DB_NAME="msgbus_test"
DB_USER="msgbus"
DB_PASS="msgbus-test"
MQ_USER="msgbus"
MQ_PASS="msgbus-test"

MARIADB_START_TIMEOUT=60
RABBITMQ_START_TIMEOUT=120
STOP_TIMEOUT=30

RABBITMQ_LIB_BIN="/usr/lib/rabbitmq/bin"

PIDS_DIR="$STATE_DIR/pids"
BIN_DIR="$STATE_DIR/bin"

MY_DIR="$STATE_DIR/mariadb"
MY_DATA="$MY_DIR/data"
MY_TMP="$MY_DIR/tmp"
MY_CNF="$MY_DIR/my.cnf"
MY_PIDFILE="$MY_DIR/mariadbd.pid"
MY_ERRLOG="$MY_DIR/error.log"
MY_SOCK="$MY_DIR/mariadbd.sock"
if [ "${#MY_SOCK}" -gt 100 ]; then # sun_path is 108 bytes
    MY_SOCK="${TMPDIR:-/tmp}/msgbus-mariadb-$(printf '%s' "$STATE_DIR" | md5sum | cut -c1-12).sock"
fi
# mariadbd refuses to run as root unless told to; as non-root it simply runs as the caller.
OS_USER="$(id -un)"

RB_DIR="$STATE_DIR/rabbitmq"
RB_HOME="$RB_DIR/home"
RB_MNESIA="$RB_DIR/mnesia"
RB_LOGDIR="$RB_DIR/log"
RB_CONF="$RB_DIR/rabbitmq.conf"
RB_ADVANCED="$RB_DIR/advanced.config"
RB_CONF_ENV="$RB_DIR/rabbitmq-env.conf"
RB_PLUGINS="$RB_DIR/enabled_plugins"
RB_PIDFILE="$RB_DIR/beam.pid"
RB_ENV="$RB_DIR/env.sh"
RB_NODE_LOG="$RB_LOGDIR/$NODENAME.log"
RB_STDOUT_LOG="$RB_LOGDIR/server-stdout.log"
RB_PROVISIONED="$RB_MNESIA/.msgbus-provisioned"

# Node N of the cluster lives in $CL_DIR/nN; the nodes share one HOME and so one Erlang cookie.
CL_DIR="$STATE_DIR/cluster"
CL_HOME="$CL_DIR/home"
CL_LAUNCHED=() # cluster nodes launched by this invocation (stopped again if the start fails)

EPMD_LOG="$STATE_DIR/epmd.log"

say() { echo "services: $*" >&2; }
die() {
    echo "services: ERROR: $*" >&2
    exit 1
}

# ---------------------------------------------------------------- process bookkeeping

# Field 22 of /proc/<pid>/stat (start time in clock ticks); guards against PID reuse.
proc_starttime() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }" # drop "pid (comm) "
    # shellcheck disable=SC2086 # split the fields on purpose
    set -- $stat
    echo "${20}"
}

# Alive and not a zombie (PID 1 here may not reap orphans).
proc_alive() {
    local pid="$1" stat
    [ -n "$pid" ] || return 1
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    case "$stat" in Z* | X*) return 1 ;; esac
    return 0
}

rec_pid() { # name pid
    local st
    st="$(proc_starttime "$2")" || st=""
    mkdir -p "$PIDS_DIR"
    echo "$2 $st" >"$PIDS_DIR/$1.pid"
}

rec_forget() { rm -f "$PIDS_DIR/$1.pid"; }

# Prints the recorded PID if that very process is still alive.
rec_alive() {
    local f="$PIDS_DIR/$1.pid" pid st cur
    [ -f "$f" ] || return 1
    read -r pid st <"$f" || true
    [ -n "${pid:-}" ] || return 1
    proc_alive "$pid" || return 1
    cur="$(proc_starttime "$pid")" || return 1
    [ -z "${st:-}" ] || [ "$st" = "$cur" ] || return 1
    echo "$pid"
}

# Waits for the PIDs to exit; SIGKILL after STOP_TIMEOUT seconds.
wait_exit() { # label pid...
    local label="$1" deadline pid left
    shift
    deadline=$((SECONDS + STOP_TIMEOUT))
    while :; do
        left=()
        for pid in "$@"; do proc_alive "$pid" && left+=("$pid"); done
        [ "${#left[@]}" -eq 0 ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "$label did not exit within ${STOP_TIMEOUT}s, sending SIGKILL to ${left[*]}"
            kill -KILL "${left[@]}" 2>/dev/null || true
            sleep 0.5
            return 0
        fi
        sleep 0.2
    done
}

# ---------------------------------------------------------------- ports

port_listening() { # port -> 0 when something listens on it (any address)
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]
    else
        timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
    fi
}

require_port_free() { # port what
    if port_listening "$1"; then
        die "port $1 ($2) is already in use by a process this script did not start; stop it or set the port variable (see $SCRIPT_PATH)"
    fi
}

# In a launch subshell: close every inherited descriptor above 2, so a daemon never keeps a caller's
# pipe (e.g. ctest capturing a test that restarts the broker) or socket open.
close_extra_fds() {
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
        fd="${fd##*/}"
        if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
}

show_log_tail() { # file [lines]
    local f="$1" n="${2:-40}"
    if [ -s "$f" ]; then
        echo "----- last $n lines of $f -----" >&2
        tail -n "$n" "$f" >&2
        echo "-----" >&2
    fi
}

lock_state() {
    mkdir -p "$STATE_DIR" "$PIDS_DIR"
    exec 9>>"$STATE_DIR/.lock"
    flock -w 600 9 || die "could not lock $STATE_DIR/.lock"
}

# ---------------------------------------------------------------- MariaDB

my_write_config() {
    mkdir -p "$MY_DIR" "$MY_TMP"
    cat >"$MY_CNF" <<EOF
# Generated by $SCRIPT_PATH; rewritten on every start.
[mysqld]
user=$OS_USER
datadir=$MY_DATA
tmpdir=$MY_TMP
socket=$MY_SOCK
pid-file=$MY_PIDFILE
log-error=$MY_ERRLOG
port=$MYSQL_PORT
bind-address=127.0.0.1
skip-name-resolve
max_connections=500
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb_buffer_pool_size=128M
innodb_log_file_size=64M
innodb_flush_log_at_trx_commit=1

[client]
socket=$MY_SOCK
port=$MYSQL_PORT
default-character-set=utf8mb4
EOF
}

my_admin() { mariadb-admin --defaults-file="$MY_CNF" --protocol=socket -u"$OS_USER" "$@"; }
my_sql() { mariadb --defaults-file="$MY_CNF" --protocol=socket -u"$OS_USER"; }

my_running() { # prints pid
    local pid
    pid="$(rec_alive mariadbd)" || return 1
    port_listening "$MYSQL_PORT" || return 1
    echo "$pid"
}

my_kill_recorded() {
    local pid
    if pid="$(rec_alive mariadbd)"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_exit mariadbd "$pid"
    fi
    rec_forget mariadbd
}

my_provision() {
    my_sql <<EOF
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
EOF
}

mariadb_start() {
    local pid t0=$SECONDS
    if pid="$(my_running)"; then
        say "mariadb already running (pid $pid, 127.0.0.1:$MYSQL_PORT)"
        return 0
    fi
    command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || die "mariadbd not found (run: ./run deps)"
    # A recorded mariadbd that is alive but not listening is wedged: stop it first.
    my_kill_recorded
    require_port_free "$MYSQL_PORT" "MariaDB"
    my_write_config

    if [ ! -f "$MY_DATA/.msgbus-initialized" ]; then
        say "mariadb: initialising data directory $MY_DATA"
        rm -rf -- "$MY_DATA"
        mkdir -p "$MY_DATA"
        if ! mariadb-install-db --defaults-file="$MY_CNF" --user="$OS_USER" \
            --auth-root-authentication-method=socket --skip-test-db \
            >"$MY_DIR/install-db.log" 2>&1 9>&-; then
            show_log_tail "$MY_DIR/install-db.log"
            die "mariadb-install-db failed"
        fi
        touch "$MY_DATA/.msgbus-initialized"
    fi

    rm -f "$MY_PIDFILE"
    say "mariadb: starting on 127.0.0.1:$MYSQL_PORT"
    (
        close_extra_fds
        PATH="$PATH:/usr/sbin" exec setsid mariadbd --defaults-file="$MY_CNF"
    ) </dev/null >>"$MY_DIR/mariadbd-stdout.log" 2>&1 9>&- &
    pid=$!
    rec_pid mariadbd "$pid"

    local deadline=$((SECONDS + MARIADB_START_TIMEOUT))
    until my_admin ping >/dev/null 2>&1 && port_listening "$MYSQL_PORT"; do
        if ! proc_alive "$pid"; then
            show_log_tail "$MY_ERRLOG"
            rec_forget mariadbd
            die "mariadbd exited during start-up"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            show_log_tail "$MY_ERRLOG"
            my_kill_recorded
            die "mariadb did not answer ping within ${MARIADB_START_TIMEOUT}s"
        fi
        sleep 0.2
    done
    # mariadbd writes its own pid: if setsid had to fork, follow the real process.
    if [ -s "$MY_PIDFILE" ]; then
        local real
        real="$(cat "$MY_PIDFILE")"
        if [ "$real" != "$pid" ] && proc_alive "$real"; then rec_pid mariadbd "$real"; fi
    fi
    if ! my_provision; then
        show_log_tail "$MY_ERRLOG"
        die "could not create database/user in mariadb"
    fi
    say "mariadb: ready in $((SECONDS - t0))s (pid $(rec_alive mariadbd || echo ?))"
}

mariadb_stop() {
    local pid
    if pid="$(rec_alive mariadbd)"; then
        say "mariadb: stopping (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        wait_exit mariadbd "$pid"
    else
        say "mariadb: not running (nothing started by this script)"
    fi
    rec_forget mariadbd
}

# ---------------------------------------------------------------- epmd

epmd_ensure() {
    local pid
    if pid="$(rec_alive epmd)" && port_listening "$EPMD_PORT"; then return 0; fi
    if [ -n "${pid:-}" ]; then # ours but not listening: replace
        kill -TERM "$pid" 2>/dev/null || true
        wait_exit epmd "$pid"
    fi
    rec_forget epmd
    if port_listening "$EPMD_PORT"; then
        if epmd -port "$EPMD_PORT" -names >/dev/null 2>&1; then
            say "epmd: reusing an epmd on port $EPMD_PORT that this script did not start (it will not be stopped)"
            return 0
        fi
        die "port $EPMD_PORT (epmd) is in use by something else"
    fi
    command -v epmd >/dev/null 2>&1 || die "epmd not found (run: ./run deps)"
    (
        close_extra_fds
        exec setsid epmd -port "$EPMD_PORT" -address 127.0.0.1
    ) </dev/null >>"$EPMD_LOG" 2>&1 9>&- &
    pid=$!
    rec_pid epmd "$pid"
    local deadline=$((SECONDS + 10))
    until port_listening "$EPMD_PORT"; do
        if ! proc_alive "$pid" || [ "$SECONDS" -ge "$deadline" ]; then
            show_log_tail "$EPMD_LOG"
            kill -TERM "$pid" 2>/dev/null || true
            rec_forget epmd
            die "epmd did not start on 127.0.0.1:$EPMD_PORT"
        fi
        sleep 0.1
    done
}

epmd_stop() {
    local pid
    if pid="$(rec_alive epmd)"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_exit epmd "$pid"
    fi
    rec_forget epmd
}

# ---------------------------------------------------------------- RabbitMQ

q() { printf '%q' "$1"; }

# The Erlang cookie of a node's home directory: made once, readable by its owner only.
rb_ensure_cookie() { # home
    chmod 0700 "$1"
    if [ ! -s "$1/.erlang.cookie" ]; then
        (umask 077 && head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z' >"$1/.erlang.cookie")
    fi
    chmod 0400 "$1/.erlang.cookie"
}

# The rabbitmq.conf lines every test node shares: the test user as the default user (no guest
# user at all), logs to file only.
rb_common_conf() {
    cat <<EOF
default_vhost = /
default_user = $MQ_USER
default_pass = $MQ_PASS
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = false
log.file.level = info
EOF
}

# The environment of a node and of every CLI call against it, on stdout.
rb_node_env() { # label home nodename amqp_port dist_port mnesia logdir conf advanced plugins pidfile confenv
    local dist_args='-kernel inet_dist_use_interface {127,0,0,1}'
    echo "# Generated by $SCRIPT_PATH: environment for $1 and its CLI."
    echo "export HOME=$(q "$2")"
    echo "export RABBITMQ_NODENAME=$(q "$3")"
    echo "export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1"
    echo "export RABBITMQ_NODE_PORT=$(q "$4")"
    echo "export RABBITMQ_DIST_PORT=$(q "$5")"
    echo "export RABBITMQ_MNESIA_BASE=$(q "$6")"
    echo "export RABBITMQ_LOG_BASE=$(q "$7")"
    echo "export RABBITMQ_CONFIG_FILE=$(q "$8")"
    echo "export RABBITMQ_ADVANCED_CONFIG_FILE=$(q "$9")"
    echo "export RABBITMQ_ENABLED_PLUGINS_FILE=$(q "${10}")"
    echo "export RABBITMQ_PID_FILE=$(q "${11}")"
    echo "export RABBITMQ_CONF_ENV_FILE=$(q "${12}")"
    echo "export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=$(q "$dist_args")"
    echo "export RABBITMQ_CTL_ERL_ARGS=$(q "$dist_args")"
    echo "export RABBITMQ_CTL_DIST_PORT_MIN=$CTL_DIST_PORT_MIN"
    echo "export RABBITMQ_CTL_DIST_PORT_MAX=$CTL_DIST_PORT_MAX"
    echo "export ERL_EPMD_PORT=$(q "$EPMD_PORT")"
    echo "export ERL_EPMD_ADDRESS=127.0.0.1"
    echo "export LANG=C.UTF-8 LC_ALL=C.UTF-8"
}

# Wrappers in bindir that run RabbitMQ's CLI tools against one node (its env file sourced).
rb_cli_wrappers() { # bindir envfile what
    local tool
    for tool in rabbitmqctl rabbitmq-diagnostics rabbitmq-plugins rabbitmq-queues; do
        cat >"$1/$tool.tmp" <<EOF
#!/bin/sh
# Runs $tool against $3. Generated by $SCRIPT_PATH.
. $(q "$2")
exec $(q "$RABBITMQ_LIB_BIN/$tool") "\$@"
EOF
        chmod 0755 "$1/$tool.tmp"
        mv -f "$1/$tool.tmp" "$1/$tool"
    done
}

rb_write_config() {
    mkdir -p "$RB_DIR" "$RB_HOME" "$RB_MNESIA" "$RB_LOGDIR" "$BIN_DIR"
    rb_ensure_cookie "$RB_HOME"
    : >"$RB_CONF_ENV"
    echo '[rabbitmq_management].' >"$RB_PLUGINS"
    {
        cat <<EOF
# Generated by $SCRIPT_PATH; rewritten on every start.
# The node address/port come from RABBITMQ_NODE_IP_ADDRESS / RABBITMQ_NODE_PORT (loopback only).
# On a fresh node the test user is created as the default user (no guest user at all);
# services.sh also creates/updates it explicitly once per data directory.
EOF
        rb_common_conf
        cat <<EOF
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
# Queue figures in the management API every second instead of every 5 (the stats tests wait
# for them).
collect_statistics_interval = 1000
EOF
    } >"$RB_CONF"
    rb_node_env "the private RabbitMQ node" "$RB_HOME" "$NODENAME" "$AMQP_PORT" "$DIST_PORT" \
        "$RB_MNESIA" "$RB_LOGDIR" "$RB_CONF" "$RB_ADVANCED" "$RB_PLUGINS" "$RB_PIDFILE" \
        "$RB_CONF_ENV" >"$RB_ENV.tmp"
    mv -f "$RB_ENV.tmp" "$RB_ENV"
    rb_cli_wrappers "$BIN_DIR" "$RB_ENV" "the private msgbus test broker ($NODENAME)"
}

rbctl() { "$BIN_DIR/rabbitmqctl" "$@" </dev/null 9>&-; }
rbdiag() { "$BIN_DIR/rabbitmq-diagnostics" "$@" </dev/null 9>&-; }

rb_running() { # prints "wrapperpid beampid"
    local w b
    w="$(rec_alive rabbitmq-wrapper)" || w=""
    b="$(rec_alive rabbitmq-beam)" || b=""
    [ -n "$w$b" ] || return 1
    port_listening "$AMQP_PORT" || return 1
    echo "${w:--} ${b:--}"
}

# The beam PID from RABBITMQ_PID_FILE when it is the node this state dir runs (start may have been
# interrupted before the PID was recorded).
rb_beam_from_pidfile() {
    local b
    [ -s "$RB_PIDFILE" ] || return 1
    b="$(tr -dc '0-9' <"$RB_PIDFILE")"
    proc_alive "$b" || return 1
    grep -qxF "RABBITMQ_MNESIA_BASE=$RB_MNESIA" < <(tr '\0' '\n' <"/proc/$b/environ" 2>/dev/null) || return 1
    echo "$b"
}

rb_kill_recorded() {
    local w b pids=()
    w="$(rec_alive rabbitmq-wrapper)" || w=""
    b="$(rec_alive rabbitmq-beam)" || b="$(rb_beam_from_pidfile)" || b=""
    if [ -n "$w" ]; then
        # The wrapper forwards SIGTERM to beam.smp (graceful shutdown) and waits for it.
        kill -TERM "$w" 2>/dev/null || true
        pids+=("$w")
    elif [ -n "$b" ]; then
        kill -TERM "$b" 2>/dev/null || true
    fi
    [ -n "$b" ] && pids+=("$b")
    [ "${#pids[@]}" -gt 0 ] && wait_exit rabbitmq "${pids[@]}"
    rec_forget rabbitmq-wrapper
    rec_forget rabbitmq-beam
    rm -f "$RB_PIDFILE"
}

rb_fail() {
    show_log_tail "$RB_NODE_LOG" 60
    show_log_tail "$RB_STDOUT_LOG" 30
    rb_kill_recorded
    die "$1"
}

# The test user, its password, tags and permissions, through ctl... (a command that runs
# rabbitmqctl against the node).
rb_provision_user() { # ctl...
    local out
    # add_user fails when the user exists (normally it does: it is the default user of a fresh node).
    if ! out="$("$@" -q add_user "$MQ_USER" "$MQ_PASS" 2>&1)"; then
        case "$out" in
        *already*exists*) "$@" -q change_password "$MQ_USER" "$MQ_PASS" >/dev/null ;;
        *)
            echo "$out" >&2
            return 1
            ;;
        esac
    fi
    "$@" -q set_user_tags "$MQ_USER" administrator >/dev/null &&
        "$@" -q set_permissions -p / "$MQ_USER" '.*' '.*' '.*' >/dev/null
}

rb_provision() { rb_provision_user rbctl; }

rabbitmq_start() {
    local pids t0=$SECONDS
    if pids="$(rb_running)"; then
        say "rabbitmq already running (pids $pids, 127.0.0.1:$AMQP_PORT)"
        return 0
    fi
    [ -x "$RABBITMQ_LIB_BIN/rabbitmq-server" ] || die "$RABBITMQ_LIB_BIN/rabbitmq-server not found (run: ./run deps)"
    rb_kill_recorded # a recorded broker that does not listen is wedged
    epmd_ensure
    require_port_free "$AMQP_PORT" "RabbitMQ AMQP"
    require_port_free "$DIST_PORT" "RabbitMQ distribution"
    require_port_free "$MGMT_PORT" "RabbitMQ management API"
    rb_write_config
    rm -f "$RB_PIDFILE"

    say "rabbitmq: starting $NODENAME on 127.0.0.1:$AMQP_PORT"
    (
        # shellcheck source=/dev/null
        . "$RB_ENV"
        cd "$RB_DIR"
        close_extra_fds
        exec setsid "$RABBITMQ_LIB_BIN/rabbitmq-server"
    ) </dev/null >>"$RB_STDOUT_LOG" 2>&1 9>&- &
    local wpid=$! bpid=""
    rec_pid rabbitmq-wrapper "$wpid"

    local deadline=$((SECONDS + RABBITMQ_START_TIMEOUT))
    while :; do
        if [ -z "$bpid" ] && [ -s "$RB_PIDFILE" ]; then
            bpid="$(tr -dc '0-9' <"$RB_PIDFILE")"
            if proc_alive "$bpid"; then rec_pid rabbitmq-beam "$bpid"; else bpid=""; fi
        fi
        if [ -n "$bpid" ] && port_listening "$AMQP_PORT"; then break; fi
        if ! proc_alive "$wpid" && { [ -z "$bpid" ] || ! proc_alive "$bpid"; }; then
            rb_fail "rabbitmq-server exited during start-up"
        fi
        [ "$SECONDS" -lt "$deadline" ] || rb_fail "rabbitmq AMQP port $AMQP_PORT not open within ${RABBITMQ_START_TIMEOUT}s"
        sleep 0.25
    done
    say "rabbitmq: AMQP port open after $((SECONDS - t0))s, checking the CLI"
    until rbdiag -q ping >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || {
            rbdiag -q ping >&2 || true
            rb_fail "rabbitmq-diagnostics ping did not succeed within ${RABBITMQ_START_TIMEOUT}s"
        }
        sleep 0.5
    done
    until port_listening "$MGMT_PORT"; do
        [ "$SECONDS" -lt "$deadline" ] || rb_fail "rabbitmq management port $MGMT_PORT not open within ${RABBITMQ_START_TIMEOUT}s"
        sleep 0.25
    done
    if [ ! -f "$RB_PROVISIONED" ]; then
        say "rabbitmq: creating user $MQ_USER"
        rb_provision || rb_fail "could not create the RabbitMQ user"
        touch "$RB_PROVISIONED"
    fi
    say "rabbitmq: ready in $((SECONDS - t0))s (wrapper pid $wpid, beam pid $bpid)"
}

rabbitmq_stop() {
    local w b
    w="$(rec_alive rabbitmq-wrapper)" || w=""
    b="$(rec_alive rabbitmq-beam)" || b="$(rb_beam_from_pidfile)" || b=""
    if [ -n "$w$b" ]; then
        say "rabbitmq: stopping (wrapper pid ${w:--}, beam pid ${b:--})"
    else
        say "rabbitmq: not running (nothing started by this script)"
    fi
    rb_kill_recorded
}

# ---------------------------------------------------------------- RabbitMQ cluster

cl_node() { echo "msgbus-c$1@localhost"; }
cl_amqp_port() { echo $((CLUSTER_AMQP_PORT + $1 - 1)); }
cl_dist_port() { echo $((CLUSTER_DIST_PORT + $1 - 1)); }
cl_numbers() { seq 1 "$CLUSTER_SIZE"; }

cl_check_number() { # n
    case "${1:-}" in
    '' | *[!0-9]*) ;;
    *) cl_numbers | grep -qxF "$1" && return 0 ;;
    esac
    die "cluster node number expected (1..$CLUSTER_SIZE), got '${1:-}'"
}

# The environment of node n and of every CLI call against it. Written to a per-process temporary
# name first: cluster-ctl rewrites it without the lock while other calls may be reading it.
cl_write_env() { # n
    local n="$1" d="$CL_DIR/n$1" name
    name="$(cl_node "$n")"
    mkdir -p "$d"
    rb_node_env "cluster node $name" "$CL_HOME" "$name" "$(cl_amqp_port "$n")" \
        "$(cl_dist_port "$n")" "$d/mnesia" "$d/log" "$d/rabbitmq.conf" "$d/advanced.config" \
        "$d/enabled_plugins" "$d/beam.pid" "$d/rabbitmq-env.conf" >"$d/env.sh.tmp.$$"
    mv -f "$d/env.sh.tmp.$$" "$d/env.sh"
}

cl_write_config() { # n
    local n="$1" d="$CL_DIR/n$1"
    mkdir -p "$d/mnesia" "$d/log" "$d/bin" "$CL_HOME"
    rb_ensure_cookie "$CL_HOME"
    : >"$d/rabbitmq-env.conf"
    [ -f "$d/enabled_plugins" ] || echo '[].' >"$d/enabled_plugins"
    {
        cat <<EOC
# Generated by $SCRIPT_PATH; rewritten on every start.
# Cluster node $n of $CLUSTER_SIZE. The address/port come from RABBITMQ_NODE_IP_ADDRESS /
# RABBITMQ_NODE_PORT (loopback only). Same test user as the single node; services.sh creates it
# explicitly once the nodes are joined.
EOC
        rb_common_conf
    } >"$d/rabbitmq.conf"
    cl_write_env "$n"
    rb_cli_wrappers "$d/bin" "$d/env.sh" "msgbus test cluster node $(cl_node "$n")"
}

cl_ctl() { # n tool args...
    local n="$1" tool="$2"
    shift 2
    (
        # shellcheck source=/dev/null
        . "$CL_DIR/n$n/env.sh"
        exec "$RABBITMQ_LIB_BIN/$tool" "$@"
    ) </dev/null 9>&-
}

cl_running() { # n -> prints "wrapperpid beampid"
    local w b
    w="$(rec_alive "cluster-n$1-wrapper")" || w=""
    b="$(rec_alive "cluster-n$1-beam")" || b=""
    [ -n "$w$b" ] || return 1
    port_listening "$(cl_amqp_port "$1")" || return 1
    echo "${w:--} ${b:--}"
}

cl_all_running() {
    local n
    for n in $(cl_numbers); do cl_running "$n" >/dev/null || return 1; done
}

# As rb_beam_from_pidfile, for node n.
cl_beam_from_pidfile() { # n
    local f="$CL_DIR/n$1/beam.pid" b
    [ -s "$f" ] || return 1
    b="$(tr -dc '0-9' <"$f")"
    proc_alive "$b" || return 1
    grep -qxF "RABBITMQ_MNESIA_BASE=$CL_DIR/n$1/mnesia" < <(tr '\0' '\n' <"/proc/$b/environ" 2>/dev/null) || return 1
    echo "$b"
}

cl_beam_pid() { # n
    rec_alive "cluster-n$1-beam" || cl_beam_from_pidfile "$1"
}

# Stops the given nodes gracefully, all at once: the wait is the slowest node's, not the sum.
cl_stop_nodes() { # n...
    local n w b pids=()
    for n in "$@"; do
        w="$(rec_alive "cluster-n$n-wrapper")" || w=""
        b="$(cl_beam_pid "$n")" || b=""
        if [ -n "$w" ]; then
            # The wrapper forwards SIGTERM to beam.smp (graceful shutdown) and waits for it.
            kill -TERM "$w" 2>/dev/null || true
            pids+=("$w")
        elif [ -n "$b" ]; then
            kill -TERM "$b" 2>/dev/null || true
        fi
        [ -n "$b" ] && pids+=("$b")
    done
    [ "${#pids[@]}" -gt 0 ] && wait_exit "rabbitmq cluster" "${pids[@]}"
    for n in "$@"; do
        rec_forget "cluster-n$n-wrapper"
        rec_forget "cluster-n$n-beam"
        rm -f "$CL_DIR/n$n/beam.pid"
    done
}

cl_fail() { # n message
    local n="$1"
    show_log_tail "$CL_DIR/n$n/log/$(cl_node "$n").log" 60
    show_log_tail "$CL_DIR/n$n/log/server-stdout.log" 30
    if [ "${#CL_LAUNCHED[@]}" -gt 0 ]; then
        say "cluster: stopping the nodes this start launched (${CL_LAUNCHED[*]})"
        cl_stop_nodes "${CL_LAUNCHED[@]}"
    fi
    die "$2"
}

cl_require_ports_free() { # n
    require_port_free "$(cl_amqp_port "$1")" "RabbitMQ cluster node $1 AMQP"
    require_port_free "$(cl_dist_port "$1")" "RabbitMQ cluster node $1 distribution"
}

cl_launch() { # n
    local n="$1" d="$CL_DIR/n$1"
    cl_write_config "$n"
    rm -f "$d/beam.pid"
    say "cluster: starting $(cl_node "$n") on 127.0.0.1:$(cl_amqp_port "$n")"
    (
        # shellcheck source=/dev/null
        . "$d/env.sh"
        cd "$d"
        close_extra_fds
        exec setsid "$RABBITMQ_LIB_BIN/rabbitmq-server"
    ) </dev/null >>"$d/log/server-stdout.log" 2>&1 9>&- &
    rec_pid "cluster-n$n-wrapper" "$!"
    CL_LAUNCHED+=("$n")
}

# Until node n (launched by cl_launch) has written its PID, opened its AMQP port (it does so only
# after boot, i.e. after it synced with the cluster members that run) and answers the CLI.
cl_wait_boot() { # n deadline
    local n="$1" deadline="$2" d="$CL_DIR/n$1" port w b=""
    port="$(cl_amqp_port "$n")"
    w="$(rec_alive "cluster-n$n-wrapper")" || w=""
    while :; do
        if [ -z "$b" ] && [ -s "$d/beam.pid" ]; then
            b="$(tr -dc '0-9' <"$d/beam.pid")"
            if proc_alive "$b"; then rec_pid "cluster-n$n-beam" "$b"; else b=""; fi
        fi
        if [ -n "$b" ] && port_listening "$port"; then break; fi
        if { [ -z "$w" ] || ! proc_alive "$w"; } && { [ -z "$b" ] || ! proc_alive "$b"; }; then
            cl_fail "$n" "rabbitmq-server of cluster node $n exited during start-up"
        fi
        [ "$SECONDS" -lt "$deadline" ] || cl_fail "$n" "cluster node $n: AMQP port $port not open within ${RABBITMQ_START_TIMEOUT}s"
        sleep 0.25
    done
    until cl_ctl "$n" rabbitmq-diagnostics -q ping >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || {
            cl_ctl "$n" rabbitmq-diagnostics -q ping >&2 || true
            cl_fail "$n" "cluster node $n: rabbitmq-diagnostics ping did not succeed within ${RABBITMQ_START_TIMEOUT}s"
        }
        sleep 0.5
    done
}

# The running nodes node n reports, one a line.
cl_running_nodes() { # n
    local json
    json="$(cl_ctl "$1" rabbitmqctl -q cluster_status --formatter json 2>/dev/null)" || return 1
    case "$json" in *'"running_nodes":['*) ;; *) return 1 ;; esac
    json="${json#*\"running_nodes\":[}"
    json="${json%%]*}"
    printf '%s\n' "$json" | tr -d '" ' | tr ',' '\n' | grep -v '^$'
}

# Until node n reports every node whose beam this script has running (itself included) as running:
# the view a client gets once a restarted node has rejoined.
cl_wait_in_cluster() { # n deadline
    local n="$1" deadline="$2" m want got missing
    while :; do
        want=()
        for m in $(cl_numbers); do cl_beam_pid "$m" >/dev/null && want+=("$(cl_node "$m")"); done
        missing=""
        if got="$(cl_running_nodes "$n")"; then
            for m in "${want[@]}"; do grep -qxF "$m" <<<"$got" || missing="$missing $m"; done
        else
            missing=" (cluster_status failed)"
        fi
        [ -z "$missing" ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || cl_fail "$n" "$(cl_node "$n") does not see${missing} running within ${RABBITMQ_START_TIMEOUT}s"
        sleep 0.5
    done
}

cl_join() { # n: join node n to node 1 (a fresh node: its own data is replaced by the cluster's)
    local n="$1" first out
    first="$(cl_node 1)"
    say "cluster: joining $(cl_node "$n") to $first"
    cl_ctl "$n" rabbitmqctl -q stop_app >/dev/null || return 1
    if ! out="$(cl_ctl "$n" rabbitmqctl -q join_cluster "$first" 2>&1)"; then
        case "$out" in
        *already*member*) ;;
        *)
            echo "$out" >&2
            cl_ctl "$n" rabbitmqctl -q start_app >/dev/null 2>&1 || true
            return 1
            ;;
        esac
    fi
    cl_ctl "$n" rabbitmqctl -q start_app >/dev/null || return 1
    touch "$CL_DIR/n$n/mnesia/.msgbus-joined"
}

# Users are cluster-wide: done once, through node 1.
cl_provision_user() { rb_provision_user cl_ctl 1 rabbitmqctl; }

cl_joined() { [ "$1" -eq 1 ] || [ -f "$CL_DIR/n$1/mnesia/.msgbus-joined" ]; }
cl_user_provisioned() { [ -f "$CL_DIR/n1/mnesia/.msgbus-provisioned" ]; }

cl_provisioned() {
    local n
    cl_user_provisioned || return 1
    for n in $(cl_numbers); do cl_joined "$n" || return 1; done
}

cluster_start() {
    local n t0=$SECONDS todo=() deadline
    if cl_all_running && cl_provisioned; then
        say "rabbitmq cluster already running ($(cl_node 1) on 127.0.0.1:$(cl_amqp_port 1), $CLUSTER_SIZE nodes)"
        return 0
    fi
    [ -x "$RABBITMQ_LIB_BIN/rabbitmq-server" ] || die "$RABBITMQ_LIB_BIN/rabbitmq-server not found (run: ./run deps)"
    for n in $(cl_numbers); do cl_running "$n" >/dev/null || todo+=("$n"); done
    deadline=$((SECONDS + RABBITMQ_START_TIMEOUT))
    if [ "${#todo[@]}" -gt 0 ]; then
        cl_stop_nodes "${todo[@]}" # recorded nodes that do not listen are wedged
        epmd_ensure
        for n in "${todo[@]}"; do cl_require_ports_free "$n"; done
        # In parallel: a clustered node waits at boot for the members it last saw running.
        for n in "${todo[@]}"; do cl_launch "$n"; done
        for n in "${todo[@]}"; do cl_wait_boot "$n" "$deadline"; done
        say "cluster: node(s) ${todo[*]} booted after $((SECONDS - t0))s"
    fi
    if ! cl_provisioned; then
        for n in $(cl_numbers); do
            cl_joined "$n" || cl_join "$n" || cl_fail "$n" "could not join $(cl_node "$n") to $(cl_node 1)"
        done
        say "cluster: creating user $MQ_USER"
        cl_provision_user || cl_fail 1 "could not create the RabbitMQ user on the cluster"
        touch "$CL_DIR/n1/mnesia/.msgbus-provisioned"
    fi
    cl_wait_in_cluster 1 "$deadline"
    say "cluster: ready in $((SECONDS - t0))s ($CLUSTER_SIZE nodes, AMQP 127.0.0.1:$(cl_amqp_port 1)..$(cl_amqp_port "$CLUSTER_SIZE"))"
}

# Stops the cluster nodes this script started; epmd too when the single node does not need it.
cluster_stop() {
    local n running=()
    for n in $(cl_numbers); do
        if rec_alive "cluster-n$n-wrapper" >/dev/null || cl_beam_pid "$n" >/dev/null; then running+=("$n"); fi
    done
    if [ "${#running[@]}" -gt 0 ]; then
        say "cluster: stopping node(s) ${running[*]}"
        cl_stop_nodes "${running[@]}"
    elif [ -d "$CL_DIR" ]; then
        say "cluster: not running (nothing started by this script)"
    fi
}

# The single node, and epmd with it when no cluster node needs it any more.
rabbitmq_stop_alone() {
    rabbitmq_stop
    local n
    for n in $(cl_numbers); do
        if rec_alive "cluster-n$n-wrapper" >/dev/null || cl_beam_pid "$n" >/dev/null; then
            return 0
        fi
    done
    epmd_stop
}

cluster_stop_alone() {
    cluster_stop
    if ! rec_alive rabbitmq-wrapper >/dev/null && ! rec_alive rabbitmq-beam >/dev/null &&
        ! rb_beam_from_pidfile >/dev/null; then
        epmd_stop
    fi
}

# SIGKILL, as a crash: no graceful shutdown, the other members see the node vanish.
cluster_node_kill() { # n
    local n="$1" w b
    w="$(rec_alive "cluster-n$n-wrapper")" || w=""
    b="$(cl_beam_pid "$n")" || die "cluster node $n ($(cl_node "$n")) is not running (no beam.smp started by this script)"
    say "cluster: SIGKILL to $(cl_node "$n") (beam pid $b)"
    kill -KILL "$b"
    # The wrapper exits once its beam.smp is gone.
    wait_exit "cluster node $n" "$b" ${w:+"$w"}
    rec_forget "cluster-n$n-wrapper"
    rec_forget "cluster-n$n-beam"
    rm -f "$CL_DIR/n$n/beam.pid"
}

# Starts a stopped or killed member again; it rejoins by itself. Meant for one node while the
# others run: a member started alone after all stopped waits for its peers (use cluster-start).
cluster_node_start() { # n
    local n="$1" t0=$SECONDS deadline
    cl_provisioned || die "the cluster was never set up here: run cluster-start first"
    deadline=$((SECONDS + RABBITMQ_START_TIMEOUT))
    if cl_running "$n" >/dev/null; then
        say "cluster: $(cl_node "$n") already running"
    else
        local m others=0
        for m in $(cl_numbers); do
            [ "$m" != "$n" ] && cl_running "$m" >/dev/null && others=$((others + 1))
        done
        [ "$others" -gt 0 ] || die "no other cluster node runs, so $(cl_node "$n") would wait for its peers at boot: use cluster-start"
        [ -x "$RABBITMQ_LIB_BIN/rabbitmq-server" ] || die "$RABBITMQ_LIB_BIN/rabbitmq-server not found (run: ./run deps)"
        cl_stop_nodes "$n" # a recorded node that does not listen is wedged
        epmd_ensure
        cl_require_ports_free "$n"
        cl_launch "$n"
        cl_wait_boot "$n" "$deadline"
    fi
    cl_wait_in_cluster "$n" "$deadline"
    say "cluster: $(cl_node "$n") running in the cluster after $((SECONDS - t0))s"
}

cmd_cluster_status() {
    local n rc=0 pids shown=""
    for n in $(cl_numbers); do
        if pids="$(cl_running "$n")"; then
            echo "cluster n$n: running (wrapper pid ${pids% *}, beam pid ${pids#* }) node $(cl_node "$n") on 127.0.0.1:$(cl_amqp_port "$n") (dist $(cl_dist_port "$n"))"
        elif rec_alive "cluster-n$n-wrapper" >/dev/null || cl_beam_pid "$n" >/dev/null; then
            echo "cluster n$n: NOT READY (process alive, port $(cl_amqp_port "$n") not listening)"
            rc=3
        else
            echo "cluster n$n: stopped"
            rc=3
        fi
    done
    for n in $(cl_numbers); do
        cl_running "$n" >/dev/null || continue
        if shown="$(cl_running_nodes "$n")"; then
            echo "cluster:    running nodes seen by $(cl_node "$n"): $(echo "$shown" | paste -sd ' ')"
        else
            echo "cluster:    cluster_status on $(cl_node "$n") failed"
            rc=3
        fi
        break
    done
    return "$rc"
}

# cluster-ctl N [--tool T] ARGS...: runs the CLI against node N with the cluster's environment.
cmd_cluster_ctl() {
    local n="${1:-}" tool=rabbitmqctl
    cl_check_number "$n"
    shift
    if [ "${1:-}" = --tool ]; then
        [ $# -ge 2 ] || die "cluster-ctl: --tool needs a name"
        tool="$2"
        shift 2
    fi
    case "$tool" in
    rabbitmqctl | rabbitmq-diagnostics | rabbitmq-queues | rabbitmq-plugins | rabbitmq-streams | rabbitmq-upgrade) ;;
    *) die "cluster-ctl: unknown tool '$tool'" ;;
    esac
    [ -s "$CL_HOME/.erlang.cookie" ] || die "the cluster was never started here (no $CL_HOME/.erlang.cookie)"
    # Without an epmd on its port the CLI would start one of its own that nothing ever stops.
    port_listening "$EPMD_PORT" || die "no epmd on 127.0.0.1:$EPMD_PORT: the cluster is not running"
    cl_write_env "$n"
    # shellcheck source=/dev/null
    . "$CL_DIR/n$n/env.sh"
    exec "$RABBITMQ_LIB_BIN/$tool" "$@"
}

# ---------------------------------------------------------------- commands

cmd_status() {
    local which="${1:-all}" rc=0 pid pids
    case "$which" in all | mariadb | rabbitmq) ;; *) die "status: unknown service '$which'" ;; esac
    if [ "$which" != rabbitmq ]; then
        if pid="$(my_running)"; then
            echo "mariadb:  running (pid $pid) on 127.0.0.1:$MYSQL_PORT, socket $MY_SOCK"
        elif pid="$(rec_alive mariadbd)"; then
            echo "mariadb:  NOT READY (pid $pid alive, port $MYSQL_PORT not listening)"
            rc=3
        else
            echo "mariadb:  stopped"
            rc=3
        fi
    fi
    if [ "$which" != mariadb ]; then
        if pids="$(rb_running)"; then
            echo "rabbitmq: running (wrapper pid ${pids% *}, beam pid ${pids#* }) node $NODENAME on 127.0.0.1:$AMQP_PORT (dist $DIST_PORT)"
        elif rec_alive rabbitmq-wrapper >/dev/null || rec_alive rabbitmq-beam >/dev/null; then
            echo "rabbitmq: NOT READY (process alive, port $AMQP_PORT not listening)"
            rc=3
        else
            echo "rabbitmq: stopped"
            rc=3
        fi
        if pid="$(rec_alive epmd)"; then
            echo "epmd:     running (pid $pid) on 127.0.0.1:$EPMD_PORT"
        elif port_listening "$EPMD_PORT"; then
            echo "epmd:     port $EPMD_PORT in use by a process this script did not start"
        else
            echo "epmd:     stopped"
        fi
    fi
    # Shown once the cluster was ever started here; it never changes the exit status (only
    # cluster-status does), as `start` does not start it.
    if [ "$which" = all ] && [ -d "$CL_DIR" ]; then
        local n
        for n in $(cl_numbers); do
            if pids="$(cl_running "$n")"; then
                echo "cluster:  n$n running (wrapper pid ${pids% *}, beam pid ${pids#* }) node $(cl_node "$n") on 127.0.0.1:$(cl_amqp_port "$n")"
            elif rec_alive "cluster-n$n-wrapper" >/dev/null || cl_beam_pid "$n" >/dev/null; then
                echo "cluster:  n$n NOT READY (process alive, port $(cl_amqp_port "$n") not listening)"
            else
                echo "cluster:  n$n stopped"
            fi
        done
    fi
    [ "$which" = all ] && echo "state:    $STATE_DIR"
    return "$rc"
}

dq() { # double-quoted shell word
    local s="$1"
    s="${s//\\/\\\\}"
    s="${s//\"/\\\"}"
    s="${s//\$/\\\$}"
    s="${s//\`/\\\`}"
    printf '"%s"' "$s"
}

cmd_env() {
    mkdir -p "$STATE_DIR"
    rb_write_config >/dev/null
    echo "export MSGBUS_TEST_MYSQL=$(dq "host=127.0.0.1;port=$MYSQL_PORT;db=$DB_NAME;user=$DB_USER;password=$DB_PASS;character-set=utf8mb4")"
    echo "export MSGBUS_TEST_AMQP_URL=$(dq "amqp://$MQ_USER:$MQ_PASS@127.0.0.1:$AMQP_PORT/%2f")"
    echo "export MSGBUS_TEST_AMQP_MANAGEMENT_URL=$(dq "http://127.0.0.1:$MGMT_PORT")"
    echo "export MSGBUS_TEST_RABBITMQCTL=$(dq "$BIN_DIR/rabbitmqctl")"
    echo "export MSGBUS_SERVICES_SCRIPT=$(dq "$SCRIPT_PATH")"
    echo "export MSGBUS_SERVICES_DIR=$(dq "$STATE_DIR")"
    if cl_all_running; then
        local n urls="" nodes=""
        for n in $(cl_numbers); do
            urls="$urls${urls:+,}amqp://$MQ_USER:$MQ_PASS@127.0.0.1:$(cl_amqp_port "$n")/%2f"
            nodes="$nodes${nodes:+,}$(cl_node "$n")"
        done
        echo "export MSGBUS_TEST_CLUSTER_URLS=$(dq "$urls")"
        echo "export MSGBUS_TEST_CLUSTER_NODES=$(dq "$nodes")"
        echo "export MSGBUS_TEST_CLUSTER_SCRIPT=$(dq "$SCRIPT_PATH")"
    fi
}

usage() {
    cat >&2 <<EOF
usage: $0 <command>
  start [--cluster] start MariaDB and RabbitMQ (no-op for what already runs); --cluster: the
                   three-node RabbitMQ cluster too
  stop             stop everything this script started (the cluster too)
  status [svc]     show what runs; exit 0 only if all (or svc: mariadb|rabbitmq) is running
                   (the cluster is shown but does not count)
  env              print export lines for the tests (MSGBUS_TEST_CLUSTER_* only while all
                   cluster nodes run)
  mariadb-start | mariadb-stop | rabbitmq-start | rabbitmq-stop
                   start/stop one service, keeping its data (epmd stays up across rabbitmq-stop)
  cluster-start    start the cluster nodes that do not run (in parallel); the first time, join
                   them to $(cl_node 1) and create the test user
  cluster-stop     stop the cluster nodes this script started (and epmd if nothing else uses it)
  cluster-status   show the cluster nodes; exit 0 only if all $CLUSTER_SIZE run
  cluster-node-kill N    SIGKILL node N's beam.smp (a crash)
  cluster-node-start N   start node N again and wait until it runs in the cluster
  cluster-ctl N [--tool rabbitmq-queues|rabbitmq-diagnostics|rabbitmq-plugins|...] ARGS...
                   run rabbitmqctl (or the tool) against node N; cluster-queues N ARGS... is
                   cluster-ctl N --tool rabbitmq-queues ARGS...
                   (remove $CL_DIR while the cluster is stopped to set it up from scratch)
state dir: $STATE_DIR  (MSGBUS_SERVICES_DIR)
ports: mysql $MYSQL_PORT (MSGBUS_TEST_MYSQL_PORT), amqp $AMQP_PORT (MSGBUS_TEST_AMQP_PORT),
       dist $DIST_PORT (MSGBUS_TEST_AMQP_DIST_PORT), epmd $EPMD_PORT (MSGBUS_TEST_EPMD_PORT),
       cluster amqp $(cl_amqp_port 1)..$(cl_amqp_port "$CLUSTER_SIZE") (MSGBUS_TEST_CLUSTER_AMQP_PORT = node 1's),
       cluster dist $(cl_dist_port 1)..$(cl_dist_port "$CLUSTER_SIZE") (MSGBUS_TEST_CLUSTER_DIST_PORT = node 1's)
EOF
}

main() {
    local cmd="${1:-}"
    [ $# -gt 0 ] && shift
    case "$cmd" in
    start)
        local cluster=0
        case "${1:-}" in
        '') ;;
        --cluster) cluster=1 ;;
        *) die "start: unknown option '$1' (only --cluster)" ;;
        esac
        lock_state
        mariadb_start
        rabbitmq_start
        [ "$cluster" = 0 ] || cluster_start
        ;;
    stop)
        lock_state
        rabbitmq_stop
        cluster_stop
        mariadb_stop
        epmd_stop
        ;;
    mariadb-start) lock_state && mariadb_start ;;
    mariadb-stop) lock_state && mariadb_stop ;;
    rabbitmq-start) lock_state && rabbitmq_start ;;
    rabbitmq-stop) lock_state && rabbitmq_stop_alone ;;
    status) cmd_status "$@" ;;
    env) cmd_env ;;
    cluster-start) lock_state && cluster_start ;;
    cluster-stop) lock_state && cluster_stop_alone ;;
    cluster-status) cmd_cluster_status ;;
    cluster-node-kill)
        cl_check_number "${1:-}"
        lock_state
        cluster_node_kill "$1"
        ;;
    cluster-node-start)
        cl_check_number "${1:-}"
        lock_state
        cluster_node_start "$1"
        ;;
    cluster-ctl) cmd_cluster_ctl "$@" ;;
    cluster-queues)
        [ $# -ge 1 ] || die "cluster-queues: node number expected"
        local n="$1"
        shift
        cmd_cluster_ctl "$n" --tool rabbitmq-queues "$@"
        ;;
    -h | --help | help)
        usage
        exit 0
        ;;
    *)
        usage
        exit 2
        ;;
    esac
}

main "$@"
