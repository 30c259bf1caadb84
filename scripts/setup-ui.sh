#!/usr/bin/env bash
# Installs the app's front-end dependencies (from ui/package-lock.json) and
# tauri-driver for the end-to-end tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# `npm install` from the committed lock rather than `npm ci`: the registry
# reachable here lists only some of @tauri-apps/cli's optional per-platform
# packages, so the lock cannot name them all and `npm ci` refuses it.
# esbuild's binary comes from its platform package; no install script needed.
npm install --prefix ui --no-audit --no-fund --ignore-scripts
# The app embeds ui/dist at compile time, so any cargo build of the workspace
# (tests and clippy included) needs it to exist.
npm run build --prefix ui

if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked
fi
