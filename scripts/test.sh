#!/usr/bin/env bash
# Command 2: everything CI checks, in order, on a fresh Debian 12 as root:
#   system packages, tauri-driver, npm packages; UI typecheck, unit tests, build;
#   cargo fmt, clippy; Rust tests inside a D-Bus session with an unlocked gnome-keyring (the real
#   keychain); the date-sensitive suites again with the clock moved by libfaketime (a year ahead,
#   a daylight-saving change in Denver, New Year's Eve; scripts/date-travel.sh); the local API
#   against the real `stateline serve` (tests/pos/run.sh: schemathesis's contract checks, also with
#   the clock a year ahead, and a POS simulator ringing 1,000 sales through a Metrc outage); the app's debug
#   build; the demo store's smoke run (scripts/demo-store.sh starts its store server and pretend
#   Metrc, checks they answer, stops them); the desktop end-to-end suite under Xvfb over WebDriver;
#   the package (tests/package/install.sh: the release .deb built, installed with apt-get, one
#   journey driven against the installed app, removed); the upgrade (tests/package/upgrade.sh: the
#   package of the commit before the packaging work installed, sales made offline, the new package
#   installed over it, the same sales drained once with their original times).
# Every stage runs once. A stage whose prerequisite failed is skipped. Ends with a summary and
# exits non-zero if anything failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# A run from a fresh clone gains nothing from incremental caches; they would only take disk.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

disk_free() { df -h --output=avail . | tail -1 | tr -d ' '; }

names=() results=() durations=()
declare -A status=()

# stage NAME "PREREQ1 PREREQ2" COMMAND... — runs COMMAND unless a prerequisite did not pass.
stage() {
  local name=$1 prereqs=$2
  shift 2
  local p
  for p in $prereqs; do
    if [[ "${status[$p]:-}" != pass ]]; then
      names+=("$name") results+=("SKIP (needs $p)") durations+=(0)
      status[$name]=skip
      echo "=== $name: skipped, $p did not pass"
      return 0
    fi
  done
  echo
  echo "=== $name: $*"
  local start=$SECONDS rc=0
  "$@" || rc=$?
  local took=$((SECONDS - start))
  names+=("$name") durations+=("$took")
  if (( rc == 0 )); then
    results+=(PASS) status[$name]=pass
  else
    results+=("FAIL (exit $rc)") status[$name]=fail
  fi
  echo "=== $name: ${results[-1]} in ${took}s (disk free: $(disk_free))"
}

# The Rust tests need the Secret Service (the OS keychain): a private D-Bus session bus with
# gnome-keyring unlocked in a keyring folder of its own (scripts/unlocked-keyring.sh).
rust_tests_with_keychain() {
  dbus-run-session -- bash scripts/unlocked-keyring.sh stateline-test cargo test --workspace --no-fail-fast
}

stage system-deps "" bash scripts/install-system-deps.sh
if [[ "${status[system-deps]}" != pass ]]; then
  echo "system packages could not be installed; nothing else can run" >&2
  exit 1
fi
stage tauri-driver "" ensure_tauri_driver
stage npm-ci "" bash -c "source scripts/lib.sh && npm_ci_if_stale ui && npm_ci_if_stale tests/desktop"
stage ui-typecheck "npm-ci" npm --prefix ui run --silent typecheck
stage ui-test "npm-ci" npm --prefix ui run --silent test
stage ui-build "npm-ci" npm --prefix ui run --silent build
stage cargo-fmt "" cargo fmt --all --check
stage cargo-clippy "ui-build" cargo clippy --workspace --all-targets -- -D warnings
stage cargo-test "ui-build" rust_tests_with_keychain
stage date-travel "cargo-test ui-test" \
  dbus-run-session -- bash scripts/unlocked-keyring.sh stateline-travel bash scripts/date-travel.sh
stage pos-api "" \
  dbus-run-session -- bash scripts/unlocked-keyring.sh stateline-pos bash tests/pos/run.sh
stage app-build "ui-build" cargo build -p stateline-app
stage demo-store "app-build" env STATELINE_DEMO_STORE_SMOKE=1 bash scripts/demo-store.sh
stage desktop-e2e "app-build tauri-driver npm-ci" bash tests/desktop/run.sh
stage package "ui-build tauri-driver npm-ci" bash tests/package/install.sh
stage package-upgrade "package" bash tests/package/upgrade.sh

echo
echo "================ summary ================"
failed=0
for i in "${!names[@]}"; do
  printf '%-14s %-22s %5ss\n' "${names[$i]}" "${results[$i]}" "${durations[$i]}"
  [[ "${results[$i]}" == PASS ]] || failed=1
done
echo "total: ${SECONDS}s, disk free at the end: $(disk_free), target/: $(du -sh target 2>/dev/null | cut -f1)"
if (( failed )); then
  echo "RESULT: FAILED"
  exit 1
fi
echo "RESULT: all stages passed"
