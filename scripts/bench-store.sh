#!/usr/bin/env bash
# Store figures: import rate, load + District::new time and peak RSS, demo and 100,000 grids with
# 5,000,000 households, GeoPackage and PostGIS. Each scenario runs in its own process so the peak
# RSS is its own. Needs postgresql-15-postgis-3 (a throwaway cluster is started and stopped).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench store --no-run
for scenario in demo big; do
  for backend in gpkg postgres; do
    cargo bench -q --bench store -- "$scenario" "$backend" 2>&1 | grep -v '^$'
  done
done
