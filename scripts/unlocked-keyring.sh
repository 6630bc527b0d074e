#!/usr/bin/env bash
# Runs a command with an unlocked gnome-keyring (the OS keychain the app and the tests use), in a
# throw-away keyring folder so a developer's keyrings are never touched. Call it inside a private
# D-Bus session: `dbus-run-session -- bash scripts/unlocked-keyring.sh PASSWORD COMMAND...`.
#
# gnome-keyring-daemon returns before it owns `org.freedesktop.secrets` on the bus. A client that
# calls the Secret Service in that gap makes D-Bus start a second daemon of its own: one with no
# password and the default keyring folder, which asks for a password through a prompt window and
# waits forever under Xvfb. So this waits until the unlocked daemon owns the name (30 s at most),
# proves the keychain with a secret-tool round trip, runs the command and removes the folder.
set -euo pipefail
password=$1
shift
keyrings=$(mktemp -d)
trap 'rm -rf "$keyrings"' EXIT

printf "%s" "$password" | XDG_DATA_HOME="$keyrings" gnome-keyring-daemon --unlock --components=secrets >/dev/null

secrets_owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"
}
for _ in $(seq 300); do
  secrets_owned && break
  sleep 0.1
done
secrets_owned || { echo "gnome-keyring did not take the Secret Service name on the bus within 30 s" >&2; exit 1; }

printf "round-trip" | secret-tool store --label="Stateline keychain check" service stateline-keychain-check account probe
[[ "$(secret-tool lookup service stateline-keychain-check account probe)" == "round-trip" ]] \
  || { echo "the keychain did not give back what was stored" >&2; exit 1; }
secret-tool clear service stateline-keychain-check account probe
echo "keychain: gnome-keyring unlocked, secret-tool round trip ok" >&2
"$@"
