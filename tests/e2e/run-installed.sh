#!/usr/bin/env bash
# Build the .deb, install it with apt, open the installed app under Xvfb through
# WebDriver, then remove the package (tests/e2e/installed-package.mjs).
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
../../scripts/bundle.sh >/dev/null
export ROLEGATE_DEB
ROLEGATE_DEB=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -1)
. ./lib.sh
e2e_npm_install .
start_xvfb
node --test installed-package.mjs
