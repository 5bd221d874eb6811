#!/usr/bin/env bash
# Load report of issue 21 (per-tenant state and per-tenant cost), against the service built in Release:
#   1. memory backend: N distinct tenants (default 1,000,000) read through a `*` key, RSS of the service before/after;
#   2. Dragonfly backend (a local redis-server) with M keys (default 1,000,000) in tenant big: globex's GET p50/p99
#      alone, then while acme (10 keys) loops stats and invalidate (8 loops: each call walks the whole keyspace);
#   3. the same server with 100 tenants: /metrics scrape times, and the server time the background refresh costs.
#
#   bench/load/tenants.sh
#   TENANTS=200000 KEYS=1000000 bench/load/tenants.sh
#   PHASES="2 3" bench/load/tenants.sh    # only the Dragonfly parts
#
# Needs wrk, curl, redis-server and redis-cli. Prints markdown; note the load average it prints beside the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."

TENANTS="${TENANTS:-1000000}"
KEYS="${KEYS:-1000000}"
PORT="${PORT:-18091}"
REDIS_PORT="${REDIS_PORT:-16391}"
DURATION="${DURATION:-10s}"
PHASES="${PHASES:-1 2 3}"
ADMIN="admin-key-0123456789abcdef-load"
BASE="http://127.0.0.1:${PORT}"
AUTH="Authorization: Bearer $ADMIN"

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }
dotnet build -c Release src/Motadata.Cache.Server -nologo -v q >/dev/null
# DLL_UNDER_TEST: another build of the service (say, of the commit before a change), for a before/after comparison.
DLL="${DLL_UNDER_TEST:-src/Motadata.Cache.Server/bin/Release/net10.0/Motadata.Cache.Server.dll}"

server_pid=""
redis_started=""
loop_pids=()
cleanup() {
  for pid in "${loop_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi
  if [ -n "$redis_started" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; redis_started=""; fi
}
trap cleanup EXIT

start_server() {
  dotnet "$DLL" --urls "$BASE" --Logging:LogLevel:Default=Warning \
    --Service:ApiKeys:0:Key="$ADMIN" --Service:ApiKeys:0:Tenants:0='*' \
    --Service:MaxMetricTenants=100 "$@" >/tmp/motadata-tenants-server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do curl -sf "$BASE/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the service did not start:" >&2; cat /tmp/motadata-tenants-server.log >&2; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status"; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. distinct tenants' misses on the memory backend -------------------------------------------------------------
if [[ " $PHASES " == *" 1 "* ]]; then
start_server --Cache:Backend=Memory
cat >/tmp/motadata-tenants.lua <<LUA
local counter = 0
local offset = 0
local threads = {}
function setup(thread) thread:set("offset", #threads); table.insert(threads, thread) end
function init(args) offset = tonumber(wrk.thread:get("offset")) * 100000000 end
request = function()
  counter = counter + 1
  return wrk.format("GET", "/v1/tenants/t" .. (offset + counter) .. "/keys/k", { ["Authorization"] = "Bearer $ADMIN" })
end
LUA
# Warm up the JIT and the heap on a few thousand tenants, then measure.
wrk -t2 -c32 -d3s -s /tmp/motadata-tenants.lua "$BASE" >/dev/null
sleep 1
before=$(rss_mb)
started=$(date +%s)
requests=0
while [ "$requests" -lt "$TENANTS" ]; do
  out=$(wrk -t2 -c32 -d10s -s /tmp/motadata-tenants.lua "$BASE")
  done_now=$(echo "$out" | awk '/requests in/ {print $1}')
  requests=$((requests + done_now))
  echo "  $requests distinct-tenant GETs, RSS $(rss_mb) MB" >&2
done
after=$(rss_mb)
echo
echo "| distinct tenants read (misses) | RSS before | RSS after | seconds | load average |"
echo "| ---: | ---: | ---: | ---: | --- |"
echo "| $requests | $before MB | $after MB | $(( $(date +%s) - started )) | $(cut -d' ' -f1-3 /proc/loadavg) |"
stop_server
fi

# --- 2. globex's GETs while acme walks a keyspace of KEYS keys ----------------------------------------------------------
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --enable-debug-command local \
  --daemonize yes --logfile /tmp/motadata-tenants-redis.log
redis_started=1
sleep 0.5
redis-cli -p "$REDIS_PORT" DEBUG POPULATE "$KEYS" "mc:t:3:big:k" 64 >/dev/null
start_server --Cache:Backend=Dragonfly --Cache:DragonflyUrl="dragonfly://127.0.0.1:$REDIS_PORT"
head -c 512 /dev/urandom >/tmp/motadata-tenants-value.bin
curl -sf -X PUT "$BASE/v1/tenants/globex/keys/item" -H "$AUTH" -H "Content-Type: application/octet-stream" \
  --data-binary @/tmp/motadata-tenants-value.bin >/dev/null
for i in $(seq 1 10); do
  curl -sf -X PUT "$BASE/v1/tenants/acme/keys/a$i" -H "$AUTH" -H "Content-Type: text/plain" --data "v$i" >/dev/null
done
wrk -t2 -c16 -d3s -H "$AUTH" "$BASE/v1/tenants/globex/keys/item" >/dev/null

measure_globex() {
  local out
  out=$(wrk -t2 -c16 -d"$DURATION" --latency -H "$AUTH" "$BASE/v1/tenants/globex/keys/item")
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1 == "50%" {print $2}') $(echo "$out" | awk '$1 == "99%" {print $2}')"
}
loop_pids=()
start_acme_loops() {
  local i
  for i in $(seq 1 8); do
    ( while true; do
        if [ $((i % 2)) -eq 0 ]; then curl -s -o /dev/null -w '%{http_code}\n' -H "$AUTH" "$BASE/v1/tenants/acme/stats"
        else curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "$AUTH" -H "Content-Type: application/json" \
               --data '{"pattern":"nothing-matches-*"}' "$BASE/v1/tenants/acme/invalidate"; fi
      done ) >>/tmp/motadata-tenants-acme.log 2>&1 &
    loop_pids+=($!)
  done
}
stop_acme_loops() {
  local pid children=()
  for pid in "${loop_pids[@]}"; do children+=($(pgrep -P "$pid" || true)); kill "$pid" 2>/dev/null || true; done
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${loop_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  loop_pids=()
}
# Waits until no SCAN has reached the server for 3 s (walks the service was still running end), at most 300 s.
wait_for_quiet() {
  local last now quiet=0
  last=$(scan_calls)
  for _ in $(seq 1 300); do
    sleep 1
    now=$(scan_calls)
    if [ "$now" = "$last" ]; then quiet=$((quiet + 1)); [ "$quiet" -ge 3 ] && return; else quiet=0; fi
    last=$now
  done
}
scan_usec() { redis-cli -p "$REDIS_PORT" INFO commandstats | awk -F'[=,]' '/cmdstat_scan/ {print $4}'; }
scan_calls() { redis-cli -p "$REDIS_PORT" INFO commandstats | awk -F'[=,]' '/cmdstat_scan/ {print $2}'; }

alone=$(measure_globex)
start_acme_loops
sleep 2
: >/tmp/motadata-tenants-acme.log
scan_before=$(scan_usec); scan_before=${scan_before:-0}
with_acme=$(measure_globex)
scan_after=$(scan_usec)
stop_acme_loops
wait_for_quiet
echo
echo "| globex GET (512 B hit), $KEYS keys in another tenant | req/s | p50 | p99 |"
echo "| --- | ---: | ---: | ---: |"
read -r rps p50 p99 <<<"$alone"; echo "| alone | $rps | $p50 | $p99 |"
read -r rps p50 p99 <<<"$with_acme"; echo "| while 8 loops of acme stats/invalidate | $rps | $p50 | $p99 |"
echo "server time in SCAN during the second run: $(( (scan_after - scan_before) / 1000 )) ms of $DURATION; acme calls answered: $(grep -c . /tmp/motadata-tenants-acme.log 2>/dev/null || echo 0); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 3. /metrics with KEYS keys and 100 tenants ------------------------------------------------------------------------
for i in $(seq 1 100); do
  curl -sf -X PUT "$BASE/v1/tenants/m$i/keys/k" -H "$AUTH" -H "Content-Type: text/plain" --data "v$i" >/dev/null
done
echo
echo "| /metrics scrape ($KEYS keys, 100 tenants) | seconds |"
echo "| --- | ---: |"
for n in 1 2 3 4 5; do
  t=$(curl -s -o /dev/null -w '%{time_total}' -H "$AUTH" "$BASE/metrics")
  echo "| scrape $n | $t |"
  sleep 1
done
wait_for_quiet
scan_before=$(scan_usec)
sleep 31
t=$(curl -s -o /dev/null -w '%{time_total}' -H "$AUTH" "$BASE/metrics")
echo "| scrape after 31 s (starts the due refresh) | $t |"
refresh_started=$(date +%s)
wait_for_quiet
scan_after=$(scan_usec)
echo "one background refresh of every tenant's entries: $(( (scan_after - scan_before) / 1000 )) ms of server time in SCAN, done within $(( $(date +%s) - refresh_started - 3 )) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
curl -s -H "$AUTH" "$BASE/metrics" | grep -E 'motadata_cache_server_entries\{.*tenant="m(1|50|100)"' || true
