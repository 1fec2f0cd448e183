#!/usr/bin/env bash
# Builds wangge and runs it on the demo district (屯溪区). Until the HTTP service exists this runs
# the command-line tools on the demo: validation, a lookup and the per-grid counts.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
cargo build --release --locked --bin wangge
bin=target/release/wangge
echo "==> wangge validate (demo district 屯溪区)"
"$bin" validate --format text || true
echo
echo "==> wangge lookup --lon 118.3130 --lat 29.7120"
"$bin" lookup --lon 118.3130 --lat 29.7120
echo
echo "==> wangge assign (first grids)"
"$bin" assign | head -n 12
