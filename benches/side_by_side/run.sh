#!/usr/bin/env bash
# Side-by-side benchmark of wangge against PostGIS and shapely/GEOS on the same inputs (issue 7).
#
#   bash benches/side_by_side/run.sh [--quick]
#
# One run: builds the data (deterministic), fetches the outside coverage (npm us-atlas), installs
# shapely + psycopg into a venv (target/side_by_side/venv), starts a throwaway PostGIS cluster,
# measures the three engines and writes results/side_by_side.json and BENCHMARKS.md. Everything
# it starts is stopped and its temporary folder removed on exit, also on failure.
set -euo pipefail

QUICK=""
[[ "${1:-}" == "--quick" ]] && QUICK="--quick"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
HERE="$ROOT/benches/side_by_side"
PGBIN=/usr/lib/postgresql/15/bin
T0=$(date +%s)
WORK=$(mktemp -d /tmp/wangge-sbs-XXXXXX)
chmod 755 "$WORK"
IN="$WORK/in"
PGDIR="$WORK/pg"
SERVE_PID=""
PG_STARTED=""

cleanup() {
  set +e
  [[ -n "$SERVE_PID" ]] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [[ -n "$PG_STARTED" ]] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "[$(( $(date +%s) - T0 ))s] $*" >&2; }

# The full run writes ~1.5 GB of inputs and PostGIS loads 5M households: check the space first.
FREE_KB=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
NEED_KB=$([[ -n "$QUICK" ]] && echo 1000000 || echo 6000000)
if (( FREE_KB < NEED_KB )); then
  echo "side_by_side: only $((FREE_KB / 1024)) MB free under $WORK; this run needs about $((NEED_KB / 1024)) MB" >&2
  exit 1
fi

# --- tools ---------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v npm >/dev/null || missing+=(npm)
[[ -x "$PGBIN/initdb" && -f /usr/share/postgresql/15/extension/postgis.control ]] || missing+=(postgresql-15-postgis-3)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
VENV="$ROOT/target/side_by_side/venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q 'shapely==2.1.*' 'psycopg[binary]==3.2.*' 'numpy==2.*'
PY="$VENV/bin/python"

# --- the outside coverage: US counties (npm us-atlas, ISC; US Census Bureau cartographic boundaries)
log "fetching us-atlas@3.0.1 with npm"
mkdir -p "$WORK/npm"
(cd "$WORK/npm" && npm pack --silent us-atlas@3.0.1 >/dev/null && tar xzf us-atlas-3.0.1.tgz)
"$PY" "$HERE/peers.py" topojson "$WORK/npm/package/counties-10m.json" "$WORK/counties.geojson"

# --- wangge side ---------------------------------------------------------------------------
log "building"
cargo build --release --quiet --bin wangge
cargo bench --quiet --bench side_by_side --no-run
log "wangge side"
cargo bench --quiet --bench side_by_side -- "$IN" $QUICK --counties "$WORK/counties.geojson"

# --- PostGIS cluster -----------------------------------------------------------------------
log "starting PostGIS"
mkdir -p "$PGDIR" && chown postgres:postgres "$PGDIR"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" --auth=trust -E UTF8 --locale=C --no-sync -U postgres >/dev/null
PG_STARTED=1
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
  -o "-k $PGDIR -p 5432 -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=1GB -c work_mem=256MB -c maintenance_work_mem=1GB -c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=256MB" start >/dev/null
"$PGBIN/psql" -qX -h "$PGDIR" -U postgres -d postgres -c "CREATE DATABASE bench" -c "CREATE DATABASE city"
"$PGBIN/psql" -qX -h "$PGDIR" -U postgres -d bench -c "CREATE EXTENSION postgis"
"$PGBIN/psql" -qX -h "$PGDIR" -U postgres -d city -c "CREATE EXTENSION postgis"
ENC_DIR=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PGDIR")
CITY_URL="postgres://postgres@$ENC_DIR:5432/city"

# --- shapely and PostGIS sides -------------------------------------------------------------
log "shapely side"
"$PY" "$HERE/peers.py" shapely "$IN"
log "PostGIS side"
"$PY" "$HERE/peers.py" postgis "$IN" "$PGDIR" 5432

# --- HTTP: the demo district on the embedded store -------------------------------------------
BIN="$ROOT/target/release/wangge"
# A free port, so two runs (or a running service) do not collide.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
wait_health() {
  for _ in $(seq 1 1200); do
    curl -fs -o /dev/null "$URL/health" && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || { echo "wangge serve exited" >&2; return 1; }
    sleep 0.1
  done
  return 1
}
log "HTTP on the demo district"
"$BIN" serve --bind "127.0.0.1:$PORT" --data-dir "$WORK/serve" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
wait_health
"$PY" "$HERE/peers.py" misses "$URL" "$IN/tunxi.tiles.txt" "$IN/http_misses.json"
cat >"$WORK/lookup.lua" <<EOF
local pts = {}
for line in io.lines("$IN/tunxi.points.csv") do
  local id, x, y = line:match("([^,]+),([^,]+),([^,]+)")
  if id ~= "id" then pts[#pts + 1] = "/api/v1/lookup?lon=" .. x .. "&lat=" .. y end
  if #pts >= 20000 then break end
end
local i = 0
function setup(thread) thread:set("i", math.random(#pts)) end
function request() i = i % #pts + 1; return wrk.format("GET", pts[i]) end
EOF
cat >"$WORK/tiles.lua" <<EOF
local paths = {}
for line in io.lines("$IN/tunxi.tiles.txt") do paths[#paths + 1] = "/tiles/grids/" .. line .. ".mvt" end
local i = 0
function setup(thread) thread:set("i", math.random(#paths)) end
function request() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
EOF
DUR=$([[ -n "$QUICK" ]] && echo 5s || echo 15s)
wrk -t2 -c64 -d"$DUR" --latency -s "$WORK/lookup.lua" "$URL" >"$IN/wrk_lookup.txt"
wrk -t2 -c64 -d"$DUR" --latency -s "$WORK/tiles.lua" "$URL" >"$IN/wrk_tiles.txt"
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""

# --- start-up: the large city loaded into PostGIS, then served from it -----------------------
log "loading the large city into PostGIS"
S=$(date +%s.%N)
"$BIN" load --data "$IN/citydata" --database "$CITY_URL" >"$WORK/load.log" 2>&1 \
  || { tail -5 "$WORK/load.log" >&2; exit 1; }
LOAD_SECS=$(printf "%.3f" "$(echo "$(date +%s.%N) - $S" | bc)")
log "serving the large city from PostGIS"
S=$(date +%s.%N)
"$BIN" serve --bind "127.0.0.1:$PORT" --data-dir "$WORK/serve-pg" --database "$CITY_URL" >"$WORK/serve-pg.log" 2>&1 &
SERVE_PID=$!
wait_health || { tail -5 "$WORK/serve-pg.log" >&2; exit 1; }
READY_SECS=$(printf "%.3f" "$(echo "$(date +%s.%N) - $S" | bc)")
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$SERVE_PID/status")
RSS=$(awk '/VmRSS/ {print $2}' "/proc/$SERVE_PID/status")
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""

log "loading the large city into the embedded GeoPackage store"
S=$(date +%s.%N)
"$BIN" load --data "$IN/citydata" --data-dir "$WORK/serve-gpkg" >"$WORK/load-gpkg.log" 2>&1 \
  || { tail -5 "$WORK/load-gpkg.log" >&2; exit 1; }
GPKG_LOAD_SECS=$(printf "%.3f" "$(echo "$(date +%s.%N) - $S" | bc)")
log "serving the large city from the GeoPackage"
S=$(date +%s.%N)
"$BIN" serve --bind "127.0.0.1:$PORT" --data-dir "$WORK/serve-gpkg" >"$WORK/serve-gpkg.log" 2>&1 &
SERVE_PID=$!
wait_health || { tail -5 "$WORK/serve-gpkg.log" >&2; exit 1; }
GPKG_READY_SECS=$(printf "%.3f" "$(echo "$(date +%s.%N) - $S" | bc)")
GPKG_HWM=$(awk '/VmHWM/ {print $2}' "/proc/$SERVE_PID/status")
GPKG_RSS=$(awk '/VmRSS/ {print $2}' "/proc/$SERVE_PID/status")
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""
cat >"$IN/startup.json" <<EOF
{"bulk_load_seconds": $LOAD_SECS, "serve_ready_seconds": $READY_SECS, "vm_hwm_kib": $HWM, "vm_rss_kib": $RSS,
 "gpkg": {"bulk_load_seconds": $GPKG_LOAD_SECS, "serve_ready_seconds": $GPKG_READY_SECS, "vm_hwm_kib": $GPKG_HWM, "vm_rss_kib": $GPKG_RSS}}
EOF

# --- report --------------------------------------------------------------------------------
TOTAL=$(( $(date +%s) - T0 ))
mkdir -p results
"$PY" "$HERE/report.py" "$IN" results/side_by_side.json BENCHMARKS.md "$TOTAL" "bash benches/side_by_side/run.sh $QUICK"
log "done: results/side_by_side.json, BENCHMARKS.md"
