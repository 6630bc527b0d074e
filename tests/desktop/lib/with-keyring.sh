#!/usr/bin/env bash
# Runs a command with the OS keychain the app needs (the demo manager's key and every pasted key
# live there): call it under `dbus-run-session`. The unlocking, the wait for the daemon to own the
# bus name and the round-trip check are scripts/unlocked-keyring.sh's.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/unlocked-keyring.sh" stateline-e2e "$@"
