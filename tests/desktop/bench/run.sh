#!/usr/bin/env bash
# Measures the UI figures of SPEC section 9 on the release app (see ui-bench.mjs and BENCHMARKS.md,
# "Desktop app"); `run.sh shift` measures memory over a simulated shift instead (shift-bench.mjs,
# issue #15). Not part of CI: the release build (LTO, one codegen unit) takes long. Builds
# target/release/stateline-app (quick when up to date), then runs the measurement under Xvfb (when
# there is no DISPLAY) inside a private D-Bus session with a throw-away unlocked keyring, like the
# end-to-end suite. Its process group is killed on the way out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -z "${STATELINE_APP:-}" ]]; then
  (cd ../.. && cargo build -p stateline-app --release && cargo build -p stateline-cli)
fi
export NO_AT_BRIDGE=1

script=bench/ui-bench.mjs
if [[ "${1:-}" == "shift" ]]; then
  script=bench/shift-bench.mjs
  shift
fi
runner=(dbus-run-session -- bash lib/with-keyring.sh node "$script")
if [[ -z "${DISPLAY:-}" ]]; then
  # A random first display number: two runs starting at once would both try :99.
  runner=(xvfb-run -a -n $((100 + RANDOM % 800)) -s "-screen 0 1280x1024x24" "${runner[@]}")
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

setsid timeout --kill-after=10 "${BENCH_TIMEOUT:-900}" "${runner[@]}" "$@" &
group=$!
wait "$group"
