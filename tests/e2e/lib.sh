# Shell helpers for the end-to-end runners and benchmarks (source it).

# Install the e2e npm packages when missing or older than the lock.
e2e_npm_install() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error)
  fi
}

# Start Xvfb on a free display, export DISPLAY, and stop it when the shell exits.
start_xvfb() {
  local n
  n=$(for d in $(seq 90 140); do [ -e /tmp/.X11-unix/X$d ] || [ -e /tmp/.X$d-lock ] || { echo "$d"; break; }; done)
  Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  trap 'kill $XVFB_PID 2>/dev/null || true' EXIT
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
  export DISPLAY=":$n"
}
