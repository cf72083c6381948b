#!/usr/bin/env bash
# Build the Linux installers (.deb and .rpm) with the Tauri CLI from npm
# (@tauri-apps/cli, pinned in ui/package.json). Output:
#   $CARGO_TARGET_DIR/release/bundle/{deb,rpm}/
# An AppImage is not built here: Tauri's AppImage bundler downloads linuxdeploy and
# its plugins from GitHub at build time, which this machine's closed network refuses,
# and neither is in Debian or on PyPI/npm (docs/INSTALLERS.md). The release workflow
# builds it on GitHub's runners.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/setup.sh
cd src-tauri
../ui/node_modules/.bin/tauri build --ci --bundles deb,rpm "$@"
ls -l "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb "$CARGO_TARGET_DIR"/release/bundle/rpm/*.rpm
