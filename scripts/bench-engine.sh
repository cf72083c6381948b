#!/usr/bin/env bash
# Engine benchmark: `rolegate apply` (apply + verify of the key+role template) against
# the same calls made by a boto3 script and by an AWS CLI script (one process per call),
# all against one local emulator, side by side in each round. Prints medians and ratios.
#   scripts/bench-engine.sh            # 5 rounds
#   ROUNDS=9 scripts/bench-engine.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/setup.sh
cargo build --release --quiet -p rolegate-cli
exec tests/with-keyring.sh python3 scripts/bench/engine_bench.py --rolegate "$CARGO_TARGET_DIR/release/rolegate" --rounds "${ROUNDS:-5}"
