#!/usr/bin/env bash
# Long reliability runs (issue #16, "Reliability at scale"), recorded in RELIABILITY.md:
#   1. the seeded delivery simulation (crates/delivery/tests/delivery/simulation.rs) over
#      SOAK_SEEDS seeds (default 10000) from SOAK_FIRST_SEED (default 0), in chunks of SOAK_CHUNK
#      seeds (default 250), SOAK_JOBS chunks at a time (default 4: a seed mostly waits);
#   2. the sync kill loop (tests/crash/tests/crash/sync_kill_loop.rs): SOAK_KILLS SIGKILLs
#      (default 1000) of a process delivering to the Metrc emulator, in runs of SOAK_KILL_RUN
#      kills (default 250), each run on a fresh database with its own seed;
#   3. the multi-register store-fault suite (tests/store-faults: registers as processes against
#      one PostgreSQL store server, killed, paused, cut off, skewed) SOAK_STORE_RUNS times
#      (default 20), each with its own seed (SOAK_STORE_RUNS=0 skips it).
# The test binaries are built once (`cargo test --no-run`) and run directly, so a long run does
# not hold cargo's lock. Every run's output is kept under SOAK_LOG_DIR (default
# target/soak/<UTC time>). At the end the results table (seeds, kills, faults by class, lost,
# duplicated, wrong time, wrong key) is added to the top of SOAK_REPORT (default RELIABILITY.md)
# with the commit, date, machine and the duration of each part. Exits non-zero if anything failed
# (a failing seed, run or test is named in the report and its log kept).
# A smoke run: SOAK_SEEDS=50 SOAK_KILLS=10 SOAK_STORE_RUNS=1 bash scripts/soak.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
export CARGO_TERM_COLOR=never

SEEDS=${SOAK_SEEDS:-10000}
FIRST_SEED=${SOAK_FIRST_SEED:-0}
CHUNK=${SOAK_CHUNK:-250}
JOBS=${SOAK_JOBS:-4}
KILLS=${SOAK_KILLS:-1000}
KILL_RUN=${SOAK_KILL_RUN:-250}
KILL_SEED=${SOAK_KILL_SEED:-1600}
STORE_RUNS=${SOAK_STORE_RUNS:-20}
STORE_SEED=${SOAK_STORE_SEED:-1600}
REPORT=${SOAK_REPORT:-RELIABILITY.md}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOGS=${SOAK_LOG_DIR:-target/soak/$STAMP}
mkdir -p "$LOGS"

log() { echo "[$(date -u +%H:%M:%S)] $*"; }

# A test binary's path from the `Executable` lines cargo printed: `binary LOG SOURCE`.
binary() {
  local path
  path=$(sed -n "s|^ *Executable $2 (\(.*\))\$|\1|p" "$1" | tail -1)
  [[ -n "$path" && -x "$path" ]] || { echo "no test binary for $2 in $1" >&2; return 1; }
  echo "$path"
}

# The value of `key=` in a summary line.
field() { sed -n "s/.*[ :]$2=\([0-9]*\).*/\1/p" <<<"$1"; }

log "building the test binaries (logs: $LOGS)"
build_started=$SECONDS
packages=(-p stateline-delivery -p stateline-crash-tests)
if (( STORE_RUNS > 0 )); then packages+=(-p stateline-store-fault-tests); fi
if ! cargo test --no-run "${packages[@]}" >"$LOGS/build.log" 2>&1; then
  tail -30 "$LOGS/build.log" >&2
  echo "the build failed: $LOGS/build.log" >&2
  exit 1
fi
SIM_BIN=$(binary "$LOGS/build.log" tests/delivery/main.rs)
CRASH_BIN=$(binary "$LOGS/build.log" tests/crash/main.rs)
if (( STORE_RUNS > 0 )); then STORE_BIN=$(binary "$LOGS/build.log" tests/store_faults/main.rs); fi
build_secs=$((SECONDS - build_started))
commit=$(git rev-parse HEAD)
dirty=$(git status --porcelain --untracked-files=no | wc -l)
failures=()

# 1. The simulation, in chunks run side by side.
log "simulation: $SEEDS seeds from $FIRST_SEED, chunks of $CHUNK, $JOBS at a time"
sim_started=$SECONDS
run_chunk() {
  local first=$1 n=$2 out="$LOGS/simulation-$1.log" rc=0
  STATELINE_SIM_FIRST_SEED=$first STATELINE_SIM_SEEDS=$n "$SIM_BIN" --exact \
    simulation::seeded_simulation_metrc_ledger_equals_local_ledger --nocapture >"$out" 2>&1 || rc=$?
  echo "$rc" >"$out.rc"
}
next=$FIRST_SEED
end=$((FIRST_SEED + SEEDS))
while (( next < end )); do
  while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n || true; done
  n=$(( end - next < CHUNK ? end - next : CHUNK ))
  run_chunk "$next" "$n" &
  next=$((next + n))
done
wait
sim_secs=$((SECONDS - sim_started))
declare -A drew=()
sim_seeds=0 sim_failed=0
for out in "$LOGS"/simulation-*.log; do
  line=$(grep -m1 '^simulation-summary:' "$out" || true)
  if [[ -z "$line" || $(cat "$out.rc") != 0 && $(field "$line" failed) == 0 ]]; then
    failures+=("simulation chunk $(basename "$out" .log) did not finish (exit $(cat "$out.rc")): $out")
    continue
  fi
  sim_seeds=$((sim_seeds + $(field "$line" seeds)))
  sim_failed=$((sim_failed + $(field "$line" failed)))
  for pair in ${line#*failed=*[0-9] }; do
    drew[${pair%%=*}]=$(( ${drew[${pair%%=*}]:-0} + ${pair#*=} ))
  done
  while read -r seed; do
    failures+=("simulation seed $seed failed (replay: STATELINE_SIM_SEED=$seed cargo test -p stateline-delivery --test delivery simulation): $out")
  done < <(sed -n 's/^seed \([0-9]*\) FAILED.*/\1/p' "$out")
done
log "simulation: $sim_seeds seeds, $sim_failed failed, ${sim_secs}s"

# 2. The sync kill loop, in runs on fresh databases.
log "sync kill loop: $KILLS kills in runs of $KILL_RUN"
kill_started=$SECONDS
kills=0 mid_send=0 records=0 sales=0 adjustments=0 lost=0 duplicated=0 wrong_time=0 wrong_key=0
kill_other=0 kill_runs=0 left_at_end=0
left=$KILLS run=0
while (( left > 0 )); do
  n=$(( left < KILL_RUN ? left : KILL_RUN ))
  seed=$((KILL_SEED + run))
  out="$LOGS/sync-kill-loop-$seed.log" rc=0
  STATELINE_SYNC_KILLS=$n STATELINE_SYNC_SEED=$seed "$CRASH_BIN" --exact \
    sync_kill_loop::sync_kill_loop_delivers_everything_once_with_its_time_and_key --nocapture >"$out" 2>&1 || rc=$?
  line=$(grep -m1 '^sync-kill-loop:' "$out" || true)
  if [[ -z "$line" ]]; then
    failures+=("sync kill loop seed $seed did not finish (exit $rc): $out")
  else
    kills=$((kills + $(field "$line" kills)))
    mid_send=$((mid_send + $(field "$line" mid_send)))
    left_at_end=$((left_at_end + $(field "$line" left_at_end)))
    records=$((records + $(field "$line" records)))
    sales=$((sales + $(field "$line" sales)))
    adjustments=$((adjustments + $(field "$line" adjustments)))
    lost=$((lost + $(field "$line" lost)))
    duplicated=$((duplicated + $(field "$line" duplicated)))
    wrong_time=$((wrong_time + $(field "$line" wrong_time)))
    wrong_key=$((wrong_key + $(field "$line" wrong_key)))
    kill_other=$((kill_other + $(field "$line" unknown) + $(field "$line" unconfirmed) + $(field "$line" quantity_mismatch)))
    (( rc == 0 )) || failures+=("sync kill loop seed $seed failed (replay: STATELINE_SYNC_SEED=$seed STATELINE_SYNC_KILLS=$n cargo test -p stateline-crash-tests --test crash sync_kill_loop): $out")
  fi
  kill_runs=$((kill_runs + 1))
  left=$((left - n)) run=$((run + 1))
done
kill_secs=$((SECONDS - kill_started))
log "sync kill loop: $kills kills, $records records, lost $lost, duplicated $duplicated, wrong time $wrong_time, wrong key $wrong_key, ${kill_secs}s"

# 3. The multi-register store-fault suite, once per seed.
store_started=$SECONDS
store_passed=0 store_failed=0 store_tests=0 store_sales=0 store_handed=0
for (( i = 0; i < STORE_RUNS; i++ )); do
  seed=$((STORE_SEED + i))
  out="$LOGS/store-faults-$seed.log" rc=0
  log "store faults: run $((i + 1)) of $STORE_RUNS (seed $seed)"
  STATELINE_STORE_FAULT_SEED=$seed "$STORE_BIN" --nocapture >"$out" 2>&1 || rc=$?
  result=$(grep -m1 '^test result:' "$out" || true)
  store_tests=$((store_tests + $(sed -n 's/.* \([0-9]*\) passed.*/\1/p' <<<"$result" | grep . || echo 0)))
  store_sales=$((store_sales + $(grep -o 'sales: [0-9]*' "$out" | awk '{s += $2} END {print s + 0}')))
  store_handed=$((store_handed + $(grep -o 'handed_over: [0-9]*' "$out" | awk '{s += $2} END {print s + 0}')))
  if (( rc == 0 )); then
    store_passed=$((store_passed + 1))
  else
    store_failed=$((store_failed + 1))
    failures+=("store-fault suite seed $seed failed (replay: STATELINE_STORE_FAULT_SEED=$seed cargo test -p stateline-store-fault-tests): $out")
  fi
done
store_secs=$((SECONDS - store_started))
(( STORE_RUNS == 0 )) || log "store faults: $store_passed of $STORE_RUNS runs passed, ${store_secs}s"

# The report.
zero_or() { if (( $1 == 0 )); then echo 0; else echo "**$1**"; fi; }
if (( ${#failures[@]} == 0 )); then verdict="all passed"; else verdict="**${#failures[@]} FAILURE(S)**"; fi
if (( SEEDS >= 10000 && KILLS >= 1000 )); then scale="full soak"; else scale="smoke (below the issue's 10,000 seeds / 1,000 kills)"; fi
classes=""
for class in $(printf '%s\n' "${!drew[@]}" | sort); do classes+="${class//_/ } ${drew[$class]}, "; done
classes=${classes%, }
if (( STORE_RUNS > 0 )); then
  if (( store_failed == 0 )); then store_zero=0; else store_zero="see failures"; fi
  store_row="| Multi-register store faults | $STORE_RUNS suite runs of 4 tests ($store_tests tests passed, $store_failed runs failed); $store_sales sales checked, $store_handed handed over | store server killed, registers cut off from store or Metrc, registers SIGKILLed mid-push and mid-delivery, lease holder paused past its lease, clocks skewed, key rotated | $store_zero | $store_zero | $store_zero | $store_zero | ${store_secs}s |"
else
  store_row="| Multi-register store faults | not run (SOAK_STORE_RUNS=0) | | | | | | |"
fi
section=$(cat <<EOF
## $(date -u '+%Y-%m-%d %H:%M UTC'): $scale, $verdict

- Commit: \`$commit\`$( (( dirty == 0 )) || echo " (the working tree also held $dirty uncommitted changed files of work in progress)")
- Machine: $(uname -sr), $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB; other builds were running on it
- Durations: build ${build_secs}s, simulation ${sim_secs}s ($JOBS chunks of $CHUNK seeds at a time), sync kill loop ${kill_secs}s, store faults ${store_secs}s
- Logs: \`$LOGS\` (not kept in the repository)

| Part | Volume | Faults | Lost | Duplicated | Wrong time | Wrong key | Duration |
|---|---|---|---|---|---|---|---|
| Delivery simulation | $sim_seeds seeds ($FIRST_SEED–$((FIRST_SEED + SEEDS - 1))), $sim_failed failed | seeds that drew each class: $classes | $(zero_or "$sim_failed") | $(zero_or "$sim_failed") | $(zero_or "$sim_failed") | $(zero_or "$sim_failed") | ${sim_secs}s |
| Sync kill loop | $kills SIGKILLs of a syncing process in $kill_runs runs (seeds $KILL_SEED–$((KILL_SEED + kill_runs - 1))); $records records ($sales sales, $adjustments adjustments; $((records - left_at_end)) delivered by the killed syncers, $left_at_end by the final drain) | SIGKILL ($mid_send with records claimed mid-send), Metrc latency, committed writes never answered | $(zero_or "$lost") | $(zero_or "$duplicated") | $(zero_or "$wrong_time") | $(zero_or "$wrong_key") | ${kill_secs}s |
$store_row

A simulation seed fails on any lost, duplicated, late-timed or refused record or a wrong package
quantity, so its lost/duplicated/wrong-time/wrong-key columns count failed seeds. The kill loop
counts each record ($(zero_or "$kill_other") other mismatches: records Metrc holds that the register never made, records
not confirmed, package quantities). The store-fault oracle fails a run on any of the four.
EOF
)
if (( ${#failures[@]} > 0 )); then
  section+=$'\n\nFailures:\n'
  for f in "${failures[@]}"; do section+="- $f"$'\n'; done
fi

marker='<!-- soak runs, newest first (scripts/soak.sh adds them) -->'
if [[ ! -f "$REPORT" ]] || ! grep -qF "$marker" "$REPORT"; then
  cat >"$REPORT" <<EOF
# Reliability

Long runs of the reliability suites (issue #16), written by \`scripts/soak.sh\`: the seeded
delivery simulation against the Metrc emulator with random faults, SIGKILLs of a process
delivering records, and the multi-register store-fault suite. Every record must reach Metrc
exactly once, with its original time, under its maker's key. CI runs the same tests at a smaller
size on every change (200 simulation seeds, 100 kills, the store-fault suite once).

Run it: \`bash scripts/soak.sh\` (a few hours on two cores); a smoke run:
\`SOAK_SEEDS=50 SOAK_KILLS=10 SOAK_STORE_RUNS=1 bash scripts/soak.sh\`. A failure names the seed
to replay.

$marker
EOF
fi
# The new section goes right below the marker, above the earlier runs.
SECTION=$section awk -v marker="$marker" '
  { print }
  $0 == marker { print ""; print ENVIRON["SECTION"] }
' "$REPORT" >"$REPORT.new"
mv "$REPORT.new" "$REPORT"
log "report: $REPORT ($verdict)"
for f in "${failures[@]}"; do echo "FAILED: $f" >&2; done
(( ${#failures[@]} == 0 ))
