#!/usr/bin/env bash
# Runs the desktop end-to-end suite against the built debug app (target/debug/stateline-app).
# Without a DISPLAY it starts one with xvfb-run (1920×1200, so journey 8 can size the window up to
# 1920×1080). It runs inside a private D-Bus session with
# gnome-keyring unlocked in a throw-away folder (lib/with-keyring.sh), since the app keeps Metrc keys
# in the OS keychain. Each test starts the app with a fresh data folder and its own tauri-driver on
# free ports. The whole run is bounded (E2E_TIMEOUT seconds); on the way out, whatever happened,
# its process group is killed and so is every process marked as this run's (lib/run-marker.sh:
# tauri-driver, WebKitWebDriver and the app live in process groups of their own).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

E2E_TIMEOUT=${E2E_TIMEOUT:-360}
# No accessibility bus here; without this GTK waits for one and warns. (Do not set
# WEBKIT_DISABLE_COMPOSITING_MODE: under Xvfb it makes WebKitWebDriver's screenshots hang.)
export NO_AT_BRIDGE=1

runner=(dbus-run-session -- bash lib/with-keyring.sh node --test --test-concurrency=1 --test-timeout=240000)
if [[ -z "${DISPLAY:-}" ]]; then
  # A random first display number: two runs starting at once would both try :99.
  runner=(xvfb-run -a -n $((100 + RANDOM % 800)) -s "-screen 0 1920x1200x24" "${runner[@]}")
fi

# shellcheck source=lib/run-marker.sh
source lib/run-marker.sh
group=""
cleanup() {
  if [[ -n "$group" ]]; then
    kill -TERM -- "-$group" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$group" 2>/dev/null || true
  fi
  kill_marked
}
trap cleanup EXIT INT TERM

setsid timeout --kill-after=10 "$E2E_TIMEOUT" "${runner[@]}" "$@" &
group=$!
wait "$group"
