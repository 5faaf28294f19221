#!/usr/bin/env bash
# End-to-end audit ingest on the Release build, in one line:
#   bench/audit/ingest.sh sqlite|postgres [events] [rate] [events-per-message]
# Starts RabbitMQ and the audit database with the AppHost (free ports, a fresh run folder), runs the audit service's
# Release DLL itself (so its PID, hence its CPU, is known), runs Gateway.Bench.Audit ingest against both, and stops
# everything. Defaults: 300,000 events after a 100,000-event warm-up, offered at 20,000 events/s, 200 per message (the proxy default).
set -euo pipefail
engine=${1:?usage: bench/audit/ingest.sh sqlite|postgres [events] [rate] [events-per-message]}
events=${2:-300000}
rate=${3:-20000}
batch=${4:-200}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

dotnet build -c Release Gateway.AppHost --nologo -v q > /dev/null
dotnet build -c Release bench/audit --nologo -v q > /dev/null

log=$(mktemp)
setsid dotnet Gateway.AppHost/bin/Release/net10.0/Gateway.AppHost.dll --AppHost:RandomPorts=true --AppHost:DashboardPort=-1 \
  --AppHost:AuditDb="$engine" --AppHost:StartOnly:0=messaging --AppHost:StartOnly:1=auditdb > "$log" 2>&1 &
apphost=$!
service=
cleanup() {
  [ -n "$service" ] && kill -TERM "$service" 2> /dev/null && wait "$service" 2> /dev/null || true
  kill -TERM "$apphost" 2> /dev/null && wait "$apphost" 2> /dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

for _ in $(seq 120); do grep -q "Endpoints and connection strings:" "$log" && break; sleep 1; done
endpoints=$(sed -n 's/^Endpoints and connection strings: //p' "$log")
[ -n "$endpoints" ] || { cat "$log"; exit 1; }
read -r amqp auditdb < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['resources']; print(r['messaging']['connectionString'], r['auditdb']['connectionString'])" "$endpoints")
run=$(dirname "$endpoints")
broker=$(pgrep -f "beam.smp.*$(basename "$run")" -n)
db_args=()
if [ "$engine" = postgres ]; then
  # The postmaster; its backends do the inserts, and the bench adds their CPU to its own.
  db_args=(--db-pid "$(pgrep -f "^/usr/lib/postgresql/15/bin/postgres -D $run" -o)")
fi

port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
ConnectionStrings__messaging="$amqp" ConnectionStrings__auditdb="$auditdb" ASPNETCORE_URLS="http://127.0.0.1:$port" \
  Logging__LogLevel__Default=Warning dotnet Gateway.AuditService/bin/Release/net10.0/Gateway.AuditService.dll > "$run/audit-bench-service.log" 2>&1 &
service=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/alive" > /dev/null && break; sleep 1; done

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(uptime | sed 's/.*load/load/'); $(nproc) cores; engine: $engine"
dotnet bench/audit/bin/Release/net10.0/Gateway.Bench.Audit.dll ingest --messaging "$amqp" --auditdb "$auditdb" \
  --events "$events" --rate "$rate" --batch "$batch" --service-pid "$service" --broker-pid "$broker" "${db_args[@]}"
echo "after: $(uptime | sed 's/.*load/load/')"
