# Shared by tests/pos/contract.sh and tests/pos/run.sh (sourced, not run): a throw-away register
# for the local API — the pretend Metrc (`stateline emulator`, demo seed), a fresh data folder with
# a manager (Max) and a budtender (Bea) whose demo keys are in the keychain, `stateline serve` in
# demo mode against that Metrc on a free loopback port, and a token of every scope.
# Needs an unlocked keychain (run inside `dbus-run-session -- bash scripts/unlocked-keyring.sh`).
# Every process started here is stopped by pos_stop (also on EXIT through the caller's trap).

POS_BIN=${POS_BIN:-$ROOT/target/debug/stateline}
POS_MANAGER_PIN=864213
POS_BUDTENDER_PIN=975319
POS_PIDS=()

# Waits until FILE has a line starting with PREFIX and prints the URL on it (30 s at most).
pos_wait_url() {
  local file=$1 prefix=$2 pid=$3
  for _ in $(seq 300); do
    if grep -q "^$prefix" "$file" 2>/dev/null; then
      grep -m1 "^$prefix" "$file" | grep -o 'https\?://[^ ]*'
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "pos: no '$prefix' line in $file:" >&2
  cat "$file" "${file%.out}.err" >&2 2>/dev/null || true
  return 1
}

# pos_start WORK [PREFIX...]: everything above in folder WORK; PREFIX (e.g. `env FAKETIME=… LD_PRELOAD=…`)
# goes before every Stateline process. Sets POS_METRC_URL, POS_API_URL, POS_TOKEN, POS_DATA.
pos_start() {
  local work=$1
  shift
  local prefix=("$@")
  POS_PREFIX=("${prefix[@]}")
  POS_DATA=$work/data
  mkdir -p "$work"
  "${prefix[@]}" "$POS_BIN" emulator --listen 127.0.0.1:0 >"$work/metrc.out" 2>"$work/metrc.err" &
  POS_PIDS+=($!)
  POS_METRC_URL=$(pos_wait_url "$work/metrc.out" "listening on" $!)
  local st=("${prefix[@]}" "$POS_BIN" --data-dir "$POS_DATA")
  echo "$POS_MANAGER_PIN" | "${st[@]}" user add --name Max --role manager >/dev/null
  printf '%s\n%s\n' "$POS_MANAGER_PIN" "$POS_BUDTENDER_PIN" \
    | "${st[@]}" user add --name Bea --role budtender --as Max >/dev/null
  printf '%s\n%s\n' "$POS_MANAGER_PIN" demo-manager-key-2222 \
    | STATELINE_VENDOR_KEY=demo-vendor-key-00000000 "${st[@]}" key set --as Max \
      --environment demo --metrc-url "$POS_METRC_URL" >/dev/null
  # Bea's demo user lacks some Metrc permissions: `key set` says so and exits 1, and saves it.
  printf '%s\n%s\n' "$POS_MANAGER_PIN" demo-budtender-key-1111 \
    | STATELINE_VENDOR_KEY=demo-vendor-key-00000000 "${st[@]}" key set --as Max --for Bea \
      --environment demo --metrc-url "$POS_METRC_URL" >/dev/null || true
  "${st[@]}" serve --demo --demo-metrc-url "$POS_METRC_URL" --port 0 \
    >"$work/serve.out" 2>"$work/serve.err" &
  POS_SERVE_PID=$!
  POS_PIDS+=($POS_SERVE_PID)
  POS_API_URL=$(pos_wait_url "$work/serve.out" "listening on" $POS_SERVE_PID)
  POS_TOKEN=$(echo "$POS_MANAGER_PIN" \
    | "${st[@]}" --json integrations add --name "POS test" --scope all --by Max \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
  echo "pos: Metrc $POS_METRC_URL, local API $POS_API_URL, data $POS_DATA"
}

# Stops `stateline serve` with SIGTERM (it must exit 0 and say `stopped`), then the rest.
pos_stop() {
  local rc=0
  if [[ -n "${POS_SERVE_PID:-}" ]] && kill -0 "$POS_SERVE_PID" 2>/dev/null; then
    kill -TERM "$POS_SERVE_PID"
    if ! wait "$POS_SERVE_PID"; then
      echo "pos: stateline serve did not exit cleanly on SIGTERM" >&2
      rc=1
    fi
  fi
  POS_SERVE_PID=
  local pid
  for pid in "${POS_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${POS_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  POS_PIDS=()
  return $rc
}

# Nothing half-written in the data folder (run after pos_stop): SQLite's own checks, every
# outbox entry with its record, every POS ticket with its entry, and the audit chain.
pos_integrity() {
  python3 "$ROOT/tests/pos/integrity.py" "$POS_DATA/stateline.sqlite"
  "${POS_PREFIX[@]}" "$POS_BIN" --data-dir "$POS_DATA" audit verify
}
