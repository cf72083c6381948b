#!/usr/bin/env bash
# Install what building and testing Rolegate needs on Debian/Ubuntu: the C libraries
# the keychain crate links, a Secret Service for tests, and the IAM/STS emulator.
# Safe to run again: it installs only what is missing.
set -euo pipefail
MOTO_VERSION=5.2.1
need=()
for p in pkg-config libdbus-1-dev libssl-dev dbus dbus-x11 gnome-keyring; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
PY="${ROLEGATE_PYTHON:-python3}"
if ! "$PY" -c "import moto, sys; sys.exit(0 if moto.__version__ == '$MOTO_VERSION' else 1)" 2>/dev/null \
   || ! "$PY" -c "import flask, flask_cors" 2>/dev/null; then
  echo "setup: installing moto[server]==$MOTO_VERSION" >&2
  "$PY" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
command -v cargo >/dev/null || { echo "setup: cargo is missing; install Rust with rustup first" >&2; exit 1; }
