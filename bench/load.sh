#!/usr/bin/env bash
# Load test: wrk against the API served by uvicorn on a real PostgreSQL database, next to a bare FastAPI endpoint
# served the same way in the same run (the ceiling of this machine and server), with every source of the sample data
# loaded. It prints, side by side:
#   - GET /v1/targets/{id}, GET /v1/targets?limit=50 and POST /v1/match at rest, one uvicorn worker;
#   - GET /v1/targets?limit=50 and POST /v1/match while OFAC SDN publications of 8,000+ changed entries (2019-01 and
#     2023-12-28 in turn) are applied by 'sanctrack lists ingest' in another process;
#   - the API's start-up to /readyz 200 and the first POST /v1/match after it;
#   - 'sanctrack match NAME' against 'sanctrack --help' (median of 3), and the index's memory in one process;
#   - GET /v1/targets/{id} and POST /v1/match on 'sanctrack serve --workers 2' against one worker;
# then the issue's targets, PASS or FAIL.
#
#   bench/load.sh                          # 15 s per scenario (120 s for the match during publications), ~12 min
#   DURATION=30s CONNECTIONS=64 bench/load.sh
#
# Settings (environment): ADMIN_URL (PostgreSQL to create the scratch database on; default
# postgresql+psycopg://postgres@127.0.0.1:5432/postgres), DURATION (15s), THREADS (2), CONNECTIONS (16),
# CANDIDATES (1000), PUBLICATIONS (at most this many publications applied meanwhile, 40), PUB_DURATION (120s),
# SANCTRACK_SAMPLE_DATA
# (../shared/data), REDIS_URL (the API processes and the publications use Redis, as deployed: the shared generation
# of the read cache, the key revocations; default redis://127.0.0.1:6379/15, a scratch database emptied at the end).
# Loopback only; every loop is bounded and every process it starts is stopped at the end. Creates
# and drops the database sanctrack_load (KEEP_DB=1 keeps it). Exit code 1 if any request failed or answered non-2xx.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
ADMIN_URL="${ADMIN_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"
DB_NAME="sanctrack_load"
DURATION="${DURATION:-15s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-16}"
CANDIDATES="${CANDIDATES:-1000}"
PUBLICATIONS="${PUBLICATIONS:-40}"
# The match scenario during publications runs longer: long enough for the API to swap in at least one new index.
PUB_DURATION="${PUB_DURATION:-120s}"
SAMPLE="${SANCTRACK_SAMPLE_DATA:-$ROOT/../shared/data}"
WORK="$(mktemp -d -t sanctrack-load-XXXXXX)"
PIDS=()

say() { printf '\n== %s\n' "$*" >&2; }

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$PY" -c 'import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()' "$REDIS_URL" >/dev/null 2>&1 || true
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

FIGURES="$WORK/figures.txt"; : >"$FIGURES"
figure() { echo "$1=$2" >>"$FIGURES"; }
sanctrack() { (cd "$ROOT" && "$PY" -m app "$@"); }

# ---- lists: every source of the sample data; the SDN last, alternating publications change 8,000+ entries ----------
say "ingesting the sample lists"
LOADED=()
ingest() {  # source, path, [published]
  local extra=()
  [[ -n "${3:-}" ]] && extra=(--published "$3")
  if [[ -e "$SAMPLE/$2" ]] && sanctrack lists ingest "$1" "$SAMPLE/$2" "${extra[@]}" --accept-removals \
      >>"$WORK/ingest.log" 2>&1; then
    LOADED+=("$1")
  else
    echo "  $1: not loaded ($2; see $WORK/ingest.log)" >&2
  fi
}
ingest un_sc un/consolidated_2026-02-27.xml
ingest uk uk/ofsi_conlist_2025-04-14.xlsx
ingest ofac_cons ofac_cons/consolidated_2025-12-18.xml
ingest ca_sema canada/sema_c2025-05.xml
ingest au_dfat australia/dfat_consolidated_c2024-12-17.xlsx
ingest ofac_sdn ofac_sdn/2019-01 2019-01-31
ingest ofac_sdn ofac_sdn/2023-12-28 2023-12-28
echo "  loaded: ${LOADED[*]}" >&2

# ---- the CLI: 'sanctrack match' from the saved index against 'sanctrack --help' ------------------------------------
say "sanctrack match NAME against sanctrack --help"
median_seconds() {
  "$PY" - "$ROOT" "$@" <<'EOF'
import statistics, subprocess, sys, time
times = []
for _ in range(3):
    started = time.perf_counter()
    subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - started)
print(f"{statistics.median(times):.3f}")
EOF
}
started=$("$PY" -c 'import time; print(time.perf_counter())')
FIRST_ORIGIN="$(sanctrack match "Faleh al-Fayyad" --json 2>>"$WORK/cli.log" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["index"])')"
figure cli_first_match_seconds "$("$PY" -c "import time; print(f'{time.perf_counter() - $started:.3f}')")"
figure cli_first_match_index "$FIRST_ORIGIN"
figure cli_match_index "$(sanctrack match "Faleh al-Fayyad" --json 2>>"$WORK/cli.log" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["index"])')"
figure cli_match_seconds "$(median_seconds "$PY" -m app match "Faleh al-Fayyad")"
figure cli_help_seconds "$(median_seconds "$PY" -m app --help)"
# What a fresh process pays to profile its first person's name: rigour's person tagger (10 s: what the CLI paid
# before app/matching/name_symbols.py) against the table that replaced it, both in a bare process.
figure cli_tagger_seconds "$(median_seconds "$PY" -c 'from rigour.names import NameTypeTag, analyze_names; analyze_names(NameTypeTag.PER, ["Faleh al-Fayyad"])')"
figure cli_profile_seconds "$(median_seconds "$PY" -c 'from app.matching.features import profile_of; from app.matching.names import parse_name; profile_of(parse_name("Faleh al-Fayyad", "person"))')"

# ---- memory of the index in one process, every source loaded (from the saved index, as an API process loads it) --
say "memory of the index"
figure index_memory "$(cd "$ROOT" && "$PY" - <<'EOF'
import gc, os
from app.db import session_scope
from app.matching import live

def rss() -> int:
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

with session_scope() as session:
    live.current_marks(session)  # the connection and the query machinery, outside the measure
gc.collect()
before = rss()
with session_scope() as session:
    loaded = live.bring_up_to_date(session)
gc.collect()
print(f"{(rss() - before) / 2**20:.0f}_MiB_RSS_for_{len(loaded.index)}_entries_of_{'+'.join(sorted(loaded.snapshots))}")
EOF
)"

# ---- servers: the API, and the bare ceiling, both one uvicorn worker on loopback ---------------------------------
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 1 "${2:-600}"); do
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
export SANCTRACK_REDIS_URL="$REDIS_URL"  # from here on: the servers and the publications applied meanwhile
(cd "$ROOT" && exec "$PY" -m uvicorn app.main:create_app --factory --host 127.0.0.1 --port "$API_PORT" \
  --log-level warning --no-access-log >"$WORK/api.log" 2>&1) &
PIDS+=($!)
(cd "$WORK" && exec "$PY" -m uvicorn bare_app:app --host 127.0.0.1 --port "$BARE_PORT" \
  --log-level warning --no-access-log >"$WORK/bare.log" 2>&1) &
PIDS+=($!)
API_STARTED=$("$PY" -c 'import time; print(time.time())')
wait_for "http://127.0.0.1:$BARE_PORT/bare"
wait_for "http://127.0.0.1:$API_PORT/readyz"  # 200 only once the index is loaded
figure api_ready_seconds "$("$PY" -c "import time; print(f'{time.time() - $API_STARTED:.2f}')")"
figure first_match_after_ready_seconds "$(curl -s -o /dev/null -w '%{time_total}' -X POST \
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"queries": {"q1": {"kind": "person", "name": "Faleh al-Fayyad"}}}' "http://127.0.0.1:$API_PORT/v1/match")"

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
  printf 'local ids, step = %d, %d\n' "$CANDIDATES" "$THREADS"
  cat <<'EOF'
-- Every candidate in turn, each read from the database once while the cache is empty: thread k of the wrk threads
-- reads ids k+1, k+1+step, ... (each thread runs its own copy of this script; setup numbers them).
local made = 0
function setup(thread)
  thread:set("first", made)
  made = made + 1
end
local at = nil
request = function()
  at = ((at or first) + (at and step or 0)) % ids
  return wrk.format("GET", "/v1/targets/" .. (at + 1))
end
EOF
  cat "$WORK/report.lua"
} >"$WORK/by_id_in_turn.lua"
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
run() {  # name, lua script, url, [duration]
  local duration="${4:-$DURATION}"
  say "$1 ($duration, $THREADS threads, $CONNECTIONS connections)"
  local out
  out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "$duration" --timeout 10s -s "$2" "$3")"
  echo "$out" | grep -v '^RESULT' >&2
  echo "$1 $(echo "$out" | grep '^RESULT' | cut -d' ' -f2-)" >>"$RESULTS"
}

# ---- at rest ---------------------------------------------------------------------------------------------------
# First every candidate read in turn while the API's cache is empty (each read from the database once, then again
# from the cache), which is also the warm-up of the figures that follow, as the bare endpoint gets one.
run "GET /v1/targets/{id} cold" "$WORK/by_id_in_turn.lua" "http://127.0.0.1:$API_PORT/" 10s
wrk -t "$THREADS" -c "$CONNECTIONS" -d 5s "http://127.0.0.1:$BARE_PORT/bare" >/dev/null
run "bare GET /bare (ceiling)" "$WORK/report.lua" "http://127.0.0.1:$BARE_PORT/bare"
run "GET /v1/targets/{id}" "$WORK/by_id.lua" "http://127.0.0.1:$API_PORT/"
run "GET /v1/targets?limit=50" "$WORK/auth.lua" "http://127.0.0.1:$API_PORT/v1/targets?limit=50"
run "POST /v1/match" "$WORK/match.lua" "http://127.0.0.1:$API_PORT/v1/match"

# ---- while publications are applied in another process -----------------------------------------------------------
# Alternate two SDN publications, so that every pass is a real refresh with 8,000+ changes to diff and store (and for
# the API to bring its index up to date with, beside the requests). At most PUBLICATIONS passes.
(
  cd "$ROOT"
  child=""
  trap '[[ -n "$child" ]] && kill "$child" 2>/dev/null; exit 0' TERM
  for pass in $(seq 1 "$PUBLICATIONS"); do
    if (( pass % 2 )); then folder=2019-01; published=2019-01-31; else folder=2023-12-28; published=2023-12-28; fi
    "$PY" -m app lists ingest ofac_sdn "$SAMPLE/ofac_sdn/$folder" --published "$published" --accept-removals --json \
      >>"$WORK/publications.jsonl" 2>>"$WORK/ingest.log" &
    child=$!
    if wait "$child"; then echo ok >>"$WORK/refreshes"; else echo failed >>"$WORK/refreshes"; fi
  done
) &
REFRESH_PID=$!
PIDS+=("$REFRESH_PID")
for _ in $(seq 1 600); do [[ -s "$WORK/publications.jsonl" ]] && break; sleep 0.5; done  # the first one applied
run "GET /v1/targets?limit=50 +pub" "$WORK/auth.lua" "http://127.0.0.1:$API_PORT/v1/targets?limit=50"
SWAPS_BEFORE="$(grep -c 'match index ready' "$WORK/api.log" || true)"
run "POST /v1/match +pub" "$WORK/match.lua" "http://127.0.0.1:$API_PORT/v1/match" "$PUB_DURATION"
SWAPS="$(( $(grep -c 'match index ready' "$WORK/api.log" || true) - SWAPS_BEFORE ))"
kill "$REFRESH_PID" 2>/dev/null || true
wait "$REFRESH_PID" 2>/dev/null || true
finished="$(grep -c '^ok' "$WORK/refreshes" 2>/dev/null || true)"
failed="$(grep -c '^failed' "$WORK/refreshes" 2>/dev/null || true)"
changed="$("$PY" - "$WORK/publications.jsonl" <<'EOF'
import json, sys
text, rows, decoder, at = open(sys.argv[1]).read(), [], json.JSONDecoder(), 0
while text[at:].strip():  # one JSON document per publication, each over several lines
    row, at = decoder.raw_decode(text, len(text) - len(text[at:].lstrip()))
    rows.append(row)
print(min((r["added"] + r["removed"] + r["amended"] for r in rows), default=0))
EOF
)"
REFRESH_NOTE="+pub: OFAC SDN publications applied in another process meanwhile: ${finished:-0} applied (each changing at least ${changed} entries), ${failed:-0} failed; the API swapped in ${SWAPS} new index(es) during POST /v1/match +pub"
grep -h "match index ready" "$WORK/api.log" | tail -3 >"$WORK/index_updates" || true

# ---- two API processes ---------------------------------------------------------------------------------------------
kill "${PIDS[0]}" 2>/dev/null || true  # the one-worker API: it must not take CPU from the two
wait "${PIDS[0]}" 2>/dev/null || true
WORKERS_PORT="$(free_port)"
(cd "$ROOT" && exec "$PY" -m app serve --host 127.0.0.1 --port "$WORKERS_PORT" --workers 2 --no-background \
  >"$WORK/api2.log" 2>&1) &
PIDS+=($!)
wait_for "http://127.0.0.1:$WORKERS_PORT/readyz" 3000  # two processes loading their index at once
sleep 5  # the second process loads its index too
# Both processes answer a few seconds of requests first, as the one-worker API had before its figures were taken.
wrk -t "$THREADS" -c "$CONNECTIONS" -d 5s -s "$WORK/by_id.lua" "http://127.0.0.1:$WORKERS_PORT/" >/dev/null
wrk -t "$THREADS" -c "$CONNECTIONS" -d 5s -s "$WORK/match.lua" "http://127.0.0.1:$WORKERS_PORT/v1/match" >/dev/null
run "GET /v1/targets/{id} x2" "$WORK/by_id.lua" "http://127.0.0.1:$WORKERS_PORT/"
run "POST /v1/match x2" "$WORK/match.lua" "http://127.0.0.1:$WORKERS_PORT/v1/match"

# ---- summary -----------------------------------------------------------------------------------------------------
say "summary ($DURATION per scenario, $THREADS threads, $CONNECTIONS connections, loopback; one uvicorn worker unless x2)"
STATUS=0
"$PY" - "$RESULTS" "$FIGURES" <<'EOF' || STATUS=$?
import sys
rows = {}
for line in open(sys.argv[1]):
    name, _, rest = line.rstrip("\n").partition(" requests=")
    fields = dict(item.split("=") for item in ("requests=" + rest).split())
    fields["rate"] = int(fields["requests"]) / float(fields["seconds"])
    rows[name] = fields
figures = dict(line.rstrip("\n").split("=", 1) for line in open(sys.argv[2]) if "=" in line)
print(f"{'scenario':<32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}")
for name, f in rows.items():
    print(f"{name:<32} {f['rate']:>9.0f} {float(f['p50_ms']):>8.2f} {float(f['p99_ms']):>8.2f} {f['non2xx']:>8} {f['errors']:>7}")
print()
print(f"API start-up to /readyz 200:       {figures.get('api_ready_seconds', '?')} s (index from the saved file)")
print(f"first POST /v1/match after ready:  {figures.get('first_match_after_ready_seconds', '?')} s")
print(f"sanctrack match NAME (median of 3): {figures.get('cli_match_seconds', '?')} s, index from: {figures.get('cli_match_index', '?')}"
      f" (first call: {figures.get('cli_first_match_seconds', '?')} s, index from: {figures.get('cli_first_match_index', '?')})")
print(f"sanctrack --help (median of 3):     {figures.get('cli_help_seconds', '?')} s")
print(f"first person's name profiled in a bare process (median of 3): {figures.get('cli_profile_seconds', '?')} s"
      f" (rigour's own person tagger: {figures.get('cli_tagger_seconds', '?')} s)")
print(f"index memory, one process:         {figures.get('index_memory', '?').replace('_', ' ')}")

def ratio(a, b):
    return a / b if b else float("inf")

checks = []
bare, by_id = rows.get("bare GET /bare (ceiling)"), rows.get("GET /v1/targets/{id}")
if bare and by_id:
    r = ratio(by_id["rate"], bare["rate"])
    checks.append((f"GET /v1/targets/{{id}} throughput {r:.2f} of the bare endpoint's (>= 0.33)", r >= 1 / 3))
    r = ratio(float(by_id["p99_ms"]), float(bare["p99_ms"]))
    checks.append((f"GET /v1/targets/{{id}} p99 {r:.1f}x the bare endpoint's (<= 3)", r <= 3))
rest, busy = rows.get("POST /v1/match"), rows.get("POST /v1/match +pub")
if rest and busy:
    r = ratio(float(busy["p99_ms"]), float(rest["p99_ms"]))
    checks.append((f"POST /v1/match p99 while publications are applied {r:.1f}x at rest (<= 3)", r <= 3))
    checks.append(("POST /v1/match while publications are applied: no failure, no timeout",
                   int(busy["non2xx"]) + int(busy["errors"]) == 0))
if "first_match_after_ready_seconds" in figures:
    seconds = float(figures["first_match_after_ready_seconds"])
    checks.append((f"first POST /v1/match after /readyz {seconds:.3f} s (< 0.2)", seconds < 0.2))
if "cli_match_seconds" in figures and "cli_help_seconds" in figures:
    r = ratio(float(figures["cli_match_seconds"]), float(figures["cli_help_seconds"]))
    checks.append((f"sanctrack match {r:.1f}x sanctrack --help (<= 2)", r <= 2))
for one, two in (("GET /v1/targets/{id}", "GET /v1/targets/{id} x2"), ("POST /v1/match", "POST /v1/match x2")):
    if one in rows and two in rows:
        print(f"{two.removesuffix(' x2')}: {rows[two]['rate'] / rows[one]['rate']:.2f}x the throughput with 2 workers")
print()
for text, ok in checks:
    print(f"{'PASS' if ok else 'FAIL'}  {text}")
bad = sum(int(f["non2xx"]) + int(f["errors"]) for f in rows.values())
print("all requests answered 2xx" if bad == 0 else f"FAILED: {bad} requests were not answered 2xx")
sys.exit(1 if bad else 0)
EOF
echo "$REFRESH_NOTE" >&2
cat "$WORK/index_updates" >&2 2>/dev/null || true
echo "logs: $WORK" >&2
exit $STATUS
