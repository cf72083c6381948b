#!/usr/bin/env bash
# The app's performance budget, measured side by side with a bare Tauri window built in
# the same run (src-tauri/bare-window): cold start to the first interactive screen,
# idle memory (PSS of the app and its WebKit processes), the .deb's size and the UI
# bundle's size. Figures and goals: docs/PERFORMANCE.md.
#   scripts/bench-app.sh            # builds release binaries and the .deb, then measures
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/bundle.sh >/dev/null
cargo build --release --quiet -p rolegate-app -p rolegate-bare-window \
  --features rolegate-app/custom-protocol,rolegate-bare-window/custom-protocol
deb=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -1)
# As installed: the Sandbox's emulator is found (the .deb ships it as a resource).
export ROLEGATE_EMULATOR="$PWD/tests/emulator/rolegate_emulator.py"
. tests/e2e/lib.sh
start_xvfb
echo "commands: scripts/bench-app.sh  (python3 scripts/bench/app_bench.py --app $CARGO_TARGET_DIR/release/rolegate-app --bare $CARGO_TARGET_DIR/release/rolegate-bare-window --deb $deb --ui-dist ui/dist), Xvfb $DISPLAY 1280x800x24"
python3 scripts/bench/app_bench.py \
  --app "$CARGO_TARGET_DIR/release/rolegate-app" --bare "$CARGO_TARGET_DIR/release/rolegate-bare-window" \
  --deb "$deb" --ui-dist ui/dist "$@"
