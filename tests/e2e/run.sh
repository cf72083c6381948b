#!/usr/bin/env bash
# Run the end-to-end tests: build the app, start a private X server, and drive the
# window through WebDriver. Screenshots land in tests/e2e/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
(cd ../.. && cargo build --quiet -p rolegate-app -p rolegate-cli)
export ROLEGATE_APP="$CARGO_TARGET_DIR/debug/rolegate-app" ROLEGATE_CLI="$CARGO_TARGET_DIR/debug/rolegate"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
display=$(for n in $(seq 90 140); do [ -e /tmp/.X11-unix/X$n ] || [ -e /tmp/.X$n-lock ] || { echo $n; break; }; done)
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
DISPLAY=":$display" ../with-keyring.sh npm test --silent
