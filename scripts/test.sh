#!/usr/bin/env bash
# Every test: unit tests of the core, and the scenarios against the IAM/STS emulator
# with a real (private) Secret Service keychain.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/setup.sh
exec tests/with-keyring.sh cargo test --workspace "$@"
