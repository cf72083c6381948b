#!/usr/bin/env bash
# Run Rolegate. With no AWS identity configured (or with --sandbox first), it starts
# the built-in sandbox: a local IAM/STS emulator with an administrator in account
# 123456789012, and a private keychain, so you can try everything without AWS.
#   scripts/run.sh                 # sandbox tour: plan, apply, verify, list, roll back
#   scripts/run.sh templates       # any rolegate command (against your AWS identity if you have one)
#   scripts/run.sh --sandbox apply -t seqera-batch-launch
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/setup.sh
cargo build --quiet -p rolegate-cli
BIN="$CARGO_TARGET_DIR/debug/rolegate"

sandbox=0
if [ "${1:-}" = "--sandbox" ]; then sandbox=1; shift; fi
if [ -z "${AWS_ACCESS_KEY_ID:-}${AWS_PROFILE:-}" ] && [ ! -f "$HOME/.aws/credentials" ] && [ ! -f "$HOME/.aws/config" ]; then sandbox=1; fi

if [ "$sandbox" = 0 ]; then
  exec "$BIN" "$@"
fi

export ROLEGATE_HOME="${ROLEGATE_HOME:-$HOME/.local/share/rolegate-sandbox}"
out=$(mktemp); python3 tests/emulator/rolegate_emulator.py --parent-pid $$ >"$out" 2>/dev/null &
for _ in $(seq 50); do grep -q READY "$out" && break; sleep 0.1; done
URL=$(awk '{print $2}' "$out")
[ -n "$URL" ] || { echo "the sandbox emulator did not start" >&2; exit 1; }
creds=$(curl -sf -XPOST "$URL/_rolegate/bootstrap-account" -d '{"account":"123456789012","user":"sandbox-admin"}')
export AWS_ACCESS_KEY_ID=$(printf '%s' "$creds" | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_key_id"])')
export AWS_SECRET_ACCESS_KEY=$(printf '%s' "$creds" | python3 -c 'import json,sys;print(json.load(sys.stdin)["secret_access_key"])')
export AWS_ENDPOINT_URL="$URL" AWS_REGION=eu-west-1
unset AWS_PROFILE AWS_SESSION_TOKEN
echo "Sandbox: a local IAM/STS emulator at $URL, account 123456789012 (nothing reaches AWS)." >&2

if [ $# -gt 0 ]; then
  exec tests/with-keyring.sh "$BIN" "$@"
fi
exec tests/with-keyring.sh bash -c '
  set -e
  BIN="$1"
  echo; echo "== rolegate templates"; "$BIN" templates
  echo; echo "== rolegate apply -t seqera-batch-launch   (plan, create, wait for AWS, verify)"
  "$BIN" apply -t seqera-batch-launch
  run=$("$BIN" runs --json | python3 -c "import json,sys;print(json.load(sys.stdin)[\"runs\"][0][\"run_id\"])")
  echo; echo "== rolegate runs"; "$BIN" runs
  echo; echo "== rolegate rollback $run"; "$BIN" rollback "$run"
' bash "$BIN"
