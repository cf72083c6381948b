#!/usr/bin/env bash
# Run the end-to-end tests: build the app, start a private X server, and drive the
# window through WebDriver. Screenshots land in tests/e2e/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
(cd ../.. && cargo build --quiet -p rolegate-app -p rolegate-cli)
export ROLEGATE_APP="$CARGO_TARGET_DIR/debug/rolegate-app" ROLEGATE_CLI="$CARGO_TARGET_DIR/debug/rolegate"
. ./lib.sh
e2e_npm_install .
start_xvfb
../with-keyring.sh npm test --silent
