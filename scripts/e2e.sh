#!/usr/bin/env bash
# Builds the app (debug, UI embedded) and drives its real window through
# WebDriver under Xvfb. Screenshots and logs land in target/e2e-artifacts/.
#
# Needs: xvfb xauth dbus-x11 at-spi2-core webkit2gtk-driver imagemagick,
# node, and tauri-driver (scripts/setup-ui.sh installs it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

npm run build --prefix ui
# --workspace: the same feature set as `cargo test --workspace`, so no rebuild.
cargo build --workspace

export PATH="$HOME/.cargo/bin:$PATH"
export CRUMB_APP="$CARGO_TARGET_DIR/debug/crumb-app"
export CRUMB_E2E_ARTIFACTS="${CRUMB_E2E_ARTIFACTS:-$CARGO_TARGET_DIR/e2e-artifacts}"

# Software GL and no accessibility bus: what works headless here. Do not set
# WEBKIT_DISABLE_COMPOSITING_MODE: it makes WebDriver screenshots hang.
exec xvfb-run -a -s "-screen 0 1280x800x24" \
  env LIBGL_ALWAYS_SOFTWARE=1 NO_AT_BRIDGE=1 \
  dbus-run-session -- node tests/e2e/run.mjs
