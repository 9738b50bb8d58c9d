#!/usr/bin/env bash
# Resume smoke test: run 1 year, abort, resume for the rest, and check the result equals an
# uninterrupted run (events and snapshots, ignoring run_id).
#
#   scripts/resume_smoke_test.sh [EMPLOYEES] [END_YEAR]      (defaults: 300 employees, 2027)
#
# Works from a fresh clone after `pip install -e .`; everything is written to a temp directory.
set -euo pipefail

EMPLOYEES="${1:-300}"
END_YEAR="${2:-2027}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
WORK="$(mktemp -d "${TMPDIR:-/tmp}/navigator-resume-smoke.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

nav() { "$PYTHON" -m navigator_orchestrator.cli "$@"; }

echo "== census ($EMPLOYEES employees) and config in $WORK"
nav census generate --employees "$EMPLOYEES" --seed 11 --out census.parquet >/dev/null
"$PYTHON" - "$REPO/config/simulation_config.yaml" "$END_YEAR" <<'PY'
import sys, yaml
data = yaml.safe_load(open(sys.argv[1]))
data["simulation"]["end_year"] = int(sys.argv[2])
data["setup"]["census_parquet_path"] = "census.parquet"
yaml.safe_dump(data, open("config.yaml", "w"))
PY

echo "== uninterrupted run"
nav run -c config.yaml --database reference/simulation.duckdb >/dev/null

echo "== first year only, then stop (as if aborted after the first checkpoint)"
START_YEAR="$("$PYTHON" -c 'import yaml; print(yaml.safe_load(open("config.yaml"))["simulation"]["start_year"])')"
nav run -c config.yaml --database resumed/simulation.duckdb --years "$START_YEAR-$START_YEAR" >/dev/null
nav checkpoint -c config.yaml --database resumed/simulation.duckdb

echo "== resume for the rest"
nav run -c config.yaml --database resumed/simulation.duckdb --years "$START_YEAR-$END_YEAR" --resume

echo "== compare (excluding run_id)"
"$PYTHON" - <<'PY'
import sys
import duckdb
conn = duckdb.connect()
conn.execute("attach 'reference/simulation.duckdb' as ref (read_only)")
conn.execute("attach 'resumed/simulation.duckdb' as res (read_only)")
bad = 0
for table in ("fct_yearly_events", "fct_workforce_snapshot"):
    a = f"select * exclude (run_id) from ref.{table}"
    b = f"select * exclude (run_id) from res.{table}"
    diff = conn.execute(f"select count(*) from (({a} except all {b}) union all ({b} except all {a}))").fetchone()[0]
    rows = conn.execute(f"select count(*) from ref.{table}").fetchone()[0]
    print(f"{table}: {rows:,} rows, {diff} differing")
    bad += diff
if bad:
    sys.exit("resume smoke test FAILED: the resumed run differs from the uninterrupted run")
print("resume smoke test passed")
PY
