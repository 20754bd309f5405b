#!/usr/bin/env bash
# Load benchmark of plan-api, side by side with PostGraphile v5 on the same PostgreSQL rows.
#
#   bench/run.sh            the full comparison (W1-W5 x 16/64 connections x 4 servers, 3 rounds)
#   bench/run.sh smoke      a quick check of the whole harness on a small dataset
#   bench/run.sh curve      the cost curve: W1-W3 on plan-api (SQLite and PostgreSQL) over
#                           1/15/150 plans, generated with --updates 48 and 499
#
# Knobs (environment): DURATION WARMUP ROUNDS CONNS WORKLOADS TARGETS PLANS UPDATES PLAN
# WORKSTREAM W3_CODE W4_ACTIONS THREADS BASE_PORT PLAN_API_BIN REGENERATE RESET_DATA
# CURVE_PLANS CURVE_UPDATES CURVE_ENGINES BENCH_PG. See bench/README.md.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

MODE=${1:-compare}
case $MODE in
compare | smoke | curve) ;;
-h | --help | help)
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
  ;;
*) die "unknown mode $MODE (compare, smoke or curve)" ;;
esac

if [[ $MODE == smoke ]]; then
  # Small and short: proves every piece works, measures nothing worth keeping.
  DURATION=${DURATION:-2} WARMUP=${WARMUP:-1} ROUNDS=${ROUNDS:-1} CONNS=${CONNS:-16}
  PLANS=${PLANS:-2} PLAN=${PLAN:-synthetic-001}
fi
if [[ $MODE == curve ]]; then
  WORKLOADS=${WORKLOADS:-W1 W2 W3} CONNS=${CONNS:-16} PLAN=${PLAN:-synthetic-001}
fi
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-16 64}
WORKLOADS=${WORKLOADS:-W1 W2 W3 W4 W5}
TARGETS=${TARGETS:-api-sqlite api-pg pgl-1 pgl-2}
PLANS=${PLANS:-150}
UPDATES=${UPDATES:-48}
PLAN=${PLAN:-synthetic-075}
WORKSTREAM=${WORKSTREAM:-Practice}
W3_CODE=${W3_CODE:-3.5}
W4_ACTIONS=${W4_ACTIONS:-120}
THREADS=${THREADS:-2}
BASE_PORT=${BASE_PORT:-18080}
RESET_DATA=${RESET_DATA:-1}
CURVE_PLANS=${CURVE_PLANS:-1 15 150}
CURVE_UPDATES=${CURVE_UPDATES:-48 499}
CURVE_ENGINES=${CURVE_ENGINES:-sqlite pg}

for w in $WORKLOADS; do [[ $w =~ ^W[1-5]$ ]] || die "unknown workload $w (W1..W5)"; done
for t in $TARGETS; do [[ $t =~ ^(api-sqlite|api-pg|pgl-1|pgl-2)$ ]] || die "unknown target $t (api-sqlite api-pg pgl-1 pgl-2)"; done
for n in "$DURATION" "$WARMUP" "$ROUNDS" "$THREADS" $CONNS; do [[ $n =~ ^[0-9]+$ ]] || die "not a number: $n"; done
if [[ $MODE == curve ]]; then
  for w in $WORKLOADS; do [[ $w =~ ^W[1-3]$ ]] || die "the cost curve runs reads only (W1-W3), not $w"; done
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN_DIR=$WORK/run-$STAMP
mkdir -p "$RUN_DIR" "$LOGS/cells"
RESULTS=$RUN_DIR/results.jsonl
: >"$RESULTS"
trap 'stop_servers' EXIT
trap 'exit 130' INT TERM

has_target() { [[ " $TARGETS " == *" $1 "* ]]; }
has_pgl() { has_target pgl-1 || has_target pgl-2; }

# ---------------------------------------------------------------------------------------------

need_tools
need_postgres
resolve_binary
if [[ $MODE != curve ]] && has_pgl; then need_postgraphile; fi
TOKEN=$(admin_token)

# One wrk run per cell: warm-up, then the measured period with the server's peak RSS and CPU.
run_cell() { # ROUND WORKLOAD CONNS TARGET DATASET
  local round=$1 w=$2 c=$3 t=$4 ds=$5
  local lua=$BENCH_SRC/wrk/${w,,}.lua data=$RUN_DIR/lua/$t.lua url=${SERVER_URL[$t]}
  local base=$LOGS/cells/$STAMP-r$round-$ds-$w-c$c-$t
  local -a cmd=(wrk -t"$THREADS" -c"$c" --timeout 10s -s "$lua")
  if ((WARMUP > 0)); then
    BENCH_DATA=$data BENCH_LUA_DIR=$BENCH_SRC/wrk "${cmd[@]}" -d"${WARMUP}s" "$url" >"$base.warmup.log" 2>&1 ||
      { cat "$base.warmup.log" >&2; die "wrk warm-up failed for $w c$c $t"; }
    grep -q '^BENCH_RESULT ' "$base.warmup.log" || { cat "$base.warmup.log" >&2; die "wrk warm-up for $w c$c $t gave no result (a Lua error?)"; }
  fi
  reset_hwm "$t"
  local cpu0 cpu1 rss line
  cpu0=$(cpu_ticks "$t")
  BENCH_DATA=$data BENCH_LUA_DIR=$BENCH_SRC/wrk "${cmd[@]}" -d"${DURATION}s" --latency "$url" >"$base.log" 2>&1 ||
    { cat "$base.log" >&2; die "wrk failed for $w c$c $t"; }
  cpu1=$(cpu_ticks "$t")
  rss=$(peak_rss_kb "$t")
  kill -0 "${SERVER_PID[$t]}" 2>/dev/null || { tail -n 30 "${SERVER_LOG[$t]}" >&2; die "$t died during $w c$c"; }
  line=$(sed -n 's/^BENCH_RESULT //p' "$base.log")
  [[ -n $line ]] || { cat "$base.log" >&2; die "no BENCH_RESULT from wrk for $w c$c $t"; }
  printf '{"round":%d,"dataset":"%s","workload":"%s","conns":%d,"target":"%s","peak_rss_kb":%d,"cpu_ms":%s,%s\n' \
    "$round" "$ds" "$w" "$c" "$t" "$rss" "$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) * 1000 / hz }')" \
    "${line#\{}" >>"$RESULTS"
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const r = JSON.parse(process.argv[1]);
    const e = r.errors + r.socket_errors.connect + r.socket_errors.read + r.socket_errors.write + r.socket_errors.timeout;
    console.error(`  r${process.argv[2]} ${process.argv[3]} ${process.argv[4].padEnd(3)} c${process.argv[5].padEnd(3)} ${process.argv[6].padEnd(10)} ` +
      `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50_ms.toFixed(1).padStart(6)} ms  p99 ${r.p99_ms.toFixed(1).padStart(6)} ms  ` +
      `errors ${e}  rss ${(Number(process.argv[7]) / 1024).toFixed(1)} MiB` + (e ? `  first: ${r.first_error.slice(0, 160)}` : ""));
  ' "$line" "$round" "$ds" "$w" "$c" "$t" "$rss"
}

# The psql look-ups the PostGraphile side needs (its requests use ids), as JSON.
pg_lookup() { # DB
  local db=$1 plan_id ws_id
  plan_id=$(psql_db "$db" -c "SELECT id FROM plan WHERE slug = '$PLAN'")
  [[ -n $plan_id ]] || die "plan $PLAN is not in $db (PLAN must be one of the generated plans)"
  ws_id=$(psql_db "$db" -c "SELECT id FROM workstream WHERE plan_id = $plan_id AND name = '$WORKSTREAM'")
  [[ -n $ws_id ]] || die "work stream $WORKSTREAM is not in plan $PLAN"
  local actions
  actions=$(psql_db "$db" -c "SELECT coalesce(json_agg(json_build_object('id', id, 'code', code, 'state', state) ORDER BY position, id), '[]') FROM action WHERE plan_id = $plan_id")
  printf '{"planId":%d,"workstreamId":%d,"actions":%s}' "$plan_id" "$ws_id" "$actions"
}

versions_json() {
  local rustc pg nodev pglv wrkv
  rustc=$(rustc -V 2>/dev/null || echo "n/a")
  pg=$(psql_db postgres -c 'SHOW server_version' | cut -d' ' -f1)
  nodev="$(node -v) (harness)"
  [[ -n ${PGL_NODE:-} ]] && nodev+=", $("$PGL_NODE" -v) (PostGraphile)"
  pglv=$(node -p 'require(process.argv[1]).version' "$BENCH_SRC/postgraphile/node_modules/postgraphile/package.json" 2>/dev/null || echo "n/a")
  wrkv=$(wrk -v 2>&1 | head -n1 | awk '{ print $2 }')
  printf '{"rustc":"%s","PostgreSQL":"%s","node":"%s","postgraphile":"%s","wrk":"%s"}' \
    "${rustc#rustc }" "$pg" "$nodev" "$pglv" "$wrkv"
}

write_meta() { # FILE DATASET_DESC NOTES_JSON TARGETS...
  local file=$1 dataset=$2 notes=$3
  shift 3
  local targets cmdline wrkline
  targets=$(printf '"%s",' "$@")
  cmdline="DURATION=$DURATION WARMUP=$WARMUP ROUNDS=$ROUNDS CONNS=\"$CONNS\" WORKLOADS=\"$WORKLOADS\""
  if [[ $MODE == curve ]]; then
    cmdline+=" CURVE_PLANS=\"$CURVE_PLANS\" CURVE_UPDATES=\"$CURVE_UPDATES\" CURVE_ENGINES=\"$CURVE_ENGINES\" PLAN=$PLAN"
  else
    cmdline+=" TARGETS=\"$TARGETS\" PLANS=$PLANS UPDATES=$UPDATES PLAN=$PLAN"
  fi
  [[ -n ${PLAN_API_BIN:-} ]] && cmdline+=" PLAN_API_BIN=$PLAN_API_BIN"
  cmdline+=" bench/run.sh $MODE"
  local settings="wrk $THREADS threads, warm-up ${WARMUP} s then ${DURATION} s measured per cell, median of $ROUNDS round(s); connections: $CONNS"
  [[ $MODE != curve ]] && settings+="; the servers interleaved within each round (each cell: every server in turn)"
  wrkline="BENCH_DATA=target/bench/run-$STAMP/lua/<server>.lua BENCH_LUA_DIR=bench/wrk wrk -t$THREADS -c<conns> --timeout 10s -s bench/wrk/<w>.lua -d${WARMUP}s <url>   # warm-up, then the same with -d${DURATION}s --latency"
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const [file, mode, date, machine, planApi, versions, dataset, settings, notes, targets, cmd, wrk] = process.argv.slice(1);
    require("fs").writeFileSync(file, JSON.stringify({
      mode, date, machine, plan_api: planApi, versions: JSON.parse(versions), dataset, settings,
      notes: JSON.parse(notes), targets: JSON.parse(targets), commands: [cmd, wrk],
    }, null, 2));
  ' "$file" "$MODE" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    "$(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load average at start $(cut -d' ' -f1-3 /proc/loadavg)" \
    "$BIN_DESC" "$(versions_json)" "$dataset" \
    "$settings" \
    "$notes" "[${targets%,}]" "$cmdline" "$wrkline"
}

# ---------------------------------------------------------------------------------------------

compare() {
  local sqlite_run=$WORK/run.sqlite pg_run=plan_bench_run pg_json='null'
  if has_target api-sqlite; then
    sqlite_dataset "$PLANS" "$UPDATES"
    if [[ $RESET_DATA == 1 || ! -f $sqlite_run ]]; then
      log "fresh copy of the SQLite dataset: ${sqlite_run#"$ROOT"/}"
      sqlite_copy "$SQLITE_DATASET" "$sqlite_run"
    fi
  fi
  if has_target api-pg || has_pgl; then
    pg_dataset "$PLANS" "$UPDATES"
    if [[ $RESET_DATA == 1 || -z $(psql_db postgres -c "SELECT 1 FROM pg_database WHERE datname = '$pg_run'") ]]; then
      log "fresh copy of the PostgreSQL dataset: $pg_run (from $PG_DATASET)"
      pg_copy "$PG_DATASET" "$pg_run"
    fi
    if has_target api-pg; then
      # plan-api migrates on start; migrate first so the SQL layer meets the current schema.
      PLAN_API_DATABASE_URL="$PG_BASE/$pg_run" "$BIN" migrate >"$LOGS/migrate.log" 2>&1 ||
        { tail -n 20 "$LOGS/migrate.log" >&2; die "plan-api migrate failed"; }
    fi
    if has_pgl; then
      log "applying bench/postgraphile/schema.sql to $pg_run"
      psql_db "$pg_run" -f "$BENCH_SRC/postgraphile/schema.sql" >/dev/null
    fi
    # A fresh copy (and a migration that rewrote rows) has no planner statistics or visibility
    # map yet; what a DBA runs after a migration, so that no cell measures autovacuum.
    log "VACUUM ANALYZE $pg_run"
    psql_db "$pg_run" -c "VACUUM ANALYZE" >/dev/null
    pg_json=$(pg_lookup "$pg_run")
  fi

  local -a targets=()
  for t in api-sqlite api-pg pgl-1 pgl-2; do has_target "$t" && targets+=("$t"); done
  for t in "${targets[@]}"; do
    case $t in
    api-sqlite) start_plan_api "$t" "sqlite://$sqlite_run?mode=rwc" $((BASE_PORT + 1)) ;;
    api-pg) start_plan_api "$t" "$PG_BASE/$pg_run" $((BASE_PORT + 2)) ;;
    pgl-1) start_postgraphile "$t" "$PG_BASE/$pg_run" $((BASE_PORT + 3)) 1 ;;
    pgl-2) start_postgraphile "$t" "$PG_BASE/$pg_run" $((BASE_PORT + 4)) 2 ;;
    esac
  done

  prepare_targets "$pg_json" "${targets[@]}"

  local notes=() hist
  for round in $(seq 1 "$ROUNDS"); do
    if [[ $pg_json != null ]]; then
      hist=$(psql_db "$pg_run" -c "SELECT count(*) FROM rag_update r JOIN action a ON a.id = r.action_id JOIN plan p ON p.id = a.plan_id WHERE p.slug = '$PLAN'")
      notes+=("round $round started with $hist history rows in plan $PLAN (PostgreSQL; W4 appends to 120 of its actions)")
    fi
    log "round $round of $ROUNDS"
    for w in $WORKLOADS; do
      for c in $CONNS; do
        for t in "${targets[@]}"; do
          run_cell "$round" "$w" "$c" "$t" "main"
        done
      done
    done
  done

  local notes_json
  notes_json=$(node -e 'console.log(JSON.stringify(process.argv.slice(1)))' \
    "servers: api-sqlite = plan-api over SQLite (pool 8), api-pg = plan-api over PostgreSQL (pool 20), pgl-1 = PostGraphile one Node process (pool 10), pgl-2 = PostGraphile node:cluster with 2 workers (pool 10 each); all on one 2-core machine with wrk and PostgreSQL" \
    "each run starts from a fresh copy of the generated dataset (RESET_DATA=1)" \
    ${notes[@]+"${notes[@]}"})
  write_meta "$RUN_DIR/meta.json" "plan-api generate --plans $PLANS --updates $UPDATES; plan $PLAN, work stream $WORKSTREAM, W3 action $W3_CODE" "$notes_json" "${targets[@]}"
}

# Lua data files and the probes (errors and same data) for the running targets.
prepare_targets() { # PG_JSON TARGET...
  local pg_json=$1
  shift
  local tjson=() t kind ref=""
  for t in "$@"; do
    kind=plan-api
    [[ $t == pgl-* ]] && kind=postgraphile
    [[ -z $ref && $t == api-pg ]] && ref=$t
    tjson+=("$(printf '{"name":"%s","kind":"%s","db":"%s","url":"%s","token":"%s"}' "$t" "$kind" "${SERVER_DB[$t]}" "${SERVER_URL[$t]}" "$([[ $kind == plan-api ]] && echo "$TOKEN")")")
  done
  local probe='["w1","w2","w3","w4"]'
  [[ $MODE == curve ]] && probe='["w1","w2","w3"]'
  local IFS=,
  printf '{"outDir":"%s","plan":"%s","workstream":"%s","w3Code":"%s","w4Count":%d,"pg":%s,"referenceTarget":"%s","probeWorkloads":%s,"targets":[%s]}\n' \
    "$RUN_DIR/lua" "$PLAN" "$WORKSTREAM" "$W3_CODE" "$W4_ACTIONS" "$pg_json" "$ref" "$probe" "${tjson[*]}" >"$RUN_DIR/config.json"
  unset IFS
  log "probing every workload once on $* (errors fail the run; W1-W3 must return the same data)"
  node "$BENCH_SRC/lib/harness.mjs" prepare "$RUN_DIR/config.json" || die "probe failed (config: $RUN_DIR/config.json)"
}

# ---------------------------------------------------------------------------------------------

curve() {
  local -a targets=() notes=()
  local ds port=$((BASE_PORT + 10)) engine name pg_json entries
  for plans in $CURVE_PLANS; do
    for updates in $CURVE_UPDATES; do
      ds="${plans}p-u${updates}"
      for engine in $CURVE_ENGINES; do
        name=api-$engine
        case $engine in
        sqlite)
          sqlite_dataset "$plans" "$updates"
          start_plan_api "$name" "sqlite://$SQLITE_DATASET?mode=rwc" "$port"
          pg_json=null
          ;;
        pg)
          pg_dataset "$plans" "$updates"
          start_plan_api "$name" "$PG_BASE/$PG_DATASET" "$port"
          # After the server's migration: statistics and visibility map, as a DBA would.
          psql_db "$PG_DATASET" -c "VACUUM ANALYZE" >/dev/null
          pg_json=null
          ;;
        *) die "unknown engine $engine (sqlite, pg)" ;;
        esac
        [[ " ${targets[*]} " == *" $name "* ]] || targets+=("$name")
        prepare_targets "$pg_json" "$name"
        entries=$(node -p 'const p = require(process.argv[1]); Object.values(p.w3 ?? {})[0]?.totalCount ?? "?"' "$RUN_DIR/lua/probe.json")
        notes+=("$ds on $engine: action $W3_CODE of $PLAN has $entries history entries")
        for round in $(seq 1 "$ROUNDS"); do
          for w in $WORKLOADS; do
            for c in $CONNS; do
              run_cell "$round" "$w" "$c" "$name" "$ds"
            done
          done
        done
        stop_server "$name"
      done
    done
  done
  notes+=("datasets: <plans>p-u<updates> = plan-api generate --plans <plans> --updates <updates>; every cell reads plan $PLAN (present in each), work stream $WORKSTREAM, action $W3_CODE")
  notes+=("read-only: datasets are served as generated; W3 reads the first 100 entries and totalCount when the history is longer")
  notes+=("rounds run back to back per dataset (one server at a time), not interleaved across datasets")
  local notes_json
  notes_json=$(node -e 'console.log(JSON.stringify(process.argv.slice(1)))' "${notes[@]}")
  write_meta "$RUN_DIR/meta.json" "cost curve over plans {$CURVE_PLANS} x updates {$CURVE_UPDATES}" "$notes_json" "${targets[@]}"
}

if [[ $MODE == curve ]]; then curve; else compare; fi

stop_servers
mkdir -p "$BENCH_SRC/results"
out=$BENCH_SRC/results/$STAMP-$MODE
node "$BENCH_SRC/lib/harness.mjs" report "$RUN_DIR/meta.json" "$RESULTS" "$out"
log "results: ${out#"$ROOT"/}.md and .json (per-cell wrk logs: ${LOGS#"$ROOT"/}/cells/$STAMP-*)"
