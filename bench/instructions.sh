#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable on a noisy machine,
# where req/s are not. Runs a binary over a fresh SQLite database (the Herefordshire plan),
# sends the same query SMALL and then LARGE times, and prints (large - small) / (LARGE -
# SMALL): the instructions one request costs, with startup and seeding taken out.
#
#   bench/instructions.sh BINARY [BINARY...]     e.g. /tmp/plan-api-before /tmp/plan-api-after
#
# Knobs: SMALL (200), LARGE (1000), QUERY (W1's shape on the shipped plan), PORT (8222).
set -euo pipefail
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
SMALL=${SMALL:-200}
LARGE=${LARGE:-1000}
PORT=${PORT:-8222}
QUERY=${QUERY:-'{ plan(slug: \"herefordshire-2012\") { actions(filter: { workstreams: [\"Practice\"] }, first: 15) { nodes { code objective rag { status } theme { title } ragHistory(first: 3) { edges { node { status effectiveDate note author } } } } } } }'}
SECRET=plan-api-bench-secret-0123456789abcdef0123456789

# Total instructions of one run of $1 serving $2 requests.
total() {
  local bin=$1 n=$2 dir
  dir=$(mktemp -d)
  PLAN_API_DATA_DIR=$dir PLAN_API_JWT_SECRET=$SECRET PLAN_API_DATABASE_URL="sqlite://$dir/p.sqlite?mode=rwc" \
    PLAN_API_BIND=127.0.0.1:$PORT PLAN_API_RATE_LIMITS=off RUST_LOG=plan_api=warn,plan_api::access=error \
    valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" >"$dir/log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -s "127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 1; done
  local token
  token=$(PLAN_API_DATA_DIR=$dir PLAN_API_JWT_SECRET=$SECRET "$bin" token --role admin)
  for _ in $(seq 1 "$n"); do
    curl -s "127.0.0.1:$PORT/graphql" -H "authorization: Bearer $token" \
      -H 'content-type: application/json' -d "{\"query\":\"$QUERY\"}" >/dev/null
  done
  kill -INT "$pid"
  wait "$pid" || true
  callgrind_annotate "$dir/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
  rm -rf "$dir"
}

for bin in "$@"; do
  small=$(total "$bin" "$SMALL")
  large=$(total "$bin" "$LARGE")
  echo "$bin: $(( (large - small) / (LARGE - SMALL) )) instructions per request"
done
