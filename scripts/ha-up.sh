#!/usr/bin/env bash
# Starts the distributed control plane from local binaries: a 3-node NATS cluster with JetStream, Redis,
# and two replicas of every role, each its own process. The same topology as docker-compose.yml.
#
#   scripts/ha-up.sh            # start (builds first if dist/ is missing)
#   scripts/ha-down.sh          # stop exactly the processes started here (by PID)
#
# Environment: HA_DIR (state, logs, pids; default .meshtls/ha), HA_BASE_PORT (default 15000),
# MESH_ADMIN_TOKEN, MESH_SECRET_KEY, MESH_REDIS_PASSWORD and one NATS password per role
# (MESH_NATS_PASSWORD_<ROLE>) (generated into $HA_DIR/env when absent). NATS runs with
# deploy/nats/auth.conf (one user per role, no anonymous clients), Redis with a password.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin"

HA_DIR=${HA_DIR:-.meshtls/ha}
BASE=${HA_BASE_PORT:-15000}
mkdir -p "$HA_DIR/logs" "$HA_DIR/nats"
PIDS="$HA_DIR/pids"
if [ -s "$PIDS" ]; then echo "already running (see $PIDS); run scripts/ha-down.sh first" >&2; exit 1; fi

for bin in nats-server redis-server node; do
  command -v "$bin" >/dev/null || { echo "missing $bin: apt-get install -y nats-server redis-server" >&2; exit 1; }
done
[ -f dist/apps/mesh-api/src/main.js ] || npm run build --silent

if [ ! -f "$HA_DIR/env" ]; then
  umask 077
  {
    echo "MESH_ADMIN_TOKEN=${MESH_ADMIN_TOKEN:-$(openssl rand -hex 24)}"
    echo "MESH_SECRET_KEY=${MESH_SECRET_KEY:-$(openssl rand -base64 32)}"
    echo "MESH_REDIS_PASSWORD=${MESH_REDIS_PASSWORD:-$(openssl rand -hex 24)}"
    # NATS reads these as config values: a leading letter keeps them strings.
    for var in MESH_NATS_PASSWORD_MESH_API MESH_NATS_PASSWORD_CA_SIGNER \
      MESH_NATS_PASSWORD_ROTATION_SCHEDULER MESH_NATS_PASSWORD_STATS_COLLECTOR; do
      echo "$var=${!var:-p$(openssl rand -hex 24)}"
    done
  } > "$HA_DIR/env"
fi
set -a; . "$HA_DIR/env"; set +a

start() { # name, command...
  local name=$1; shift
  "$@" > "$HA_DIR/logs/$name.log" 2>&1 &
  echo "$! $name" >> "$PIDS"
}

routes="nats://127.0.0.1:$((BASE+11)),nats://127.0.0.1:$((BASE+12)),nats://127.0.0.1:$((BASE+13))"
for i in 1 2 3; do
  start "nats-$i" nats-server -c deploy/nats/nats.conf -a 127.0.0.1 -p $((BASE+i)) -n "nats-$i" -js -sd "$HA_DIR/nats/$i" \
    --cluster_name meshtls --cluster "nats://127.0.0.1:$((BASE+10+i))" --routes "$routes"
done
start redis redis-server --port $((BASE+20)) --bind 127.0.0.1 --save '' --appendonly no --requirepass "$MESH_REDIS_PASSWORD"
export MESH_MODE=distributed
export MESH_NATS_URL="nats://127.0.0.1:$((BASE+1)),nats://127.0.0.1:$((BASE+2)),nats://127.0.0.1:$((BASE+3))"
export MESH_REDIS_URL="redis://127.0.0.1:$((BASE+20))"
export MESH_KV_REPLICAS=3

# Wait for the NATS cluster to elect a JetStream leader before the apps create their bucket.
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$((BASE+1))) 2>/dev/null && break; sleep 0.2
done
sleep 2

port=$((BASE+80))
for role in mesh-api ca-signer rotation-scheduler stats-collector; do
  for r in 1 2; do
    # mesh-api replicas share one data directory: one generated dataplane-server CA for all of them.
    password_var="MESH_NATS_PASSWORD_$(echo "$role" | tr 'a-z-' 'A-Z_')"
    MESH_NATS_USER="$role" MESH_NATS_PASSWORD="${!password_var}" \
    MESH_INSTANCE_ID="$role-$r" MESH_HTTP_PORT=$port MESH_DP_SERVER_PORT=$((BASE+60+r)) \
      MESH_DATA_DIR="$HA_DIR/mesh-api-data" start "$role-$r" node "dist/apps/$role/src/main.js"
    echo "$role-$r: http://127.0.0.1:$port"
    [ "$role" = mesh-api ] && echo "$role-$r dataplane server: https://127.0.0.1:$((BASE+60+r))"
    port=$((port+1))
  done
done

echo "waiting for readiness..."
for p in $(seq $((BASE+80)) $((port-1))); do
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$p/health/ready" >/dev/null 2>&1 && break; sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$p/health/ready" >/dev/null || { echo "port $p not ready; see $HA_DIR/logs" >&2; exit 1; }
done
echo "ready. mesh-api replicas: http://127.0.0.1:$((BASE+80)) http://127.0.0.1:$((BASE+81))"
echo "dataplanes: --cp-address https://127.0.0.1:$((BASE+61)) --cp-address https://127.0.0.1:$((BASE+62)) --ca-cert-file $HA_DIR/mesh-api-data/dp-server/ca.pem"
echo "admin token, at-rest key, Redis and NATS passwords: $HA_DIR/env (mode 0600)"
