#!/usr/bin/env bash
# Install what building and testing Rolegate needs on Debian/Ubuntu: the C libraries
# the keychain crate and Tauri link, a Secret Service and a headless X server for
# tests, the IAM/STS emulator, the Seqera stand-in's openapi-core, the clients the
# export tests use, and the UI's npm packages (then it builds the UI, which the app embeds).
# Safe to run again: it installs only what is missing.
set -euo pipefail
MOTO_VERSION=5.2.1
need=()
for p in pkg-config libdbus-1-dev libssl-dev dbus dbus-x11 gnome-keyring \
         build-essential file libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev \
         librsvg2-dev libayatana-appindicator3-dev libxdo-dev xvfb xauth webkit2gtk-driver fonts-dejavu-core imagemagick; do
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
# The real clients the export tests hand their output to.
CLIENTS="awscli==1.45.11 boto3==1.43.11 cfn-lint==1.51.0 python-dotenv==1.2.2 jsonschema==4.26.0"
if ! "$PY" - <<'PYEOF' 2>/dev/null
import importlib.metadata as m, sys
want = {"awscli": "1.45.11", "boto3": "1.43.11", "cfn-lint": "1.51.0", "python-dotenv": "1.2.2", "jsonschema": "4.26.0"}
sys.exit(0 if all(m.version(k) == v for k, v in want.items()) else 1)
PYEOF
then
  echo "setup: installing $CLIENTS" >&2
  "$PY" -m pip install --quiet --disable-pip-version-check $CLIENTS
fi
# The Seqera stand-in (tests/seqera) checks every request and answer against Seqera's
# OpenAPI document with openapi-core.
OPENAPI_CORE_VERSION=0.23.1
if ! "$PY" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('openapi-core') == '$OPENAPI_CORE_VERSION' else 1)" 2>/dev/null; then
  echo "setup: installing openapi-core==$OPENAPI_CORE_VERSION" >&2
  "$PY" -m pip install --quiet --disable-pip-version-check "openapi-core==$OPENAPI_CORE_VERSION"
fi
command -v aws >/dev/null || { echo "setup: the aws command is not on PATH after installing awscli" >&2; exit 1; }
command -v cargo >/dev/null || { echo "setup: cargo is missing; install Rust with rustup first" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup: npm is missing; install Node.js 20 or newer" >&2; exit 1; }
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -d "$here/ui/node_modules" ] || [ "$here/ui/package-lock.json" -nt "$here/ui/node_modules/.package-lock.json" ]; then
  echo "setup: installing the UI's npm packages" >&2
  # `npm install --no-save` with the committed lock, not `npm ci`: with this machine's
  # npm settings the lock leaves out other platforms' optional packages (Tauri CLI
  # binaries), which `npm ci` counts as out of sync.
  (cd "$here/ui" && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
(cd "$here/ui" && npm run --silent build >/dev/null)
