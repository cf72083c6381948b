#!/usr/bin/env bash
# Every test: the Rust unit tests, the scenarios and CLI tests against the IAM/STS
# emulator with a real (private) Secret Service keychain, and the UI's unit tests
# (vitest with mocked IPC), and the end-to-end tests of the real app window through
# WebDriver under Xvfb (screenshots in tests/e2e/artifacts/), and the .deb installed with
# apt, opened, and removed. Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/setup.sh
log=$(mktemp)
set +e
tests/with-keyring.sh cargo test --workspace "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
(cd ui && npx vitest run) 2>&1 | tee -a "$log"
ui_status=${PIPESTATUS[0]}
tests/e2e/run.sh 2>&1 | tee -a "$log"
e2e_status=${PIPESTATUS[0]}
tests/e2e/run-installed.sh 2>&1 | tee -a "$log"
deb_status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^ +Tests +[0-9]/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# (pass|fail) [0-9]+$/ { if ($2 == "pass") p += $3; else f += $3 }
     END { printf "all suites: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
[ "$status" -eq 0 ] && [ "$ui_status" -eq 0 ] && [ "$e2e_status" -eq 0 ] && [ "$deb_status" -eq 0 ]
