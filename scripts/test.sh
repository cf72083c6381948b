#!/usr/bin/env bash
# Every test: unit tests of the core, and the scenarios against the IAM/STS emulator
# with a real (private) Secret Service keychain. Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/setup.sh
log=$(mktemp)
set +e
tests/with-keyring.sh cargo test --workspace "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "all suites: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
