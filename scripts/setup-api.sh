#!/usr/bin/env bash
# Installs the real API clients the local-API tests drive (the official MCP
# Python SDK and the openai package, pinned in tests/api/requirements.txt)
# into their own venv, .cache/py-api. Safe to run again: it reinstalls only
# when the pins change.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/py-api
req=tests/api/requirements.txt
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && cmp -s "$req" "$stamp"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
