#!/usr/bin/env bash
# A store of two registers on one screen (issue #13). Starts, all of it throw-away:
#   - a private PostgreSQL cluster as the store server (its own folder and port, run as the
#     `postgres` user when started as root, listening on 127.0.0.1 only),
#   - one pretend Metrc (`stateline emulator`, demo seed) that both registers share,
#   - two Stateline windows in demo mode, each with its own data folder,
# prints what a manager types in Settings › Store server on each register, and on exit (both
# windows closed, or Ctrl-C) stops everything and removes the folders.
# Needs a display, like scripts/app.sh (`xvfb-run -a bash scripts/demo-store.sh` for a virtual one).
# STATELINE_DEMO_STORE_SMOKE=1 starts everything, checks it answers, and stops again (no windows).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

smoke=${STATELINE_DEMO_STORE_SMOKE:-}
if [[ -z "$smoke" && -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "demo-store.sh: no display (DISPLAY and WAYLAND_DISPLAY are unset)." >&2
  echo "  Run it in a desktop session, or on a virtual screen: xvfb-run -a bash scripts/demo-store.sh" >&2
  exit 1
fi

bash scripts/install-system-deps.sh
npm_ci_if_stale ui
(cd ui && npm run build --silent)
cargo build -p stateline-app -p stateline-cli

# A port on 127.0.0.1 nothing listens on (bash alone: no other tool needed on a fresh machine).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z "$pg_bin" ]]; then
  echo "demo-store.sh: PostgreSQL is not installed; scripts/install-system-deps.sh installs it" >&2
  exit 1
fi

work=$(mktemp -d /tmp/stateline-demo-store.XXXXXX)
chmod 755 "$work"
pg_dir="$work/pg"
mkdir -p "$pg_dir"
pg_port=$(free_port)
metrc_port=$(free_port)
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
as_pg=()
if [[ $(id -u) == 0 ]]; then
  as_pg=(runuser -u postgres --)
  chown postgres:postgres "$pg_dir"
fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
  echo "demo store stopped; its folders are removed"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '%s' "$password" > "$pg_dir/pwfile"
[[ ${#as_pg[@]} -gt 0 ]] && chown postgres:postgres "$pg_dir/pwfile"
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U stateline --auth=scram-sha-256 \
  --pwfile "$pg_dir/pwfile" -E UTF8 --no-locale >/dev/null
rm -f "$pg_dir/pwfile"
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null
PGPASSWORD="$password" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U stateline store

target/debug/stateline emulator --listen "127.0.0.1:$metrc_port" >"$work/metrc.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$metrc_port") 2>/dev/null && break
  sleep 0.2
done
metrc_url="http://127.0.0.1:$metrc_port"

cat <<EOF

A demo store is running:
  store server  PostgreSQL on 127.0.0.1, port $pg_port, database "store", user "stateline",
                password $password
  pretend Metrc $metrc_url (both registers)

In each window: create the manager (any name and PIN), then Settings › Store server: host
127.0.0.1, port $pg_port, database store, user stateline, the password above, and the register's
name ("Register 1" in the first window, "Register 2" in the second). Then watch:
  - log in as Bea (PIN 1234) at Register 1 and paste her demo key, demo-budtender-key-1111;
  - log in as Bea at Register 2 and skip the key prompt;
  - sell at Register 2: Register 1's count of that package goes down (Inventory), and the sale
    reaches Metrc under Bea's key from Register 1 (Sync at Register 2 shows it in Metrc);
  - the Store screen shows both registers, the backlog, and whose key is where.
Close both windows (or press Ctrl-C here) to stop the store and remove its folders.

EOF

if [[ -n "$smoke" ]]; then
  PGPASSWORD="$password" "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U stateline -d store -tAc 'SELECT 1' >/dev/null
  (exec 3<>"/dev/tcp/127.0.0.1/$metrc_port")
  echo "demo-store smoke: store server and pretend Metrc answer"
  exit 0
fi

for n in 1 2; do
  STATELINE_DATA_DIR="$work/register-$n" STATELINE_DEMO=1 STATELINE_DEMO_METRC_URL="$metrc_url" \
    target/debug/stateline-app >"$work/register-$n.log" 2>&1 &
  pids+=($!)
done
wait "${pids[1]}" "${pids[2]}" || true
