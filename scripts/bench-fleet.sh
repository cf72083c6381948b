#!/usr/bin/env bash
# Fleet benchmark: `rolegate fleet apply` to an organization of 200 accounts (deploy,
# follow, verify every account) against a boto3 script that deploys the same StackSet
# the same way and then assumes into each account in turn to check its role, both
# against one local emulator with a network time per call and AWS-like throttling,
# side by side in each round. Prints medians, ratios and API calls per account.
#   scripts/bench-fleet.sh                      # 3 rounds, 200 accounts, 40 ms a call
#   ROUNDS=5 ACCOUNTS=200 LATENCY_MS=40 scripts/bench-fleet.sh
#   ROLEGATE_BIN=/path/to/rolegate scripts/bench-fleet.sh   # another build, not rebuilt
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/setup.sh
bin="${ROLEGATE_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet -p rolegate-cli
  bin="$CARGO_TARGET_DIR/release/rolegate"
fi
exec tests/with-keyring.sh python3 scripts/bench/fleet_bench.py --rolegate "$bin" --rounds "${ROUNDS:-3}" \
  --accounts "${ACCOUNTS:-200}" --latency-ms "${LATENCY_MS:-40}"
