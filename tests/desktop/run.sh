#!/usr/bin/env bash
# Runs the desktop end-to-end suite against the built debug app (target/debug/stateline-app).
# Without a DISPLAY it starts one with xvfb-run. It runs inside a private D-Bus session with
# gnome-keyring unlocked in a throw-away folder (lib/with-keyring.sh), since the app keeps Metrc keys
# in the OS keychain. Each test starts the app with a fresh data folder. The whole run is bounded (E2E_TIMEOUT seconds),
# runs in a process group of its own, and that group (node, tauri-driver, WebKitWebDriver, the app)
# is killed on the way out, whatever happened.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

E2E_TIMEOUT=${E2E_TIMEOUT:-420}
# No accessibility bus here; without this GTK waits for one and warns. (Do not set
# WEBKIT_DISABLE_COMPOSITING_MODE: under Xvfb it makes WebKitWebDriver's screenshots hang.)
export NO_AT_BRIDGE=1

runner=(dbus-run-session -- bash lib/with-keyring.sh node --test --test-concurrency=1 --test-timeout=240000)
if [[ -z "${DISPLAY:-}" ]]; then
  runner=(xvfb-run -a -s "-screen 0 1280x1024x24" "${runner[@]}")
fi

group=""
cleanup() {
  if [[ -n "$group" ]]; then
    kill -TERM -- "-$group" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$group" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

setsid timeout --kill-after=10 "$E2E_TIMEOUT" "${runner[@]}" "$@" &
group=$!
wait "$group"
