#!/usr/bin/env bash
# Measures the Aspire AppHost, already built:
#   - time from `dotnet run --project Gateway.AppHost --no-build` to every service answering /health with 200 (the
#     proxy waits for Garnet, RabbitMQ, the audit service and the demo backend, so that is every resource healthy);
#   - once idle, the resident memory of the AppHost, DCP and the dashboard, and of everything the run started.
# Usage: bench/apphost/startup.sh RUNS MARKDOWN JSON   (bench/run's startup scenario runs it and adds the machine).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
RUNS="${1:?runs}"
OUT="${2:?markdown file}"
JSON="${3:?json file}"
IDLE_SECONDS=15

dotnet build Gateway.AppHost --nologo -v q >/dev/null

rss_kb() { awk '/^VmRSS/ {v = $2} END {print v + 0}' "/proc/$1/status" 2>/dev/null || echo 0; }
healthy() { curl -fs -o /dev/null -m 1 "http://localhost:$1/health"; }
sum_rss_mb() { local total=0 pid; for pid in "$@"; do total=$((total + $(rss_kb "$pid"))); done; echo $((total / 1024)); }

# Every process below $1, recursively.
descendants() { local child; for child in $(pgrep -P "$1"); do echo "$child"; descendants "$child"; done; }

declare -a startup platform_rss total_rss
for run in $(seq "$RUNS"); do
  # The AppHost's services keep fixed ports: another running system would answer for this one.
  if healthy 5080 || healthy 5081 || healthy 5082 || ss -ltn | grep -qE ':508[0-2] '; then
    echo "ports 5080-5082 are in use (another ./gateway up?): the AppHost's start-up cannot be measured now" >&2
    exit 1
  fi
  log="$(mktemp)"
  start=$(date +%s.%N)
  dotnet run --project Gateway.AppHost --no-build >"$log" 2>&1 &
  runner=$!
  until healthy 5080 && healthy 5081 && healthy 5082; do
    if ! kill -0 "$runner" 2>/dev/null; then cat "$log"; exit 1; fi
    sleep 0.1
  done
  end=$(date +%s.%N)
  startup+=("$(echo "$end - $start" | bc)")
  sleep "$IDLE_SECONDS"
  # Only this run's processes: its AppHost (the child of its `dotnet run`), the DCP API server that monitors that
  # AppHost (detached, so not its descendant), and DCP's controllers and the dashboard below it.
  host=$(pgrep -P "$runner" -f Gateway.AppHost | head -1)
  apiserver=$(pgrep -f -- "dcp start-apiserver --monitor $host " | head -1)
  platform=("$host" "$apiserver")
  for pid in $(descendants "$apiserver"); do
    case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" in
      *"/dcp run-controllers"* | *Aspire.Dashboard*) platform+=("$pid") ;;
    esac
  done
  # Everything this run started: what runs under its `dotnet run` and under its DCP (not what others started meanwhile).
  started=$( (descendants "$runner"; echo "$apiserver"; descendants "$apiserver") | sort -u)
  platform_rss+=("$(sum_rss_mb "${platform[@]}")")
  total_rss+=("$(sum_rss_mb $started)")
  # SIGTERM to the AppHost itself: a background `dotnet run` ignores SIGINT, and killing the wrapper leaves the AppHost.
  kill -TERM "$host"
  wait "$runner" || true
  while kill -0 "$apiserver" 2>/dev/null; do sleep 0.5; done
  rm -f "$log"
  echo "run $run: healthy after ${startup[-1]} s; AppHost+DCP+dashboard ${platform_rss[-1]} MB RSS; everything ${total_rss[-1]} MB RSS" >&2
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

{
  echo "| run | start → every service healthy (s) | AppHost + DCP + dashboard RSS (MB) | everything the run started, RSS (MB) |"
  echo "| --- | --- | --- | --- |"
  for i in "${!startup[@]}"; do
    echo "| $((i + 1)) | ${startup[$i]} | ${platform_rss[$i]} | ${total_rss[$i]} |"
  done
  echo
  echo "Median start: $(median "${startup[@]}") s (target ≤ 20 s). DCP runs each project under a \`dotnet run --no-build\`"
  echo "wrapper and also starts the dashboard."
} >"$OUT"
jq -n --argjson startup "[$(IFS=,; echo "${startup[*]}")]" --argjson platform "[$(IFS=,; echo "${platform_rss[*]}")]" \
  --argjson total "[$(IFS=,; echo "${total_rss[*]}")]" --arg median "$(median "${startup[@]}")" \
  '{startSeconds: $startup, medianStartSeconds: ($median | tonumber), appHostDcpDashboardRssMb: $platform, everythingRssMb: $total}' >"$JSON"
