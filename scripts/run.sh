#!/usr/bin/env bash
# Builds wangge and runs the service on the embedded store (data/wangge.gpkg, a GeoPackage) with
# the demo district 屯溪区 loaded on first start. Open the address it prints.
# Options are passed on: e.g. `bash scripts/run.sh --bind 0.0.0.0:8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_packages "${BUILD_PACKAGES[@]}"
# The web map's MapLibre (served from web-map/node_modules; nothing from a CDN).
ensure_npm --omit=dev web-map
export CARGO_TERM_COLOR=never
cargo build --release --locked --bin wangge
exec target/release/wangge serve --data-dir data "$@"
