#!/usr/bin/env bash
# Installs what civicrate's build, tests and benchmarks need, skipping what is already there.
# Safe to run again and again. Usage: scripts/setup.sh [--browser] [--bench] [--contract]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

want_browser=false want_bench=false want_contract=false
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=true ;;
    --bench) want_bench=true ;;
    --contract) want_contract=true ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

worker_build_version=0.8.7
if ! worker-build --version 2>/dev/null | grep -q "$worker_build_version"; then
  say "installing worker-build $worker_build_version (about 3 minutes, once)"
  cargo install --locked worker-build --version "$worker_build_version"
fi

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock, or the build fails at the end.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q "$bindgen_version"; then
  say "installing wasm-bindgen-cli $bindgen_version (about 2 minutes, once)"
  # Not --locked: its lockfile wants a webpki-roots version the registry no longer has.
  cargo install wasm-bindgen-cli --version "=$bindgen_version"
fi

if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing wrangler and binaryen from package-lock.json"
  npm ci --no-audit --no-fund
fi

apt_install() {
  if [ -z "${apt_updated:-}" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if $want_browser && ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then
  say "installing Debian's chromium and chromium-driver for the browser tests"
  apt_install chromium chromium-driver
fi
if $want_bench && ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk for the benchmark"
  apt_install wrk
fi
# `make contract` and `make test`: schemathesis 4 (Python), for this user only.
schemathesis_version=4.32.5
if $want_contract && ! PATH="$HOME/.local/bin:$PATH" schemathesis --version 2>/dev/null | grep -q "$schemathesis_version"; then
  say "installing schemathesis $schemathesis_version for make contract (about a minute, once)"
  if command -v pipx >/dev/null 2>&1; then
    pipx install --force "schemathesis==$schemathesis_version"
  elif ! python3 -m pip install --user --quiet "schemathesis==$schemathesis_version"; then
    # Debian's own Python refuses pip outside a virtual environment (PEP 668): its pipx does not.
    apt_install pipx
    pipx install --force "schemathesis==$schemathesis_version"
  fi
fi
exit 0
