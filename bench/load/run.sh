#!/usr/bin/env bash
# Load test of the cache service: GET hits of 512-byte values against a bare "hello" endpoint of the same process,
# at 64 connections over loopback, with wrk. Prints one markdown table row per run and the best of each.
#
#   bench/load/run.sh                 # 2 rounds of 10 s runs, port 18090
#   ROUNDS=3 DURATION=10s bench/load/run.sh
#
# Needs wrk (apt-get install -y wrk) and the .NET SDK. Builds the service in Release first.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS="${ROUNDS:-2}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18090}"
VALUE_BYTES="${VALUE_BYTES:-512}"
KEY="load-test-key-0123456789abcdef"
BASE="http://127.0.0.1:${PORT}"

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }

dotnet build -c Release src/Motadata.Cache.Server -nologo -v q >/dev/null
DLL=src/Motadata.Cache.Server/bin/Release/net10.0/Motadata.Cache.Server.dll

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

# $1: "open" (no API keys, loopback only) or "keys" (one API key, checked on every request)
start_server() {
  local args=(--urls "$BASE" --Service:EnableBenchEndpoints=true --Logging:LogLevel:Default=Warning)
  if [ "$1" = "keys" ]; then
    args+=(--Service:ApiKeys:0:Key="$KEY" --Service:ApiKeys:0:Tenants:0=bench)
  fi
  dotnet "$DLL" "${args[@]}" >/tmp/motadata-load-server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  head -c "$VALUE_BYTES" /dev/urandom >/tmp/motadata-load-value.bin
  curl -sf -X PUT "$BASE/v1/tenants/bench/keys/item" -H "Authorization: Bearer $KEY" \
    -H "Content-Type: application/octet-stream" --data-binary @/tmp/motadata-load-value.bin >/dev/null
  # Warm up the JIT (tiered compilation) on both paths before measuring.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "$BASE/bench/hello" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -H "Authorization: Bearer $KEY" "$BASE/v1/tenants/bench/keys/item" >/dev/null
}

# $1 label, $2 url, $3 optional header; prints "label rps p50 p99"
measure() {
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$3" "$2")
  else
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$2")
  fi
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$out" >&2
    echo "unexpected non-2xx answers for $1" >&2
    exit 1
  fi
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  echo "$1 $rps $p50 $p99"
}

results=$(mktemp)
for mode in open keys; do
  start_server "$mode"
  for round in $(seq 1 "$ROUNDS"); do
    # Alternate the two endpoints so background load on the machine hits both alike.
    measure "hello($mode)" "$BASE/bench/hello" | tee -a "$results"
    if [ "$mode" = "keys" ]; then
      measure "get-512B($mode)" "$BASE/v1/tenants/bench/keys/item" "Authorization: Bearer $KEY" | tee -a "$results"
    else
      measure "get-512B($mode)" "$BASE/v1/tenants/bench/keys/item" | tee -a "$results"
    fi
  done
  stop_server
done

echo
echo "| endpoint | best req/s | p50 | p99 | runs (req/s) |"
echo "| --- | ---: | ---: | ---: | --- |"
for label in "hello(open)" "get-512B(open)" "hello(keys)" "get-512B(keys)"; do
  awk -v l="$label" '$1 == l' "$results" | sort -k2 -g -r | awk -v l="$label" '
    NR == 1 { best = $2; p50 = $3; p99 = $4 }
    { runs = runs (runs ? ", " : "") int($2) }
    END { printf "| %s | %d | %s | %s | %s |\n", l, best, p50, p99, runs }'
done
for mode in open keys; do
  hello=$(awk -v l="hello($mode)" '$1 == l {print $2}' "$results" | sort -g -r | head -1)
  get=$(awk -v l="get-512B($mode)" '$1 == l {print $2}' "$results" | sort -g -r | head -1)
  # Per round: the GET run right after its hello run, so both saw about the same background load.
  rounds=$(awk -v h="hello($mode)" -v g="get-512B($mode)" '
    $1 == h { last = $2 }
    $1 == g && last { printf "%s%.2f", sep, $2 / last; sep = ", " }' "$results")
  awk -v h="$hello" -v g="$get" -v m="$mode" -v r="$rounds" 'BEGIN { printf "GET/hello ratio (%s): best vs best %.2f; per round %s\n", m, g / h, r }'
done
rm -f "$results"
