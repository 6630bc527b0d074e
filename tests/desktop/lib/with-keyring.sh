#!/usr/bin/env bash
# Runs a command with the OS keychain the app needs (the demo manager's key and every pasted key
# live there): call it under `dbus-run-session`; it unlocks gnome-keyring in a throw-away keyring
# folder (a developer's keyrings are never touched), proves it with a secret-tool round trip, runs
# the command and removes the folder afterwards.
set -euo pipefail
keyrings=$(mktemp -d)
trap 'rm -rf "$keyrings"' EXIT
printf "stateline-e2e" | XDG_DATA_HOME="$keyrings" gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf "round-trip" | secret-tool store --label="Stateline e2e check" service stateline-e2e-check account probe
[[ "$(secret-tool lookup service stateline-e2e-check account probe)" == "round-trip" ]] \
  || { echo "the keychain did not give back what was stored" >&2; exit 1; }
secret-tool clear service stateline-e2e-check account probe
"$@"
