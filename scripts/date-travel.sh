#!/usr/bin/env bash
# The date-travel stage of scripts/test.sh: runs the date-sensitive suites again with the process
# clock moved far from today by libfaketime (Debian package `faketime`), so a test or a demo that
# only works near the day it was written fails here. Call it inside a private D-Bus session with an
# unlocked keychain (the CLI tests need one): `dbus-run-session -- bash scripts/unlocked-keyring.sh
# PASSWORD bash scripts/date-travel.sh`.
#
# Each trip is an offset from the real now (FAKETIME="+Ns"), so the clock keeps running from the
# chosen instant; the monotonic clock is left alone (timers and timeouts stay real) and so are file
# times (cargo's freshness checks). Every process runs with TZ=America/Denver, the demo licence's
# zone, so "local" dates are Denver's. The trips:
#   year-ahead   365 days from now;
#   dst-fall     three minutes before America/Denver's clocks go back (first Sunday of November
#                of next year, 02:00 MDT = 08:00 UTC), so the change happens during the run;
#   new-years    23:30 on New Year's Eve in Denver (06:30 UTC on 1 January): the local date and
#                the UTC date differ, and so do the local and UTC years.
# The suites: the UI unit tests (Vitest), and the Rust test binaries in DATE_TRAVEL_TESTS (built
# before any trip, without faketime, then run directly with it), each as `package:binary` and
# optionally `:module,module` to run only those test modules of a crate's one test binary; the
# clock's own `date_travel` module checks that the clock really reads the moved instant.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

DATE_TRAVEL_TESTS=(
  "stateline-clock:clock:date_travel"
  "stateline-api:api:journeys,demo,compliance,patients"
  "stateline-store:store:deadlines,backups"
  "stateline-compliance:compliance:outage,reconcile,reconcile_voids"
  "stateline-delivery:delivery:inventory_refresh"
  "stateline-cli:cli:cli,compliance,backup"
  "stateline-pos:pos:records,stream,medical,tokens,door"
)

libfaketime=$(dpkg-query -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -n1 || true)
if [[ -z "$libfaketime" || ! -f "$libfaketime" ]]; then
  echo "date-travel: libfaketime is not installed (run scripts/install-system-deps.sh)" >&2
  exit 1
fi

# The Rust test binaries, listed from cargo's JSON messages. `--workspace`, as the cargo-test
# stage builds them (the workspace's features, e.g. the core's `demo`), so nothing is rebuilt.
binaries=$(cargo test --workspace --no-run --message-format=json \
  | WANTED="${DATE_TRAVEL_TESTS[*]}" node -e '
    const wanted = new Map(process.env.WANTED.split(" ").map((w) => {
      const [pkg, bin, modules = ""] = w.split(":");
      return [`${pkg}:${bin}`, modules.split(",").filter(Boolean).map((m) => `${m}::`).join(" ")];
    }));
    const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
    for (const line of lines) {
      const m = JSON.parse(line);
      if (m.reason !== "compiler-artifact" || !m.executable || !m.target.kind.includes("test")) continue;
      const key = `${m.package_id.match(/[#/]([^#/@]+)@/)?.[1] ?? ""}:${m.target.name}`;
      if (wanted.has(key)) {
        console.log(`${require("path").dirname(m.manifest_path)}\t${m.executable}\t${wanted.get(key)}`);
      }
    }')
count=$(grep -c . <<<"$binaries" || true)
if (( count != ${#DATE_TRAVEL_TESTS[@]} )); then
  echo "date-travel: expected ${#DATE_TRAVEL_TESTS[@]} test binaries, cargo built $count" >&2
  exit 1
fi

now=$(date -u +%s)
next_year=$(( $(date -u +%Y) + 1 ))
# The first Sunday of November next year; Denver's clocks go back at 08:00 UTC that morning.
for day in 1 2 3 4 5 6 7; do
  if [[ $(date -u -d "$next_year-11-0$day" +%u) == 7 ]]; then fall_back_day="$next_year-11-0$day"; fi
done
dst_fall=$(( $(date -u -d "$fall_back_day 08:00:00" +%s) - 180 ))
new_years=$(date -u -d "$next_year-01-01 06:30:00" +%s)
if (( new_years <= now )); then new_years=$(date -u -d "$((next_year + 1))-01-01 06:30:00" +%s); fi

trips=(
  "year-ahead $(( now + 365 * 86400 ))"
  "dst-fall $dst_fall"
  "new-years $new_years"
)

failed=()
for trip in "${trips[@]}"; do
  name=${trip%% *}
  at=${trip##* }
  offset=$(( at - $(date -u +%s) ))
  travel=(env TZ=America/Denver FAKETIME="+${offset}s" FAKETIME_DONT_FAKE_MONOTONIC=1 NO_FAKE_STAT=1
    STATELINE_TRAVELLED_TO="$at" LD_PRELOAD="$libfaketime")
  echo
  echo "--- date-travel $name: the clock reads $("${travel[@]}" date '+%Y-%m-%d %H:%M:%S %Z')" \
    "($(date -u -d "@$at" '+%Y-%m-%d %H:%M UTC'))"
  if ! "${travel[@]}" npm --prefix ui run --silent test; then failed+=("$name: ui tests"); fi
  while IFS=$'\t' read -r dir binary filters; do
    read -r -a filter_args <<<"$filters"
    echo "--- date-travel $name: $(basename "$binary") ${filters:-(all)}"
    if ! (cd "$dir" && "${travel[@]}" "$binary" "${filter_args[@]}"); then
      failed+=("$name: $(basename "$binary") $filters")
    fi
  done <<<"$binaries"
done

echo
if (( ${#failed[@]} )); then
  echo "date-travel: failed under a moved clock:"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "date-travel: every suite passed on all ${#trips[@]} dates"
