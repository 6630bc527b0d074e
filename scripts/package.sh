#!/usr/bin/env bash
# Builds Stateline's installable packages: a release build of the app (the UI built into ui/dist
# and embedded) bundled by the Tauri bundler from the npm package @tauri-apps/cli
# (tests/package/package.json; nothing is downloaded but npm packages and crates). The bundles are
# `deb` and `rpm` by default (STATELINE_BUNDLES, space-separated); both are written by the bundler
# itself, offline. AppImage is not built: its bundler downloads linuxdeploy. Windows (NSIS, MSI)
# and macOS (.app, .dmg) are configured in src-tauri/tauri.conf.json but can only be built on
# those systems.
#
# Prints the paths of the packages it built, one per line, on stdout (the build's own output goes
# to stderr). The packages land in $CARGO_TARGET_DIR/release/bundle/<kind>/ (target/ by default).
#
# STATELINE_PACKAGE_SRC=DIR bundles another checkout of Stateline (tests/package/upgrade.sh builds
# the commit before the packaging work this way) with this checkout's bundle settings, and
# STATELINE_PACKAGE_VERSION=V gives the package that version.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$(cd "${STATELINE_PACKAGE_SRC:-$ROOT}" && pwd)
read -r -a bundles <<<"${STATELINE_BUNDLES:-deb rpm}"
target=${CARGO_TARGET_DIR:-$SRC/target}

{
  npm_ci_if_stale "$ROOT/tests/package"
  npm_ci_if_stale "$SRC/ui"
  npm --prefix "$SRC/ui" run --silent build

  config=()
  if [[ "$SRC" != "$ROOT" || -n "${STATELINE_PACKAGE_VERSION:-}" ]]; then
    # This checkout's bundle section (and main binary name), merged over the other checkout's
    # configuration, with the version asked for; of its icons, those the other checkout has.
    overlay="$target/package-config.json"
    mkdir -p "$target"
    node -e '
      const fs = require("fs"), path = require("path");
      const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      const bundle = { ...c.bundle };
      bundle.icon = (bundle.icon ?? []).filter((i) => fs.existsSync(path.join(process.argv[3], "src-tauri", i)));
      const o = { mainBinaryName: c.mainBinaryName, bundle };
      if (process.argv[2]) o.version = process.argv[2];
      process.stdout.write(JSON.stringify(o));
    ' "$ROOT/src-tauri/tauri.conf.json" "${STATELINE_PACKAGE_VERSION:-}" "$SRC" >"$overlay"
    config=(--config "$overlay")
  fi

  cd "$SRC/src-tauri"
  CARGO_TARGET_DIR="$target" "$ROOT/tests/package/node_modules/.bin/tauri" build --ci \
    --bundles "${bundles[@]}" "${config[@]}"
} >&2

for kind in "${bundles[@]}"; do
  ls -t "$target/release/bundle/$kind/"*."$kind" | head -1
done
