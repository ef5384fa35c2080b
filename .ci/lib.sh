#!/usr/bin/env bash
# Shared setup for Vigil's two commands: installs what is missing, skips what is there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

BUILD_PACKAGES=(libwebkit2gtk-4.1-dev build-essential file curl pkg-config libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev)
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver imagemagick)
TAURI_DRIVER_VERSION=2.1.0

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install_missing() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    say "installing Rust (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal \
      --component rustfmt,clippy
  fi
}

ensure_node() {
  local major=0
  if command -v node >/dev/null 2>&1; then major="$(node -p 'process.versions.node.split(".")[0]')"; fi
  if [ "$major" -lt 20 ]; then
    apt_install_missing nodejs npm
    major="$(node -p 'process.versions.node.split(".")[0]')"
    if [ "$major" -lt 20 ]; then
      echo "Vigil's UI needs Node.js 20 or newer; this system has $(node --version)." >&2
      echo "Install Node.js 20+ (e.g. from your distribution's backports) and run this again." >&2
      exit 1
    fi
  fi
}

# npm ci only when package-lock.json changed since the last install.
ensure_ui_packages() {
  local stamp="$ROOT/ui/node_modules/.vigil-lock-stamp"
  local want
  want="$(sha256sum "$ROOT/ui/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing UI packages (npm ci)"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund)
    echo "$want" > "$stamp"
  fi
}

ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null 2>&1; then
    say "installing tauri-driver $TAURI_DRIVER_VERSION"
    cargo install tauri-driver --locked --version "$TAURI_DRIVER_VERSION"
  fi
}

build_ui() {
  say "building the UI"
  (cd "$ROOT/ui" && npm run build --silent)
}

setup_build() {
  apt_install_missing "${BUILD_PACKAGES[@]}"
  ensure_rust
  ensure_node
  ensure_ui_packages
}

setup_tests() {
  setup_build
  apt_install_missing "${TEST_PACKAGES[@]}"
  ensure_tauri_driver
}

# The Windows code of the agent, the local sensor and the CLI, type-checked here: rustup
# cannot add targets on this machine kind, but Debian's Rust ships its standard library's
# source, so std is built for the target and the code checked, not linked (see RECIPE.md).
WINDOWS_CHECK_PACKAGES=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64)
windows_check() {
  apt_install_missing "${WINDOWS_CHECK_PACKAGES[@]}"
  RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$ROOT/target/windows-check" \
    /usr/bin/cargo check --locked -Zbuild-std=std,panic_abort --target x86_64-pc-windows-gnu \
    -p vigil-agent -p vigil-local -p vigil-cli
}
