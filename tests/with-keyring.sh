#!/usr/bin/env bash
# Run a command with a private, unlocked Secret Service (gnome-keyring in its own
# D-Bus session), the same kind of keychain Rolegate uses on a Linux desktop.
# Usage: tests/with-keyring.sh COMMAND [ARGS...]
set -euo pipefail
if [ "${ROLEGATE_IN_KEYRING:-}" = 1 ]; then exec "$@"; fi
export ROLEGATE_IN_KEYRING=1
# A private HOME for the keyring files, so tests never touch the person's own keyring.
export ROLEGATE_KEYRING_HOME="${ROLEGATE_KEYRING_HOME:-$(mktemp -d)}"
exec dbus-run-session -- bash -c '
  set -euo pipefail
  export XDG_DATA_HOME="$ROLEGATE_KEYRING_HOME/data" XDG_RUNTIME_DIR="$ROLEGATE_KEYRING_HOME/run"
  mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  eval "$(printf "rolegate-test\n" | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  "$@"
' bash "$@"
