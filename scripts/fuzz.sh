#!/usr/bin/env bash
# Fuzzes the request admission (fuzz/fuzz_targets/admission.rs) for N seconds, default 60, on
# the stable toolchain: `--sanitizer none` is the one cargo-fuzz mode that passes no -Z flag
# (its default, AddressSanitizer, needs nightly). Usage: scripts/fuzz.sh [SECONDS] [libFuzzer flags]
# The first build compiles the whole server with coverage instrumentation (about 15 minutes on
# 2 cores, into fuzz/target/); later ones take seconds. New inputs go to fuzz/corpus-local/
# (not committed), crashes and timeouts to fuzz/artifacts/admission/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
if ! command -v cargo-fuzz >/dev/null; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
  exit 1
fi
# The server's own dependency versions (cargo adds the fuzzing crates to the copy).
cp Cargo.lock fuzz/Cargo.lock
mkdir -p fuzz/corpus-local/admission
exec cargo fuzz run --sanitizer none admission \
  fuzz/corpus-local/admission fuzz/corpus/admission -- \
  -max_total_time="$secs" -timeout=10 -max_len=8192 -dict=fuzz/admission.dict \
  -print_final_stats=1 "$@"
