#!/usr/bin/env bash
# The local API stage of scripts/test.sh (issue #17): `stateline` built, a Python venv of its own
# (target/pos-venv: schemathesis and its dependencies, pinned in tests/pos/requirements.txt), then
# against the real `stateline serve` and the pretend Metrc on loopback:
#   1. the contract (tests/pos/contract.sh): schemathesis with every check, nothing half-written;
#   2. the same with the clock moved a year ahead by libfaketime (nothing depends on the date);
#   3. the POS simulator (tests/pos/simulator.py): 1,000 sales rung while Metrc is down, each
#      201 only once committed, resends replayed, then the drain: each sale in Metrc exactly once
#      at its time of sale; then nothing half-written.
# Every process it starts is stopped at the end. Call it inside a private D-Bus session with an
# unlocked keychain: `dbus-run-session -- bash scripts/unlocked-keyring.sh PASSWORD bash tests/pos/run.sh`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/tests/pos/lib.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION=4.32.5
export POS_VENV=$ROOT/target/pos-venv

cargo build -p stateline-cli
# The venv is made again when the pinned list changed since it was installed.
requirements=$ROOT/tests/pos/requirements.txt
if [[ "$("$POS_VENV/bin/schemathesis" --version 2>/dev/null)" != *"$SCHEMATHESIS_VERSION" \
  || ! "$POS_VENV/installed.txt" -nt "$requirements" ]]; then
  rm -rf "$POS_VENV"
  if ! python3 -m venv "$POS_VENV"; then
    echo "pos: python3 cannot make a venv; install Debian's python3-venv (scripts/install-system-deps.sh)" >&2
    exit 1
  fi
  "$POS_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$POS_VENV/installed.txt"
fi

echo "--- pos: the contract"
bash tests/pos/contract.sh
echo "--- pos: the contract, the clock a year ahead"
bash tests/pos/contract.sh "+$((365 * 86400))s"

echo "--- pos: the simulator, 1,000 sales through an outage"
work=$(mktemp -d "$ROOT/target/pos-simulator.XXXXXX")
trap 'pos_stop || true; rm -rf "$work"' EXIT
pos_start "$work"
rc=0
python3 tests/pos/simulator.py --api "$POS_API_URL" --token "$POS_TOKEN" \
  --metrc "$POS_METRC_URL" --sales "${POS_SIMULATOR_SALES:-1000}" || rc=$?
pos_stop || rc=1
pos_integrity || rc=1
if (( rc != 0 )); then
  echo "pos: the simulator FAILED; serve's log ends:" >&2
  tail -n 30 "$work/serve.err" >&2
  exit "$rc"
fi
echo "pos: contract and simulator passed"
