#!/usr/bin/env bash
# Stops a broker started by start.sh and removes its state directory.
#
#   deploy/kafka/stop.sh [--port 9092 | --dir DIR] [--keep]   # --keep: leave DIR
set -euo pipefail
PORT=${KAFKA_PORT:-9092}
DIR=""
KEEP=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --port) PORT=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
        *) echo "stop.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
DIR=${DIR:-${TMPDIR:-/tmp}/newsfeed-kafka-$PORT}
if [[ ! -f $DIR/kafka.pid ]]; then
    echo "stop.sh: no broker state in $DIR" >&2; exit 0
fi
PID=$(cat "$DIR/kafka.pid")
if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"
    for _ in $(seq 1 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$PID" 2>/dev/null; then
        echo "stop.sh: broker $PID did not stop in 15 s; killing it" >&2
        kill -KILL "$PID" 2>/dev/null || true
    fi
fi
rm -f "$DIR/kafka.pid"
if (( ! KEEP )); then rm -rf "$DIR"; fi
echo "stop.sh: stopped broker $PID" >&2
