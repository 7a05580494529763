#!/usr/bin/env bash
# Starts a single-node Kafka broker in KRaft mode (controller + broker in one JVM)
# bound to 127.0.0.1, with its logs and data in a state directory; returns once
# the broker accepts connections. Prints BOOTSTRAP=… and KAFKA_DIR=… lines.
#
#   deploy/kafka/start.sh [--port 9092] [--controller-port N] [--dir DIR] [--timeout 90]
#
# Defaults: port $KAFKA_PORT or 9092; controller port: a free one; dir:
# ${TMPDIR:-/tmp}/newsfeed-kafka-<port> (wiped and formatted anew each start).
# Stop with deploy/kafka/stop.sh --port <port> (or --dir DIR).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=""
DIR=""
TIMEOUT=90
while [[ $# -gt 0 ]]; do
    case $1 in
        --port) PORT=$2; shift 2 ;;
        --controller-port) CONTROLLER_PORT=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "start.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
DIR=${DIR:-${TMPDIR:-/tmp}/newsfeed-kafka-$PORT}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [[ -f $DIR/kafka.pid ]] && kill -0 "$(cat "$DIR/kafka.pid")" 2>/dev/null; then
    echo "start.sh: a broker already runs from $DIR (pid $(cat "$DIR/kafka.pid"))" >&2; exit 1
fi
if port_open "$PORT"; then
    echo "start.sh: port $PORT is already in use" >&2; exit 1
fi
if [[ -z $CONTROLLER_PORT ]]; then
    CONTROLLER_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

LIBS=$("$HERE/fetch.sh" | tail -n 1)
rm -rf "$DIR"
mkdir -p "$DIR/data"
cat >"$DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DIR/data
num.partitions=${KAFKA_NUM_PARTITIONS:-1}
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=${KAFKA_OFFSETS_PARTITIONS:-5}
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
background.threads=2
log.retention.hours=-1
PROPS

JVM_OPTS=(-Xms128m -Xmx${KAFKA_HEAP:-512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20
          -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
          -Dlog4j2.configurationFile="$HERE/log4j2.properties"
          -Dkafka.log.level="${KAFKA_LOG_LEVEL:-WARN}")
started=$(date +%s.%N)
# base64url of 16 random bytes, as Kafka's own ids; never starting with '-', which kafka-storage's
# argument parser would take for an option (1 start in 64 failed that way)
CLUSTER_ID=-
while [[ "$CLUSTER_ID" == -* ]]; do
    CLUSTER_ID=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
done
"$JAVA" "${JVM_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format \
    -t "$CLUSTER_ID" -c "$DIR/server.properties" --ignore-formatted >"$DIR/format.log" 2>&1 \
    || { cat "$DIR/format.log" >&2; exit 1; }
# setsid: the broker outlives this script and is not hit by the caller's Ctrl-C
setsid "$JAVA" "${JVM_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$DIR/server.properties" \
    >"$DIR/broker.log" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$DIR/kafka.pid"
echo "$PORT" >"$DIR/port"

deadline=$(( $(date +%s) + TIMEOUT ))
until port_open "$PORT"; do
    if ! kill -0 "$PID" 2>/dev/null; then
        echo "start.sh: broker exited; last lines of $DIR/broker.log:" >&2
        tail -n 30 "$DIR/broker.log" >&2; exit 1
    fi
    if (( $(date +%s) >= deadline )); then
        echo "start.sh: broker not listening on $PORT after ${TIMEOUT}s; see $DIR/broker.log" >&2
        kill "$PID" 2>/dev/null || true; exit 1
    fi
    sleep 0.2
done
# the socket opens a moment before the broker has registered with the controller
log_deadline=$(( $(date +%s) + 20 ))
until grep -q "Kafka Server started" "$DIR/broker.log"; do
    (( $(date +%s) < log_deadline )) || break
    sleep 0.2
done
echo "start.sh: broker pid $PID ready in $(python3 -c "import time; print(round(time.time() - $started, 1))") s" >&2
echo "BOOTSTRAP=127.0.0.1:$PORT"
echo "KAFKA_DIR=$DIR"
