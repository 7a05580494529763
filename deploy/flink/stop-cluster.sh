#!/usr/bin/env bash
# Stops the local session cluster that deploy/flink/start-cluster.sh started on that REST
# port: Flink's own daemon scripts kill the processes named in its pid files, nothing else.
#   deploy/flink/stop-cluster.sh [--rest-port 8081]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

REST_PORT="${FLINK_REST_PORT:-8081}"
while [ $# -gt 0 ]; do
  case "$1" in
    --rest-port) REST_PORT="$2"; shift 2 ;;
    *) echo "usage: $0 [--rest-port N]" >&2; exit 2 ;;
  esac
done

RUN_DIR="$FLINK_RUN_ROOT/cluster-$REST_PORT"
if [ ! -d "$RUN_DIR/conf" ]; then
  echo "no cluster state in $RUN_DIR; nothing to stop"
  exit 0
fi
export FLINK_CONF_DIR="$RUN_DIR/conf" FLINK_LOG_DIR="$RUN_DIR/log" FLINK_PID_DIR="$RUN_DIR"
"$FLINK_HOME_DIR/bin/taskmanager.sh" stop-all || true
"$FLINK_HOME_DIR/bin/jobmanager.sh" stop-all || true

# wait (bounded) until the pid files' processes are gone
for _ in $(seq 1 30); do
  running=0
  for f in "$RUN_DIR"/flink-*.pid; do
    [ -e "$f" ] || continue
    while read -r pid; do kill -0 "$pid" 2>/dev/null && running=1; done < "$f"
  done
  [ "$running" = 0 ] && break
  sleep 1
done
rm -rf "$RUN_DIR/tmp"  # blobs and spill of finished jobs; logs stay in $RUN_DIR/log
echo "Flink session cluster on port $REST_PORT stopped"
