#!/usr/bin/env bash
# Runs every check and test of the project on a fresh Debian machine (root or sudo), installing
# what it needs first. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

# Tests also need: ogrinfo/ogr2ogr (gdal-bin), a throwaway PostGIS cluster per test process
# (postgresql-15-postgis-3), and npm decoders, validators and the web map's packages, pinned by
# their package-lock.json files.
# The web map's browser tests drive Debian's chromium (a CJK font so Chinese renders in the
# screenshots they take). Schemathesis (PyPI) needs python3 with venv.
ensure_packages "${BUILD_PACKAGES[@]}" gdal-bin postgresql-15-postgis-3 chromium fonts-wqy-microhei \
  python3-venv
ensure_npm tiles/tests tests/js web-map

# Schemathesis checks the running service against its OpenAPI document
# (tests/it/http_schemathesis.rs). A pinned version in a venv under target/, installed only when
# missing; nothing is downloaded while the tests run.
SCHEMATHESIS_VERSION=4.32.5
st_venv="$PWD/target/schemathesis"
if ! "$st_venv/bin/st" --version 2>/dev/null | grep -qx "st, version $SCHEMATHESIS_VERSION"; then
  echo "==> installing schemathesis $SCHEMATHESIS_VERSION into $st_venv"
  rm -rf "$st_venv"
  python3 -m venv "$st_venv"
  "$st_venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

export CARGO_TERM_COLOR=never
# Snapshots (tests/it/snapshots) are compared, never written or accepted here: a mismatch or a
# missing snapshot fails the test. Update them on purpose (see tests/it/main.rs).
export INSTA_UPDATE=no
echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test (doc tests, then unit, integration and property tests; benches run once)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --doc --locked 2>&1 | tee "$log"
cargo test --workspace --all-targets --locked 2>&1 | tee -a "$log"
echo "==> schemathesis against the service and its OpenAPI document (bounded: about 2 minutes)"
WANGGE_SCHEMATHESIS="$st_venv/bin/st" cargo test --locked --test it -- --ignored http_schemathesis:: 2>&1 |
  tee -a "$log"

# One closing line over every test binary, so the total is plain to see.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s; if (p == 0) exit 1 }' "$log"
