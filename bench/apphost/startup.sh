#!/usr/bin/env bash
# Measures, for the AppHost already built:
#   - time from `dotnet run --project Gateway.AppHost --no-build` to every resource healthy (the "Press Ctrl+C" line);
#   - the AppHost process's own resident memory once idle, and the total of every resource.
# Usage: bench/apphost/startup.sh [runs=3]   Writes bench/results/apphost-startup.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
RUNS="${1:-3}"
IDLE_SECONDS=15
OUT="$ROOT/bench/results/apphost-startup.md"

dotnet build Gateway.AppHost --nologo -v q >/dev/null

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

descendants() {
  local pid="$1" child
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

declare -a startup apphost_rss total_rss
for run in $(seq "$RUNS"); do
  dir="$(mktemp -d)"
  log="$dir/apphost.log"
  start=$(date +%s.%N)
  # Free ports: the stable ones may be held by another AppHost on a shared machine.
  setsid dotnet run --project Gateway.AppHost --no-build -- \
    --AppHost:RandomPorts=true --AppHost:RunDirectory="$dir/run" >"$log" 2>&1 &
  runner=$!
  until grep -q "Press Ctrl+C" "$log"; do
    if ! kill -0 "$runner" 2>/dev/null; then cat "$log"; exit 1; fi
    sleep 0.05
  done
  end=$(date +%s.%N)
  startup+=("$(echo "$end - $start" | bc)")
  sleep "$IDLE_SECONDS"
  # dotnet run starts the AppHost's own executable as its child.
  host=$(pgrep -P "$runner" -f "Gateway\.AppHost")
  apphost_rss+=("$(( $(rss_kb "$host") / 1024 ))")
  total=0
  for pid in $runner $(descendants "$runner"); do total=$((total + $(rss_kb "$pid"))); done
  total_rss+=("$((total / 1024))")
  # SIGTERM, not SIGINT: a background job of a script inherits SIGINT as ignored.
  kill -TERM "$host"
  wait "$runner" || true
  rm -rf "$dir"
  echo "run $run: healthy after ${startup[-1]} s, AppHost RSS ${apphost_rss[-1]} MB, everything ${total_rss[-1]} MB" >&2
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

{
  echo "# AppHost start-up and idle memory"
  echo
  echo "Recorded by \`bench/apphost/startup.sh $RUNS\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), .NET SDK $(dotnet --version)"
  echo "- Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared with other builds and test runs)"
  echo "- Command: \`dotnet run --project Gateway.AppHost --no-build -- --AppHost:RandomPorts=true\` (already built), timed until the AppHost prints the table of healthy resources"
  echo "- Memory: VmRSS after $IDLE_SECONDS s idle; \"everything\" sums \`dotnet run\`, the AppHost and every resource process"
  echo
  echo "| run | to all healthy (s) | AppHost RSS (MB) | everything RSS (MB) |"
  echo "| --- | --- | --- | --- |"
  for i in "${!startup[@]}"; do
    echo "| $((i + 1)) | ${startup[$i]:0:5} | ${apphost_rss[$i]} | ${total_rss[$i]} |"
  done
  echo
  echo "Median: $(median "${startup[@]}" | cut -c1-5) s to all healthy (target < 20 s); AppHost idle RSS $(median "${apphost_rss[@]}") MB (target < 150 MB)."
} >"$OUT"
cat "$OUT"
