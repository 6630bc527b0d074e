# Helpers shared by scripts/app.sh and scripts/test.sh (sourced, not run).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# `npm ci` in a folder unless its node_modules already matches its package-lock.json
# (npm keeps a copy of the lock it installed as node_modules/.package-lock.json).
npm_ci_if_stale() {
  local dir=$1
  if [[ -f "$dir/node_modules/.package-lock.json" && "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]]; then
    echo "npm: $dir/node_modules is up to date"
    return 0
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

# tauri-driver (crates.io) for the WebDriver tests, built once per machine.
ensure_tauri_driver() {
  if command -v tauri-driver >/dev/null 2>&1; then
    echo "tauri-driver: $(command -v tauri-driver)"
    return 0
  fi
  cargo install tauri-driver --version '^2' --locked
}
