#!/usr/bin/env bash
# One more TaskManager for the session cluster deploy/flink/start-cluster.sh started on
# that REST port (same config, logs and pid file), or the TaskManagers' process ids.
#
#   deploy/flink/taskmanager.sh start [--rest-port 8081] [--wait-slots N]
#   deploy/flink/taskmanager.sh pids  [--rest-port 8081]     # live TaskManager pids, one a line
#
# start: launches a TaskManager (Flink's taskmanager.sh start, which appends its pid
# to the cluster's pid file, so stop-cluster.sh stops it too); with --wait-slots N,
# waits until the JobManager reports N slots in total. The fault-tolerance test
# (tests/test_fault_tolerance.py) uses it to replace a TaskManager it killed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

usage() { echo "usage: $0 start|pids [--rest-port N] [--wait-slots N]" >&2; exit 2; }
ACTION="${1:-}"
[ $# -gt 0 ] && shift
REST_PORT="${FLINK_REST_PORT:-8081}"
WAIT_SLOTS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rest-port) REST_PORT="$2"; shift 2 ;;
    --wait-slots) WAIT_SLOTS="$2"; shift 2 ;;
    *) usage ;;
  esac
done
RUN_DIR="$FLINK_RUN_ROOT/cluster-$REST_PORT"
if [ ! -d "$RUN_DIR/conf" ]; then
  echo "no cluster in $RUN_DIR: start one with $HERE/start-cluster.sh --rest-port $REST_PORT" >&2
  exit 1
fi
export FLINK_CONF_DIR="$RUN_DIR/conf" FLINK_LOG_DIR="$RUN_DIR/log" FLINK_PID_DIR="$RUN_DIR"

case "$ACTION" in
  pids)
    for f in "$RUN_DIR"/flink-*-taskexecutor.pid; do
      [ -e "$f" ] || continue
      while read -r pid; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
      done < "$f"
    done
    exit 0 ;;
  start) ;;
  *) usage ;;
esac

started=$(date +%s)
"$FLINK_HOME_DIR/bin/taskmanager.sh" start >> "$RUN_DIR/taskmanager.out" 2>&1
if [ -n "$WAIT_SLOTS" ]; then
  deadline=$((started + ${FLINK_START_TIMEOUT:-120}))
  while :; do
    overview="$(curl -s --max-time 2 "http://127.0.0.1:$REST_PORT/overview" || true)"
    case "$overview" in *"\"slots-total\":$WAIT_SLOTS,"*) break ;; esac
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "the cluster did not reach $WAIT_SLOTS slots within ${FLINK_START_TIMEOUT:-120} s; logs in $FLINK_LOG_DIR" >&2
      exit 1
    fi
    sleep 0.5
  done
fi
echo "TaskManager started in $(( $(date +%s) - started )) s (cluster on port $REST_PORT)"
