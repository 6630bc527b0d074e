#!/usr/bin/env bash
# Installs the Debian 12 packages Stateline needs to build, run and test the desktop app:
# WebKitGTK and friends for Tauri, Xvfb and WebKitWebDriver for the end-to-end suite, and
# D-Bus + gnome-keyring + secret-tool for the real keychain in tests, libfaketime for the
# date-travel stage of scripts/test.sh, WeasyPrint and pdftotext for the desktop suite's printed
# receipt, and PostgreSQL (15, Debian's) whose binaries the store-link
# tests use to start private throw-away clusters (crates/testkit/src/postgres.rs; the package's
# own cluster is never used).
# Idempotent and fast on reruns: it asks dpkg first and only calls apt-get for what is missing.
# Run as root (no sudo needed); with a non-root user it uses sudo if there is one.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config file curl ca-certificates
  libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb xauth webkit2gtk-driver
  dbus dbus-x11 gnome-keyring libsecret-tools
  faketime
  weasyprint poppler-utils
  postgresql
  python3 python3-venv
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

# Node.js >= 20 is expected from the machine (Debian 12's own nodejs is 18, too old for Vite).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 \
  || (( $(node -p 'process.versions.node.split(".")[0]') < 20 )); then
  echo "install-system-deps: Node.js 20 or newer with npm is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if (( ${#missing[@]} == 0 )); then
  echo "install-system-deps: all ${#PACKAGES[@]} packages already present"
  exit 0
fi

SUDO=()
if (( EUID != 0 )); then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "install-system-deps: must run as root to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q "${missing[@]}"
