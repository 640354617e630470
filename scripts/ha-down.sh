#!/usr/bin/env bash
# Stops the processes scripts/ha-up.sh started, by the PIDs it recorded (SIGTERM, then SIGKILL).
set -uo pipefail
cd "$(dirname "$0")/.."
HA_DIR=${HA_DIR:-.meshtls/ha}
PIDS="$HA_DIR/pids"
[ -f "$PIDS" ] || { echo "nothing to stop ($PIDS missing)"; exit 0; }
while read -r pid name; do kill "$pid" 2>/dev/null && echo "stopping $name ($pid)"; done < "$PIDS"
sleep 2
while read -r pid name; do kill -9 "$pid" 2>/dev/null && echo "killed $name ($pid)"; done < "$PIDS"
rm -f "$PIDS"
