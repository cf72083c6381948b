#!/usr/bin/env bash
# Engine benchmark: `rolegate apply` (apply + verify of the key+role template) against
# the same calls made by a boto3 script and by an AWS CLI script (one process per call),
# all against one local emulator, side by side in each round; and `rolegate apply` in an
# account of that emulator where IAM propagation takes time (6/8/4 s), against the
# shortest time it could take. Prints medians and ratios.
#   scripts/bench-engine.sh            # 5 rounds
#   ROUNDS=9 scripts/bench-engine.sh
#   ROLEGATE_BIN=/path/to/rolegate scripts/bench-engine.sh   # another build, not rebuilt
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/setup.sh
bin="${ROLEGATE_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet -p rolegate-cli
  bin="$CARGO_TARGET_DIR/release/rolegate"
fi
exec tests/with-keyring.sh python3 scripts/bench/engine_bench.py --rolegate "$bin" --rounds "${ROUNDS:-5}"
