# Shared helpers of the bench/ scripts (sourced, not run). Each script runs from anywhere; it
# works in the repository root, installs what is missing (.ci/deps), builds the release binary,
# and cleans up every server, database and temp file it made, also when interrupted.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release/handover
PASSWORD=handover-demo

WORK=$(mktemp -d /tmp/handover-bench.XXXXXX)
SERVER_PID=""
PG_DIR=""
PG_URL=""

cleanup() {
  stop_server
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Installs the tools (wrk, PostgreSQL, ...) if missing and builds the release binary.
prepare() {
  .ci/deps
  command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
  echo "building the release binary (cargo build --release) ..." >&2
  cargo build --release --quiet
  # A private copy: another worktree sharing CARGO_TARGET_DIR may rebuild release/handover.
  cp "$BIN" "$WORK/handover"
  BIN=$WORK/handover
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

now_ns() { date +%s%N; }

# start_server DATABASE_URL [PORT] — `handover serve --demo` on PORT (default: a free one); sets
# SERVER_PID and BASE and returns once /healthz answers 200 (the log is $WORK/server.log).
start_server() {
  local url=$1 port=${2:-}
  [ -n "$port" ] || port=$(free_port)
  BASE="http://127.0.0.1:$port"
  "$BIN" --database-url "$url" serve --demo --bind 127.0.0.1 --port "$port" \
    >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_healthy 300
}

# wait_healthy SECONDS — polls $BASE/healthz every 10 ms until it answers 200.
wait_healthy() {
  local deadline=$(( $(date +%s) + $1 ))
  until curl -fs -o /dev/null --max-time 1 "$BASE/healthz"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "the server exited; its log:" >&2; cat "$WORK/server.log" >&2; exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "the server did not answer /healthz in time" >&2; exit 1
    fi
    sleep 0.01
  done
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# A private throwaway PostgreSQL (.ci/pg); sets PG_URL (the server URL, no database).
pg_start() {
  PG_URL=$(.ci/pg start 2>"$WORK/pgdir")
  PG_DIR=$(cat "$WORK/pgdir")
}

pg_stop() {
  if [ -n "$PG_DIR" ]; then
    .ci/pg stop "$PG_DIR"
    PG_DIR=""
  fi
}

# json_get FIELD_EXPR — reads JSON on stdin and prints a Python expression over it (`j`).
json_get() {
  python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

# token USERNAME — a bearer token from POST /api/v1/auth/token.
token() {
  curl -fsS -X POST "$BASE/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" | json_get 'j["token"]'
}

# project_id TOKEN — the id of the first (demo) project the account sees.
project_id() {
  curl -fsS "$BASE/api/v1/projects" -H "Authorization: Bearer $1" | json_get 'j[0]["id"]'
}

# session_cookie USERNAME — logs in through the login page (GET /login for the _csrf field and
# the hcsrf cookie, POST the form) and prints the value of the hsid session cookie.
session_cookie() {
  local jar=$WORK/cookies.$1 csrf
  rm -f "$jar"
  csrf=$(curl -fsS -c "$jar" "$BASE/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
  [ -n "$csrf" ] || { echo "no _csrf on /login" >&2; exit 1; }
  curl -sS -o /dev/null -b "$jar" -c "$jar" -X POST "$BASE/login" \
    --data-urlencode "_csrf=$csrf" --data-urlencode "username=$1" \
    --data-urlencode "password=$PASSWORD" --data-urlencode "next="
  awk '$6 == "hsid" { print $7 }' "$jar"
}

# median of numbers on stdin
median() {
  sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# warn_if_busy — the figures are CPU-bound on a small machine: say so when something else is
# using the CPUs.
warn_if_busy() {
  local busy
  busy=$(
  { head -n 1 /proc/stat; sleep 1; head -n 1 /proc/stat; } |
    awk '{ idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i }
         NR == 1 { i0 = idle; t0 = total } NR == 2 { printf "%d", 100 * (1 - (idle - i0) / (total - t0)) }'
)
  if [ "$busy" -gt 20 ]; then
    echo "warning: the CPUs are ${busy}% busy before the run; the figures will be low. Busiest:" >&2
    ps -eo pcpu=,args= --sort=-pcpu | head -n 3 | cut -c1-100 >&2
  fi
}

# run_wrk BACKEND ENDPOINT URL HEADER EXPECT TARGET_MS — checks one request answers 200 with
# EXPECT in its body, warms up 2 s, then measures with wrk (THREADS, CONNECTIONS, DURATION) and
# adds a row to ROWS (FAILED=1 when p99 ≥ TARGET_MS or a request failed).
ROWS=()
FAILED=0
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10s}
run_wrk() {
  local backend=$1 endpoint=$2 url=$3 header=$4 expect=$5 target=$6 code out rps p50 p99 errors verdict
  code=$(curl -s -o "$WORK/sample" -w '%{http_code}' -H "$header" "$url")
  if [ "$code" != 200 ] || ! grep -qF "$expect" "$WORK/sample"; then
    echo "$endpoint on $backend answered $code without $expect:" >&2; head -c 400 "$WORK/sample" >&2; exit 1
  fi
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -H "$header" "$url" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$header" "$url")
  echo "$out" >"$WORK/wrk.$backend.${endpoint//[^a-z]/_}"
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  # wrk prints latencies as 812.00us, 3.45ms or 1.02s: in ms.
  to_ms='{ v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'
  p50=$(awk '$1 == "50%"' <<<"$out" | awk "$to_ms")
  p99=$(awk '$1 == "99%"' <<<"$out" | awk "$to_ms")
  errors=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { n += 1 } END { print n + 0 }' <<<"$out")
  if [ "$errors" -eq 0 ] && awk -v p="$p99" -v t="$target" 'BEGIN { exit !(p < t) }'; then
    verdict=PASS
  else
    verdict=FAIL; FAILED=1
  fi
  [ "$errors" -eq 0 ] || verdict="$verdict (errors: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ' '))"
  ROWS+=("$(printf '%-10s  %-44s  %10s  %9s  %9s  < %3s ms  %s' "$backend" "$endpoint" "$rps" "${p50}ms" "${p99}ms" "$target" "$verdict")")
  echo "  $backend $endpoint: $rps req/s, p50 ${p50}ms, p99 ${p99}ms" >&2
}

# print_header — the header line of the ROWS table.
print_header() {
  printf '%-10s  %-44s  %10s  %9s  %9s  %-8s  %s\n' backend endpoint "requests/s" p50 p99 target result
}

# bench_tool NAME — builds the bench binary benches/NAME (release profile) once and prints its
# path.
bench_tool() {
  cargo bench --bench "$1" --no-run --message-format=json >"$WORK/$1-build.json" 2>"$WORK/$1-build.log" ||
    { cat "$WORK/$1-build.log" >&2; exit 1; }
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("reason") == "compiler-artifact" and j["target"]["name"] == sys.argv[2] and j.get("executable"):
        print(j["executable"])' "$WORK/$1-build.json" "$1" | tail -n 1
}

# photo_tool — prints the path of the photo_ingest bench binary, which draws photo-like JPEGs:
# `"$(photo_tool)" make OUT.jpg WIDTH HEIGHT`.
photo_tool() {
  bench_tool photo_ingest
}

# load_handover_day DATABASE_URL — a fresh database holding a UNITS-unit project (3,000) whose
# batch is ready for its handover day: two buyers per unit, appointments, conditions met.
load_handover_day() {
  local t0
  t0=$(now_ns)
  "$BIN" --database-url "$1" --data-dir "$WORK/data" demo --units "${UNITS:-3000}" --handover-day >&2
  echo "   loaded in $(( ($(now_ns) - t0) / 1000000 )) ms" >&2
}

# make_photo DEST — a 12 MP phone-like photo (4000×3000 JPEG q90 4:2:0, Exif orientation 6 + GPS),
# drawn by the photo_ingest bench binary and tagged with exiftool.
make_photo() {
  local dest=$1 bin
  command -v exiftool >/dev/null || {
    local sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends libimage-exiftool-perl >/dev/null
  }
  bin=$(photo_tool)
  "$bin" make "$dest" 4000 3000 >&2
  exiftool -q -overwrite_original -n -Orientation#=6 -GPSLatitude=31.2304 -GPSLatitudeRef=N \
    -GPSLongitude=121.4737 -GPSLongitudeRef=E "$dest"
}
