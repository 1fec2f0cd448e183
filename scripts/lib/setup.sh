# Shared by scripts/run.sh and scripts/test.sh: installs what the project needs on a fresh Debian
# machine, only when missing. Source it, then call ensure_packages / ensure_npm.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ensure_packages PKG...: installs the Debian packages that are not installed yet.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
  fi
}

# ensure_npm [--omit=dev] DIR...: installs each folder's npm packages exactly as its
# package-lock.json says.
ensure_npm() {
  local extra=() dir
  if [ "${1:-}" = "--omit=dev" ]; then extra=(--omit=dev); shift; fi
  for dir in "$@"; do
    echo "==> npm ci --prefix $dir ${extra[*]}"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error "${extra[@]}"
  done
}

# What building wangge needs: a C toolchain, GDAL (formats, CRS), libclang (bindings to the
# system SQLite, shared with GDAL), FreeType (map label glyphs, the copy GDAL links too), and a
# CJK font for the labels (`serve` reads /usr/share/fonts unless --fonts says otherwise).
BUILD_PACKAGES=(pkg-config build-essential libclang-dev libgdal-dev libfreetype-dev fonts-wqy-microhei)
