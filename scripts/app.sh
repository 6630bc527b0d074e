#!/usr/bin/env bash
# Command 1: builds and starts the Stateline desktop app (debug build, the quickest to a window).
# On a fresh Debian 12, as root: installs the system packages, the UI's npm packages, builds the
# UI, then `cargo run -p stateline-app`. Needs a display (a desktop session, or X forwarding);
# without one, `xvfb-run -a bash scripts/app.sh` runs it on a virtual screen.
# Arguments are passed to the app.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "app.sh: no display (DISPLAY and WAYLAND_DISPLAY are unset)." >&2
  echo "  Run it in a desktop session, or on a virtual screen: xvfb-run -a bash scripts/app.sh" >&2
  exit 1
fi

bash scripts/install-system-deps.sh
npm_ci_if_stale ui
(cd ui && npm run build --silent)
exec cargo run -p stateline-app -- "$@"
