#!/usr/bin/env bash
# The TypeScript types in ui/src/bindings are generated from the Rust types (ts-rs).
# Regenerate them and fail if they differ from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
out="$PWD/ui/src/bindings"
rm -rf "$out"
TS_RS_EXPORT_DIR="$out" cargo test --quiet -p rolegate-app -p rolegate-core --features rolegate-app/ts export_bindings >/dev/null
if ! git diff --quiet --exit-code -- "$out" || [ -n "$(git ls-files --others --exclude-standard -- "$out")" ]; then
  echo "ui/src/bindings is stale; run scripts/check-bindings.sh and commit the result:" >&2
  git status --short -- "$out" >&2
  exit 1
fi
echo "bindings: up to date ($(ls "$out" | wc -l) files)"
