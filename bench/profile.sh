#!/usr/bin/env bash
# A CPU profile of plan-api under one workload, rendered as a flamegraph SVG into bench/.
#
#   bench/profile.sh                 W1 at 16 connections on PostgreSQL, 10 s sampled
#   WORKLOAD=W3 ENGINE=sqlite bench/profile.sh
#
# Knobs (environment): WORKLOAD (W1..W5), ENGINE (pg or sqlite), CONNS (16), DURATION (10),
# WARMUP (3), FREQ (999), CALL_GRAPH (dwarf or fp), PLANS UPDATES PLAN WORKSTREAM W3_CODE,
# PLAN_API_BIN (profile this binary instead of building one), OUT (the SVG's path).
#
# Without PLAN_API_BIN it builds the release binary with line tables into its own target
# directory (target/profiling, so target/release is left alone), without changing Cargo.toml:
#   CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_PROFILE_RELEASE_STRIP=none
#   CARGO_TARGET_DIR=target/profiling cargo build --release
# (With CALL_GRAPH=fp it also forces frame pointers: RUSTFLAGS="-C force-frame-pointers=yes".)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

WORKLOAD=${WORKLOAD:-W1}
ENGINE=${ENGINE:-pg}
CONNS=${CONNS:-16}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
FREQ=${FREQ:-999}
CALL_GRAPH=${CALL_GRAPH:-dwarf}
PLANS=${PLANS:-150}
UPDATES=${UPDATES:-48}
PLAN=${PLAN:-synthetic-075}
WORKSTREAM=${WORKSTREAM:-Practice}
W3_CODE=${W3_CODE:-3.5}
THREADS=${THREADS:-2}
PORT=${PORT:-18090}
OUT=${OUT:-$BENCH_SRC/flamegraph-$WORKLOAD-$ENGINE.svg}
[[ $WORKLOAD =~ ^W[1-5]$ ]] || die "unknown workload $WORKLOAD (W1..W5)"
[[ $ENGINE =~ ^(pg|sqlite)$ ]] || die "unknown engine $ENGINE (pg, sqlite)"
[[ $CALL_GRAPH =~ ^(dwarf|fp)$ ]] || die "CALL_GRAPH is dwarf or fp"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN_DIR=$WORK/profile-$STAMP
mkdir -p "$RUN_DIR"
trap 'stop_servers' EXIT
trap 'exit 130' INT TERM

need_tools
need_postgres
command -v perf >/dev/null || apt_install linux-perf
INFERNO_ROOT=$WORK/tools
if [[ ! -x $INFERNO_ROOT/bin/inferno-flamegraph ]]; then
  log "cargo install inferno (into ${INFERNO_ROOT#"$ROOT"/})"
  nice -n 19 cargo install inferno --locked --root "$INFERNO_ROOT" >"$LOGS/inferno-install.log" 2>&1 ||
    { tail -n 30 "$LOGS/inferno-install.log" >&2; die "cargo install inferno failed"; }
fi

if [[ -n ${PLAN_API_BIN:-} ]]; then
  resolve_binary
else
  log "building plan-api with line tables into target/profiling (a full release build the first time)"
  rustflags=${RUSTFLAGS:-}
  [[ $CALL_GRAPH == fp ]] && rustflags+=" -C force-frame-pointers=yes"
  (cd "$ROOT" && CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_PROFILE_RELEASE_STRIP=none \
    CARGO_TARGET_DIR="$ROOT/target/profiling" RUSTFLAGS="$rustflags" nice -n 19 cargo build --release --bin plan-api) \
    >"$LOGS/cargo-build-profiling.log" 2>&1 ||
    { tail -n 40 "$LOGS/cargo-build-profiling.log" >&2; die "the profiling build failed"; }
  BIN=$ROOT/target/profiling/release/plan-api
  BIN_DESC="built from $(git_desc) with line tables (target/profiling/release/plan-api)"
fi
TOKEN=$(admin_token)

# A fresh copy of the dataset (W4 and W5 write).
if [[ $ENGINE == pg ]]; then
  pg_dataset "$PLANS" "$UPDATES"
  pg_copy "$PG_DATASET" plan_bench_profile
  url="$PG_BASE/plan_bench_profile"
else
  sqlite_dataset "$PLANS" "$UPDATES"
  sqlite_copy "$SQLITE_DATASET" "$WORK/profile.sqlite"
  url="sqlite://$WORK/profile.sqlite?mode=rwc"
fi
name=api-$ENGINE
start_plan_api "$name" "$url" "$PORT"

printf '{"outDir":"%s","plan":"%s","workstream":"%s","w3Code":"%s","w4Count":120,"pg":null,"referenceTarget":"%s","targets":[{"name":"%s","kind":"plan-api","db":"%s","url":"%s","token":"%s"}]}\n' \
  "$RUN_DIR/lua" "$PLAN" "$WORKSTREAM" "$W3_CODE" "$name" "$name" "$url" "${SERVER_URL[$name]}" "$TOKEN" >"$RUN_DIR/config.json"
node "$BENCH_SRC/lib/harness.mjs" prepare "$RUN_DIR/config.json" || die "probe failed"

lua=$BENCH_SRC/wrk/${WORKLOAD,,}.lua
export BENCH_DATA=$RUN_DIR/lua/$name.lua BENCH_LUA_DIR=$BENCH_SRC/wrk
if ((WARMUP > 0)); then
  wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" --timeout 10s -s "$lua" "${SERVER_URL[$name]}" >"$RUN_DIR/warmup.log" 2>&1
fi

pid=${SERVER_PID[$name]}
log "sampling $name (pid $pid) at $FREQ Hz with --call-graph $CALL_GRAPH for $DURATION s under $WORKLOAD, $CONNS connections"
perf record -e cpu-clock -F "$FREQ" -g --call-graph "$CALL_GRAPH" -p "$pid" -o "$RUN_DIR/perf.data" \
  -- sleep "$DURATION" >"$RUN_DIR/perf-record.log" 2>&1 &
perf_pid=$!
# wrk runs a little longer than perf, so every sample is under load.
wrk -t"$THREADS" -c"$CONNS" -d"$((DURATION + 1))s" --timeout 10s --latency -s "$lua" "${SERVER_URL[$name]}" >"$RUN_DIR/wrk.log" 2>&1
wait "$perf_pid" || { cat "$RUN_DIR/perf-record.log" >&2; die "perf record failed"; }
sed -n 's/^BENCH_RESULT //p' "$RUN_DIR/wrk.log" >&2
stop_servers

log "rendering the flamegraph (perf script on DWARF stacks takes a while)"
title="plan-api $WORKLOAD on $ENGINE, $CONNS connections, $(git_desc)"
perf script -i "$RUN_DIR/perf.data" 2>"$RUN_DIR/perf-script.log" |
  "$INFERNO_ROOT/bin/inferno-collapse-perf" >"$RUN_DIR/stacks.folded"
# Frames narrower than 1.5 px are left out: the picture stays small enough to commit.
"$INFERNO_ROOT/bin/inferno-flamegraph" --minwidth 1.5 --title "$title" --subtitle "$BIN_DESC" <"$RUN_DIR/stacks.folded" >"$OUT"
# The heaviest leaf functions, as text beside the picture.
awk '{ n = $NF; $NF = ""; k = split($0, f, ";"); leaf = f[k]; gsub(/ +$/, "", leaf); s[leaf] += n; t += n }
     END { for (l in s) printf "%6.2f%%  %s\n", 100 * s[l] / t, l }' "$RUN_DIR/stacks.folded" |
  sort -rn | sed -n '1,25p' >"$RUN_DIR/top-leaves.txt" # sed reads to the end: no SIGPIPE
log "top leaf functions (self time):"
cat "$RUN_DIR/top-leaves.txt" >&2
log "flamegraph: ${OUT#"$ROOT"/} (folded stacks: ${RUN_DIR#"$ROOT"/}/stacks.folded)"
