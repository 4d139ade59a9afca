#!/usr/bin/env bash
# Real services for Broker Playground, without Docker (DESIGN.md §6):
#
#   bash scripts/services.sh start    install what is missing, start what is not running,
#                                     wait until each answers, print a summary
#   bash scripts/services.sh stop     stop RabbitMQ, Redis, Kafka and NATS cleanly
#   bash scripts/services.sh status   show each one
#
# Everything listens on 127.0.0.1 only:
#   RabbitMQ  AMQP 5672, management HTTP API 15672 (guest:guest)
#   Redis     6379
#   Kafka     9092 (broker), 9093 (KRaft controller), single node
#   NATS      4222 (client), 8222 (monitoring HTTP), JetStream on, single node
#
# Needs root (apt-get, /etc/rabbitmq). Both commands are idempotent: a second `start`
# only checks that everything answers. Paths can be moved with environment variables:
#   BP_CACHE_DIR  downloaded Kafka jars, kept across clones (/var/cache/broker-playground)
#   BP_STATE_DIR  data, config, pid files and logs (/var/lib/broker-playground)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${BP_CACHE_DIR:-/var/cache/broker-playground}"
STATE_DIR="${BP_STATE_DIR:-/var/lib/broker-playground}"
LOG_DIR="$STATE_DIR/log"
KAFKA_POM="$HERE/kafka/pom.xml"
KAFKA_DIR="$STATE_DIR/kafka"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_CMD="kafka.Kafka $KAFKA_DIR/server.properties"  # how ps shows our broker
REDIS_DIR="$STATE_DIR/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
NATS_DIR="$STATE_DIR/nats"
NATS_PID="$NATS_DIR/nats.pid"

APT_PACKAGES=(rabbitmq-server redis-server nats-server chromium fonts-liberation fonts-dejavu-core)
START_TIMEOUT="${BP_START_TIMEOUT:-120}"   # seconds, per service

log() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# --- small helpers ------------------------------------------------------------------

port_open() {  # port_open PORT: a TCP connect to 127.0.0.1:PORT succeeds
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...: retry COMMAND until it succeeds
    local timeout=$1 what=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.5
    done
    log "$what ready"
}

# pid_alive PIDFILE PATTERN: the process named in PIDFILE runs and its command line
# contains PATTERN. The check matters: a pid file left by a killed run may name a pid
# that the machine has since given to an unrelated process.
pid_alive() {
    local pid
    [[ -s "$1" ]] || return 1
    pid=$(cat "$1")
    kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

stop_pid() {  # stop_pid NAME PIDFILE PATTERN SECONDS: SIGTERM, wait, then SIGKILL
    local name=$1 pidfile=$2 pattern=$3 timeout=$4 pid
    pid_alive "$pidfile" "$pattern" || { rm -f "$pidfile"; return 0; }
    pid=$(cat "$pidfile")
    log "stopping $name (pid $pid)"
    kill -TERM "$pid"
    local deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            log "$name did not stop in ${timeout}s; killing pid $pid"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.5
    done
    rm -f "$pidfile"
}

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

pkg_version() {
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'
}

# --- installation ---------------------------------------------------------------------

install_packages() {
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0

    log "installing ${missing[*]}"
    local t0=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    # Packages must not start their own copies of the services (we start ours below).
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    local apt=(apt-get install -y -q --no-install-recommends "${missing[@]}")
    local rc=0
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        log "package lists are empty: apt-get update"
        apt-get update -q >/dev/null || rc=$?
    fi
    if ((rc == 0)); then
        "${apt[@]}" >"$CACHE_DIR/apt.log" 2>&1 || rc=$?
        if ((rc != 0)); then
            log "install failed (rc=$rc); apt-get update and one retry"
            rc=0
            apt-get update -q >/dev/null && "${apt[@]}" >"$CACHE_DIR/apt.log" 2>&1 || rc=$?
        fi
    fi
    ((made_policy)) && rm -f "$policy"
    ((rc == 0)) || { tail -20 "$CACHE_DIR/apt.log" >&2; die "apt-get install failed (rc=$rc)"; }
    log "installed in $((SECONDS - t0))s"
}

kafka_version() {
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM"
}

# The jar directory is keyed by the pom's checksum, so editing the pom fetches afresh and
# a fresh clone with the same pom reuses what an earlier run collected.
kafka_libs_dir() {
    echo "$CACHE_DIR/kafka-$(kafka_version)-$(sha256sum "$KAFKA_POM" | cut -c1-12)"
}

fetch_kafka() {
    local libs tmp
    libs=$(kafka_libs_dir)
    [[ -f $libs/.complete ]] && return 0
    command -v mvn >/dev/null || die "mvn not found (needed to fetch Kafka's jars)"
    log "fetching Kafka $(kafka_version) jars into $libs"
    local t0=$SECONDS
    tmp="$libs.tmp.$$"
    rm -rf "$tmp"
    mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$CACHE_DIR/mvn.log" 2>&1 \
        || { tail -30 "$CACHE_DIR/mvn.log" >&2; rm -rf "$tmp"; die "mvn could not fetch Kafka"; }
    touch "$tmp/.complete"
    rm -rf "$libs"
    mv "$tmp" "$libs"
    log "fetched $(find "$libs" -name '*.jar' | wc -l) jars in $((SECONDS - t0))s"
}

# --- RabbitMQ -------------------------------------------------------------------------

# Node name rabbit@localhost and loopback-only listeners, Erlang distribution and epmd
# included. rabbitmq-env.conf is read by the server and by every CLI tool
# (rabbitmqctl, rabbitmq-plugins, rabbitmq-diagnostics), so they agree without flags.
configure_rabbitmq() {
    local env_conf=/etc/rabbitmq/rabbitmq-env.conf conf=/etc/rabbitmq/rabbitmq.conf
    mkdir -p /etc/rabbitmq
    write_if_changed "$env_conf" <<'EOF'
# Written by broker-playground scripts/services.sh
NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=5672
export ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
    write_if_changed "$conf" <<'EOF'
# Written by broker-playground scripts/services.sh
listeners.tcp.default = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
loopback_users.guest = true
EOF
    if ! grep -qs rabbitmq_management /etc/rabbitmq/enabled_plugins; then
        rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
    fi
}

write_if_changed() {  # write_if_changed FILE < content
    local new
    new=$(cat)
    if [[ ! -f $1 ]] || [[ "$(cat "$1")" != "$new" ]]; then
        printf '%s\n' "$new" >"$1"
    fi
}

rabbitmq_running() {
    port_open 5672 && rabbitmq-diagnostics -q check_running >/dev/null 2>&1
}

start_rabbitmq() {
    configure_rabbitmq
    if rabbitmq_running; then
        log "rabbitmq already running"
    else
        log "starting rabbitmq"
        # -detached forks the Erlang VM and returns; close our lock fd in it.
        rabbitmq-server -detached 9>&-
        # await_startup needs the node to exist first; -detached returns before it does.
        wait_for "$START_TIMEOUT" "rabbitmq node" rabbitmq-diagnostics -q ping \
            || die "rabbitmq node did not come up in ${START_TIMEOUT}s; see /var/log/rabbitmq/"
        rabbitmqctl -q await_startup --timeout "$START_TIMEOUT" \
            || die "rabbitmq did not finish booting in ${START_TIMEOUT}s; see /var/log/rabbitmq/"
    fi
    wait_for "$START_TIMEOUT" "rabbitmq amqp :5672" port_open 5672 \
        || die "rabbitmq is not listening on 127.0.0.1:5672"
    if ! port_open 15672; then
        # A node started before the plugin was enabled: turn it on live.
        rabbitmq-plugins -q enable rabbitmq_management >/dev/null || true
    fi
    wait_for "$START_TIMEOUT" "rabbitmq management :15672" port_open 15672 \
        || die "rabbitmq management API is not listening on 127.0.0.1:15672"
}

stop_rabbitmq() {
    if rabbitmq-diagnostics -q check_running >/dev/null 2>&1; then
        log "stopping rabbitmq"
        rabbitmqctl -q shutdown >/dev/null 2>&1 || rabbitmqctl -q stop >/dev/null 2>&1 || true
    fi
}

# --- Redis ----------------------------------------------------------------------------

redis_ping() {
    [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]]
}

start_redis() {
    if redis_ping; then
        log "redis already running"
        return 0
    fi
    port_open 6379 && die "something on 127.0.0.1:6379 is not answering PING"
    mkdir -p "$REDIS_DIR" "$LOG_DIR"
    log "starting redis"
    # No persistence: it only carries the channel layer and test data.
    redis-server --bind 127.0.0.1 --port 6379 --protected-mode yes \
        --daemonize yes --pidfile "$REDIS_PID" --logfile "$LOG_DIR/redis.log" \
        --dir "$REDIS_DIR" --save '' --appendonly no 9>&-
    wait_for "$START_TIMEOUT" "redis :6379" redis_ping \
        || die "redis did not answer PING in ${START_TIMEOUT}s; see $LOG_DIR/redis.log"
}

stop_redis() {
    if redis_ping; then
        log "stopping redis"
        redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
        local deadline=$((SECONDS + 15))
        while port_open 6379 && ((SECONDS < deadline)); do sleep 0.2; done
    fi
    rm -f "$REDIS_PID"
}

# --- Kafka ----------------------------------------------------------------------------

configure_kafka() {
    mkdir -p "$KAFKA_DIR/data" "$LOG_DIR"
    write_if_changed "$KAFKA_DIR/server.properties" <<EOF
# Written by broker-playground scripts/services.sh: single-node KRaft on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:9093
listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=1
# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fast tests: no 3 s wait before the first rebalance of a group.
group.initial.rebalance.delay.ms=0
# The playground creates and deletes its topics explicitly; a typo must not make one.
auto.create.topics.enable=false
delete.topic.enable=true
EOF
}

kafka_java() {  # kafka_java ARGS...: java with Kafka's jars on the class path
    java -cp "$(kafka_libs_dir)/*" -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" "$@"
}

format_kafka() {
    [[ -f $KAFKA_DIR/data/meta.properties ]] && return 0
    local cluster_id
    cluster_id=$(python3 -c 'import base64, uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
    log "formatting kafka storage (cluster $cluster_id)"
    kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" \
        -c "$KAFKA_DIR/server.properties" >>"$LOG_DIR/kafka.log" 2>&1 \
        || { tail -20 "$LOG_DIR/kafka.log" >&2; die "kafka storage format failed"; }
}

kafka_ready() {  # kafka_ready SECONDS: a real metadata request succeeds
    kafka_java -Dbp.log.level=WARN -Dbp.log.target=SYSTEM_ERR \
        "$HERE/kafka/KafkaReady.java" 127.0.0.1:9092 "$1" 2>>"$LOG_DIR/kafka-ready.log"
}

start_kafka() {
    configure_kafka
    if pid_alive "$KAFKA_PID" "$KAFKA_CMD" || port_open 9092; then
        log "kafka already running"
    else
        port_open 9093 && die "something holds 127.0.0.1:9093 (kafka controller port)"
        format_kafka
        log "starting kafka"
        # setsid: its own session, so it outlives this shell and the caller's job control.
        setsid nohup java \
            -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
            -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
            -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
            -cp "$(kafka_libs_dir)/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
            </dev/null >>"$LOG_DIR/kafka.log" 2>&1 9>&- &
        local pid=$!
        echo "$pid" >"$KAFKA_PID"
        # Until it execs java, $pid's command line is this shell's, so test liveness only.
        wait_for "$START_TIMEOUT" "kafka port :9092" kafka_port_or_dead "$pid" \
            || die "kafka did not open 127.0.0.1:9092 in ${START_TIMEOUT}s; see $LOG_DIR/kafka.log"
        kill -0 "$pid" 2>/dev/null || { tail -30 "$LOG_DIR/kafka.log" >&2; die "kafka exited"; }
    fi
    local answer
    answer=$(kafka_ready "$START_TIMEOUT") \
        || die "kafka does not answer metadata requests; see $LOG_DIR/kafka.log"
    log "kafka metadata ready: $answer"
}

kafka_port_or_dead() {  # kafka_port_or_dead PID: the port is open or PID has died
    port_open 9092 || ! kill -0 "$1" 2>/dev/null
}

stop_kafka() {
    # Controlled shutdown on SIGTERM takes a few seconds on one node.
    stop_pid kafka "$KAFKA_PID" "$KAFKA_CMD" 60
    if port_open 9092; then
        log "warning: something still listens on 127.0.0.1:9092 (a kafka this script did not start?)"
    fi
}

# --- NATS -----------------------------------------------------------------------------

# Debian's nats-server 2.9.10 has every JetStream feature the playground models; -sd keeps
# the streams under our state dir. Ready means the monitoring port reports JetStream on.
nats_ready() {
    port_open 4222 && python3 -c '
import json, sys, urllib.request
info = json.load(urllib.request.urlopen("http://127.0.0.1:8222/jsz", timeout=2))
sys.exit(0 if info.get("config") else 1)'
}

start_nats() {
    if pid_alive "$NATS_PID" nats-server || port_open 4222; then
        log "nats already running"
    else
        mkdir -p "$NATS_DIR/jetstream" "$LOG_DIR"
        log "starting nats"
        setsid nohup nats-server -a 127.0.0.1 -p 4222 -m 8222 -js -sd "$NATS_DIR/jetstream" \
            -P "$NATS_PID" -l "$LOG_DIR/nats.log" </dev/null >>"$LOG_DIR/nats.log" 2>&1 9>&- &
    fi
    wait_for "$START_TIMEOUT" "nats :4222 (jetstream)" nats_ready \
        || die "nats did not come up with JetStream in ${START_TIMEOUT}s; see $LOG_DIR/nats.log"
}

stop_nats() {
    stop_pid nats "$NATS_PID" nats-server 30
}

# --- commands -------------------------------------------------------------------------

summary() {
    local up="up" down="DOWN"
    printf '%-9s %-5s %-28s %s\n' service state version listening
    printf '%-9s %-5s %-28s %s\n' rabbitmq "$(rabbitmq_running && echo $up || echo $down)" \
        "$(pkg_version rabbitmq-server)" "127.0.0.1:5672, management 127.0.0.1:15672"
    printf '%-9s %-5s %-28s %s\n' redis "$(redis_ping && echo $up || echo $down)" \
        "$(pkg_version redis-server)" "127.0.0.1:6379"
    printf '%-9s %-5s %-28s %s\n' kafka "$(port_open 9092 && echo $up || echo $down)" \
        "$(kafka_version) (KRaft)" "127.0.0.1:9092, controller 127.0.0.1:9093"
    printf '%-9s %-5s %-28s %s\n' nats "$(port_open 4222 && echo $up || echo $down)" \
        "$(pkg_version nats-server)" "127.0.0.1:4222, monitoring 127.0.0.1:8222"
    printf '%-9s %-5s %-28s %s\n' chromium \
        "$([[ -x /usr/bin/chromium ]] && echo ok || echo $down)" "$(pkg_version chromium)" \
        "/usr/bin/chromium"
    printf 'logs and data: %s; kafka jars: %s\n' "$STATE_DIR" "$(kafka_libs_dir)"
}

cmd_start() {
    local t0=$SECONDS
    install_packages
    fetch_kafka
    start_rabbitmq
    start_redis
    start_kafka
    start_nats
    summary
    log "start took $((SECONDS - t0))s"
}

cmd_stop() {
    stop_nats
    stop_kafka
    stop_redis
    command -v rabbitmqctl >/dev/null && stop_rabbitmq
    log "stopped"
}

cmd_status() {
    if ! command -v rabbitmqctl >/dev/null || ! command -v redis-server >/dev/null; then
        log "not installed yet: run \`bash scripts/services.sh start\`"
    fi
    summary
    rabbitmq_running && redis_ping && port_open 9092 && port_open 4222
}

main() {
    [[ $(id -u) == 0 ]] || die "run as root (it installs packages and writes /etc/rabbitmq)"
    mkdir -p "$CACHE_DIR" "$STATE_DIR" "$LOG_DIR"
    # One run at a time; daemons are started with this fd closed so they don't hold it.
    exec 9>"$STATE_DIR/.lock"
    flock -w 600 9 || die "another services.sh is still running"
    case "${1:-}" in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
    esac
}

main "$@"
