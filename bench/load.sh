#!/usr/bin/env bash
# Load test: wrk against the API served by uvicorn on a real PostgreSQL database, next to a bare FastAPI endpoint
# served the same way (the ceiling of this machine and server), while a list refresh runs in the background.
#
#   bench/load.sh                          # 15 s per scenario
#   DURATION=30s CONNECTIONS=64 bench/load.sh
#
# Settings (environment): ADMIN_URL (PostgreSQL to create the scratch database on; default
# postgresql+psycopg://postgres@127.0.0.1:5432/postgres), DURATION (15s), THREADS (2), CONNECTIONS (16),
# CANDIDATES (1000), SANCTRACK_SAMPLE_DATA (../shared/data). Loopback only. Creates and drops the database
# sanctrack_load (KEEP_DB=1 keeps it). Exit code 1 if any request failed or answered non-2xx.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
ADMIN_URL="${ADMIN_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
DB_NAME="sanctrack_load"
DURATION="${DURATION:-15s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-16}"
CANDIDATES="${CANDIDATES:-1000}"
SAMPLE="${SANCTRACK_SAMPLE_DATA:-$ROOT/../shared/data}"
WORK="$(mktemp -d -t sanctrack-load-XXXXXX)"
PIDS=()

say() { printf '\n== %s\n' "$*" >&2; }

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${KEEP_DB:-0}" != 1 ]]; then
    "$PY" - "$ADMIN_URL" "$DB_NAME" <<'EOF' >/dev/null 2>&1 || true
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    conn.execute(text(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)'))
EOF
  fi
}
trap cleanup EXIT

# ---- wrk ---------------------------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  say "wrk is missing: installing the Debian package"
  SUDO=""; [[ "$(id -u)" != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
fi

# ---- database: scratch, migrated, seeded ---------------------------------------------------------------------------
say "creating $DB_NAME and seeding $CANDIDATES candidates"
DB_URL="$("$PY" - "$ADMIN_URL" "$DB_NAME" <<'EOF'
import sys
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    conn.execute(text(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)'))
    conn.execute(text(f'CREATE DATABASE "{sys.argv[2]}"'))
print(make_url(sys.argv[1]).set(database=sys.argv[2]).render_as_string(hide_password=False))
EOF
)"
export SANCTRACK_DATABASE_URL="$DB_URL"
export SANCTRACK_RATE_LIMIT_PER_MINUTE=0  # the point is the API's own cost, not the limiter refusing wrk
export SANCTRACK_LOG_JSON=true
export SANCTRACK_DATA_DIR="$WORK/data"
export SANCTRACK_SAMPLE_DATA="$SAMPLE"
(cd "$ROOT" && "$PY" -m app db upgrade >/dev/null)
KEY="$(cd "$ROOT" && "$PY" - "$CANDIDATES" <<'EOF'
import random, sys
from app.auth.service import create_key
from app.context import CLI
from app.db import session_scope
from app.targets import schemas, service

count = int(sys.argv[1])
rng = random.Random(7)
given = ["Faleh", "Ali", "Hadi", "Qais", "Abu Mahdi", "Rayan", "Hamid", "Kadhim", "Laith", "Akram", "Shibl"]
family = ["al-Fayyad", "Taqi", "al-Amiri", "al-Khazali", "al-Muhandis", "al-Kildani", "al-Jazairi", "al-Kaabi"]
with session_scope() as session:
    _, raw = create_key(session, name="load-test", scope="admin")
    for number in range(count):
        name = f"{rng.choice(given)} {rng.choice(family)} {number}"
        service.create_target(session, schemas.TargetCreate(
            kind="person", name=name, aliases=[name.replace("al-", "el-")], nationalities=["IQ"],
            birth_dates=[str(rng.randint(1950, 1990))], tags=["load"], rationale="Seeded for the load test."),
            CLI)
print(raw)
EOF
)"

# ---- servers: the API, and the bare ceiling, both one uvicorn worker on loopback ---------------------------------
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "server at $1 did not come up; logs in $WORK" >&2; exit 1
}

cat >"$WORK/bare_app.py" <<'EOF'
"""The ceiling: one constant JSON answer, no middleware, no database."""
from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, str]:
    return {"status": "ok"}
EOF

API_PORT="$(free_port)"; BARE_PORT="$(free_port)"
(cd "$ROOT" && exec "$PY" -m uvicorn app.main:create_app --factory --host 127.0.0.1 --port "$API_PORT" \
  --log-level warning --no-access-log >"$WORK/api.log" 2>&1) &
PIDS+=($!)
(cd "$WORK" && exec "$PY" -m uvicorn bare_app:app --host 127.0.0.1 --port "$BARE_PORT" \
  --log-level warning --no-access-log >"$WORK/bare.log" 2>&1) &
PIDS+=($!)
wait_for "http://127.0.0.1:$API_PORT/healthz"
wait_for "http://127.0.0.1:$BARE_PORT/bare"

# ---- wrk scripts: the request of each scenario, and one parseable result line ------------------------------------
cat >"$WORK/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
EOF
{
  printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$KEY"
  cat "$WORK/report.lua"
} >"$WORK/auth.lua"
{
  printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$KEY"
  printf 'local ids = %d\n' "$CANDIDATES"
  cat <<'EOF'
math.randomseed(11)
request = function()
  return wrk.format("GET", "/v1/targets/" .. math.random(1, ids))
end
EOF
  cat "$WORK/report.lua"
} >"$WORK/by_id.lua"
{
  printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$KEY"
  cat <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"queries": {"q1": {"kind": "person", "name": "Faleh al-Fayyad"}}}'
EOF
  cat "$WORK/report.lua"
} >"$WORK/match.lua"

RESULTS="$WORK/results.txt"; : >"$RESULTS"
run() {  # name, lua script, url
  say "$1 ($DURATION, $THREADS threads, $CONNECTIONS connections)"
  local out
  out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 10s -s "$2" "$3")"
  echo "$out" | grep -v '^RESULT' >&2
  echo "$1 $(echo "$out" | grep '^RESULT' | cut -d' ' -f2-)" >>"$RESULTS"
}

# ---- a list refresh in the background, for as long as the API scenarios run --------------------------------------
REFRESH_NOTE="no list refresh: 'sanctrack lists ingest' or the OFAC sample data is missing"
if (cd "$ROOT" && "$PY" -m app lists ingest --help >/dev/null 2>&1) && [[ -d "$SAMPLE/ofac_sdn/2023-12-28" ]]; then
  (cd "$ROOT" && "$PY" -m app lists ingest ofac_sdn "$SAMPLE/ofac_sdn/2019-01" --published 2019-01-31 \
    --accept-removals >/dev/null 2>"$WORK/ingest.log") || true
  (
    cd "$ROOT"
    child=""
    trap '[[ -n "$child" ]] && kill "$child" 2>/dev/null; exit 0' TERM
    # Alternate two publications, so that every pass is a real refresh with changes to diff and store.
    while true; do
      for publication in "2023-12-28 2023-12-28" "2019-01 2019-01-31"; do
        set -- $publication
        "$PY" -m app lists ingest ofac_sdn "$SAMPLE/ofac_sdn/$1" --published "$2" --accept-removals \
          >/dev/null 2>>"$WORK/ingest.log" &
        child=$!
        if wait "$child"; then echo ok >>"$WORK/refreshes"; else echo failed >>"$WORK/refreshes"; fi
      done
    done
  ) &
  REFRESH_PID=$!
  PIDS+=("$REFRESH_PID")
  REFRESH_NOTE="OFAC SDN refreshes ran in the background throughout the API scenarios"
fi

run "bare GET /bare (ceiling)" "$WORK/report.lua" "http://127.0.0.1:$BARE_PORT/bare"
run "GET /v1/targets?limit=50" "$WORK/auth.lua" "http://127.0.0.1:$API_PORT/v1/targets?limit=50"
run "GET /v1/targets/{id}" "$WORK/by_id.lua" "http://127.0.0.1:$API_PORT/"
MATCH_STATUS="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -d '{"queries": {"q1": {"kind": "person", "name": "Faleh al-Fayyad"}}}' \
  "http://127.0.0.1:$API_PORT/v1/match")"
if [[ "$MATCH_STATUS" == 2* ]]; then
  run "POST /v1/match" "$WORK/match.lua" "http://127.0.0.1:$API_PORT/v1/match"
else
  say "skipping POST /v1/match: it answers $MATCH_STATUS (not written yet?)"
fi
if [[ -n "${REFRESH_PID:-}" ]]; then
  kill "$REFRESH_PID" 2>/dev/null || true
  wait "$REFRESH_PID" 2>/dev/null || true
  finished="$(grep -c '^ok' "$WORK/refreshes" 2>/dev/null || true)"
  failed="$(grep -c '^failed' "$WORK/refreshes" 2>/dev/null || true)"
  REFRESH_NOTE="$REFRESH_NOTE (${finished:-0} finished, ${failed:-0} failed; see $WORK/ingest.log)"
fi

# ---- summary -----------------------------------------------------------------------------------------------------
say "summary ($DURATION per scenario, $THREADS threads, $CONNECTIONS connections, loopback, one uvicorn worker each)"
STATUS=0
"$PY" - "$RESULTS" <<'EOF' || STATUS=$?
import sys
rows = []
for line in open(sys.argv[1]):
    name, _, rest = line.rstrip("\n").partition(" requests=")
    fields = dict(item.split("=") for item in ("requests=" + rest).split())
    rows.append((name, fields))
print(f"{'scenario':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}")
for name, f in rows:
    rate = int(f["requests"]) / float(f["seconds"])
    print(f"{name:<28} {rate:>9.0f} {float(f['p50_ms']):>8.2f} {float(f['p99_ms']):>8.2f} {f['non2xx']:>8} {f['errors']:>7}")
bad = sum(int(f["non2xx"]) + int(f["errors"]) for _, f in rows)
print("all requests answered 2xx" if bad == 0 else f"FAILED: {bad} requests were not answered 2xx")
sys.exit(1 if bad else 0)
EOF
echo "$REFRESH_NOTE" >&2
echo "logs: $WORK" >&2
exit $STATUS
