#!/usr/bin/env bash
# Run Rolegate.
#   scripts/run.sh                  # build and open the desktop app. With no AWS identity
#                                   # configured, its first screen offers the Sandbox: a
#                                   # local IAM/STS emulator, nothing reaches AWS.
#   scripts/run.sh cli              # the CLI's sandbox tour: Seqera sign-in and workspaces (a local
#                                   # stand-in), plan, apply, verify, the credential made and
#                                   # checked on the stand-in, list, roll back both sides; then a
#                                   # fleet to an OU of the Sandbox's organization, rolled back
#   scripts/run.sh cli templates    # any rolegate command (against your AWS identity if you have one)
#   scripts/run.sh cli --sandbox apply -t seqera-batch-launch
# On a machine without a display the app opens on a virtual one (Xvfb) and a
# screenshot of its window is saved; without a desktop keychain, secrets go to a
# private gnome-keyring that lasts as long as the app.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rolegate-target}"
scripts/setup.sh

if [ "${1:-}" != cli ]; then
  cargo build --quiet -p rolegate-app
  APP="$CARGO_TARGET_DIR/debug/rolegate-app"
  export ROLEGATE_HOME="${ROLEGATE_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/rolegate}"
  if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    . tests/e2e/lib.sh
    start_xvfb
    shot="${TMPDIR:-/tmp}/rolegate-window.png"
    echo "No display here: Rolegate opens on the virtual display $DISPLAY. A screenshot of it is saved to $shot every 5 s. Stop with Ctrl-C." >&2
    ( while kill -0 $XVFB_PID 2>/dev/null; do sleep 5; import -display "$DISPLAY" -window root "$shot" 2>/dev/null || true; done ) &
  fi
  if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    echo "No desktop session bus: secrets go to a private gnome-keyring that lasts as long as this run." >&2
    tests/with-keyring.sh "$APP"
  else
    "$APP"
  fi
  exit
fi
shift
cargo build --quiet -p rolegate-cli
BIN="$CARGO_TARGET_DIR/debug/rolegate"

sandbox=0
if [ "${1:-}" = "--sandbox" ]; then sandbox=1; shift; fi
if [ -z "${AWS_ACCESS_KEY_ID:-}${AWS_PROFILE:-}" ] && [ ! -f "$HOME/.aws/credentials" ] && [ ! -f "$HOME/.aws/config" ]; then sandbox=1; fi

if [ "$sandbox" = 0 ]; then
  exec "$BIN" "$@"
fi

export ROLEGATE_HOME="${ROLEGATE_HOME:-$HOME/.local/share/rolegate-sandbox}"
out=$(mktemp); (unset AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE; exec python3 tests/emulator/rolegate_emulator.py --parent-pid $$ --sandbox-account 123456789012) >"$out" 2>/dev/null &
for _ in $(seq 50); do grep -q ROLEGATE_SANDBOX "$out" && break; sleep 0.1; done
URL=$(awk '/READY/ {print $2}' "$out")
[ -n "$URL" ] || { echo "the sandbox emulator did not start" >&2; exit 1; }
creds=$(sed -n 's/^ROLEGATE_SANDBOX //p' "$out"); rm -f "$out"
export AWS_ACCESS_KEY_ID=$(printf '%s' "$creds" | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_key_id"])')
export AWS_SECRET_ACCESS_KEY=$(printf '%s' "$creds" | python3 -c 'import json,sys;print(json.load(sys.stdin)["secret_access_key"])')
export AWS_ENDPOINT_URL="$URL" AWS_REGION=eu-west-1
unset AWS_PROFILE AWS_SESSION_TOKEN
echo "Sandbox: a local IAM/STS emulator at $URL, account 123456789012 (nothing reaches AWS)." >&2
# Its organization, for `rolegate fleet` (the app's Sandbox makes the same one).
if org=$(python3 tests/emulator/rolegate_sandbox_org.py "$URL" 2>/dev/null); then
  printf '%s' "$org" | python3 -c 'import json,sys; v=json.load(sys.stdin); print("Sandbox: account 123456789012 manages an organization of %s OUs and %s member accounts (rolegate fleet targets)." % (v["ous"], v["accounts"]) if v["made"] else "Sandbox: account 123456789012 is in an organization already.")' >&2
else
  echo "Sandbox: no organization could be made; rolegate fleet has nothing to read" >&2
fi

# The Seqera Platform stand-in beside it, with a made-up user, token and workspace. The
# token stays in this shell's memory and reaches `rolegate seqera login` on a pipe
# (fd 3), never on a command line or in a file.
seqera_token=""
coproc SEQERA { unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; exec python3 tests/seqera/rolegate_seqera.py --emulator "$URL" --port 0 --parent-pid $$ --sandbox 2>/dev/null; }
if read -r -t 30 ready <&"${SEQERA[0]}" && read -r -t 30 made <&"${SEQERA[0]}" && [ "${ready#ROLEGATE_SEQERA_READY }" != "$ready" ]; then
  export ROLEGATE_SEQERA_URL="${ready#ROLEGATE_SEQERA_READY }"
  seqera_token=$(printf '%s' "${made#ROLEGATE_SEQERA_SANDBOX }" | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
  echo "Sandbox: a Seqera Platform stand-in at $ROLEGATE_SEQERA_URL, user sandbox, workspace sandbox-org/sandbox." >&2
else
  echo "the Seqera stand-in did not start (is openapi-core installed? scripts/setup.sh); the Sandbox goes on without it" >&2
fi
unset made
exec 3< <(printf '%s\n' "$seqera_token")
unset seqera_token

if [ $# -gt 0 ]; then
  # The keychain lasts as long as this command: sign in to the stand-in first, quietly.
  exec tests/with-keyring.sh bash -c '
    BIN="$1"; shift
    if [ -n "${ROLEGATE_SEQERA_URL:-}" ]; then "$BIN" seqera login --token-stdin <&3 >/dev/null 2>&1 || true; fi
    exec 3<&-
    exec "$BIN" "$@"
  ' bash "$BIN" "$@"
fi
exec tests/with-keyring.sh bash -c '
  set -e
  BIN="$1"
  echo; echo "== rolegate templates"; "$BIN" templates
  if [ -n "${ROLEGATE_SEQERA_URL:-}" ]; then
    echo; echo "== rolegate seqera login --token-stdin   (the stand-in'"'"'s made-up token, on standard input)"
    "$BIN" seqera login --token-stdin <&3
    echo; echo "== rolegate seqera workspaces"; "$BIN" seqera workspaces
  fi
  exec 3<&-
  if [ -n "${ROLEGATE_SEQERA_URL:-}" ]; then
    echo; echo "== rolegate apply -t seqera-batch-launch --seqera-workspace sandbox-org/sandbox"
    echo "   (plan, create, wait for AWS, then the credential in Seqera, its External ID in the trust policy, Seqera'"'"'s own check)"
    "$BIN" apply -t seqera-batch-launch --seqera-workspace sandbox-org/sandbox
  else
    echo; echo "== rolegate apply -t seqera-batch-launch   (plan, create, wait for AWS, verify)"
    "$BIN" apply -t seqera-batch-launch
  fi
  run=$("$BIN" runs --json | python3 -c "import json,sys;print(json.load(sys.stdin)[\"runs\"][0][\"run_id\"])")
  echo; echo "== rolegate runs"; "$BIN" runs
  echo; echo "== rolegate rollback $run"; "$BIN" rollback "$run"
  if "$BIN" fleet targets >/dev/null 2>&1; then
    echo; echo "== rolegate fleet targets   (the Sandbox'"'"'s organization)"; "$BIN" fleet targets
    ou=$("$BIN" fleet targets --json | python3 -c "import json,sys;print(next(u[\"id\"] for u in json.load(sys.stdin)[\"fleet_targets\"][\"root\"][\"children\"] if u[\"name\"] == \"Workloads\"))")
    echo; echo "== rolegate fleet apply -t seqera-cloud-role --ou $ou   (a StackSet to the OU and the OU in it, every account verified)"
    "$BIN" fleet apply -t seqera-cloud-role --ou "$ou" || true
    fleet=$("$BIN" fleet list --json | python3 -c "import json,sys;print(json.load(sys.stdin)[\"fleets\"][0][\"fleet_id\"])")
    echo; echo "== rolegate fleet rollback $fleet"; "$BIN" fleet rollback "$fleet"
  fi
' bash "$BIN"
