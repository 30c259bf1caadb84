#!/usr/bin/env bash
# Installs the app's front-end dependencies (from ui/package-lock.json) and
# tauri-driver for the end-to-end tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# esbuild's binary comes from its platform package; no install script needed.
npm ci --prefix ui --no-audit --no-fund --ignore-scripts
# The app embeds ui/dist at compile time, so any cargo build of the workspace
# (tests and clippy included) needs it to exist.
npm run build --prefix ui

if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked
fi
