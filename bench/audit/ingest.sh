#!/usr/bin/env bash
# End-to-end audit ingest on the Release build, in one line:
#   bench/audit/ingest.sh sqlite|postgres [events] [rate] [events-per-message] [more Gateway.Bench.Audit ingest options]
# Starts RabbitMQ and the audit database from the AppHost's model (free ports, a temporary run folder), runs the audit service's
# Release DLL itself (so its PID, hence its CPU, is known), runs Gateway.Bench.Audit ingest against both, and stops
# everything. Defaults: 300,000 events after a 100,000-event warm-up, offered at 20,000 events/s, 200 per message (the proxy default).
set -euo pipefail
engine=${1:?usage: bench/audit/ingest.sh sqlite|postgres [events] [rate] [events-per-message] [ingest options, e.g. --warmup N --json FILE]}
events=${2:-300000}
rate=${3:-20000}
batch=${4:-200}
shift $(($# < 4 ? $# : 4))
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

dotnet build -c Release bench/audit --nologo -v q > /dev/null
dotnet build -c Release Gateway.AuditService --nologo -v q > /dev/null

# RabbitMQ and the database from the AppHost's model (Aspire's test builder), held until its stdin closes.
infra_log=$(mktemp)
exec 3> >(dotnet bench/audit/bin/Release/net10.0/Gateway.Bench.Audit.dll infrastructure --engine "$engine" > "$infra_log" 2>&1)
service=
cleanup() {
  [ -n "$service" ] && kill -TERM "$service" 2> /dev/null && wait "$service" 2> /dev/null || true
  exec 3>&-
  sleep 20
  rm -f "$infra_log"
}
trap cleanup EXIT

for _ in $(seq 300); do grep -q "^ready" "$infra_log" && break; sleep 1; done
grep -q "^ready" "$infra_log" || { cat "$infra_log"; exit 1; }
value() { sed -n "s/^$1=//p" "$infra_log"; }
amqp=$(value messaging)
auditdb=$(value auditdb)
broker=$(value broker-pid)
run=$(mktemp -d)
db_args=()
if [ "$engine" = postgres ]; then
  # The postmaster; its backends do the inserts, and the bench adds their CPU to its own.
  db_args=(--db-pid "$(value db-pid)")
fi

port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
ConnectionStrings__messaging="$amqp" ConnectionStrings__auditdb="$auditdb" ASPNETCORE_URLS="http://127.0.0.1:$port" \
  Logging__LogLevel__Default=Warning dotnet Gateway.AuditService/bin/Release/net10.0/Gateway.AuditService.dll > "$run/audit-bench-service.log" 2>&1 &
service=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/alive" > /dev/null && break; sleep 1; done

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(uptime | sed 's/.*load/load/'); $(nproc) cores; engine: $engine"
dotnet bench/audit/bin/Release/net10.0/Gateway.Bench.Audit.dll ingest --messaging "$amqp" --auditdb "$auditdb" \
  --events "$events" --rate "$rate" --batch "$batch" --service-pid "$service" --broker-pid "$broker" "${db_args[@]}" "$@"
echo "after: $(uptime | sed 's/.*load/load/')"
