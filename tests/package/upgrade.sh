#!/usr/bin/env bash
# Upgrades keep the queue: builds the package of the commit before the packaging work
# (STATELINE_UPGRADE_FROM, else the parent of the first `package:` commit) from a git worktree
# under target/ with a target folder of its own (target/upgrade/), bundled with this checkout's
# bundle settings as version 0.0.0; builds this checkout's package (scripts/package.sh); installs
# the old one, and runs tests/package/upgrade.test.mjs under tests/desktop/run.sh (Xvfb and a
# keychain that lasts across both apps): sales made offline under the old app drain exactly once,
# with their original times, after the new package is installed over it. The package is removed on
# the way out. Runs as root, else through sudo.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ROOT"

SUDO=()
if (( EUID != 0 )); then SUDO=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

mapfile -t packaging < <(git rev-list --reverse --grep='^package:' HEAD)
from=${STATELINE_UPGRADE_FROM:-${packaging[0]:-}^}
from=$(git rev-parse --verify --quiet "$from^{commit}") || {
  echo "upgrade test: no commit before the packaging work in this clone's history (a shallow clone?)" >&2
  exit 1
}
src="$ROOT/target/upgrade/src"
installed=0
cleanup() {
  if (( installed )); then "${SUDO[@]}" apt-get remove -y -q stateline >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

echo "--- the previous package: $(git log -1 --format='%h %s' "$from" | cut -c1-100)"
if [[ "$(git -C "$src" rev-parse HEAD 2>/dev/null || true)" != "$from" ]]; then
  git worktree remove --force "$src" 2>/dev/null || rm -rf "$src"
  git worktree prune
  git worktree add --detach "$src" "$from"
fi
old=$(STATELINE_PACKAGE_SRC="$src" STATELINE_PACKAGE_VERSION=0.0.0 STATELINE_BUNDLES=deb \
  CARGO_TARGET_DIR="$ROOT/target/upgrade/target" bash scripts/package.sh)
echo "--- the new package"
new=$(STATELINE_BUNDLES=deb bash scripts/package.sh)
echo "old: $old"
echo "new: $new"

"${SUDO[@]}" apt-get remove -y -q stateline >/dev/null 2>&1 || true
installed=1
"${SUDO[@]}" apt-get install -y -q "$old"
STATELINE_NEW_DEB=$new STATELINE_SCREENSHOTS="$ROOT/target/upgrade/screenshots" \
  bash tests/desktop/run.sh "$ROOT/tests/package/upgrade.test.mjs"
"${SUDO[@]}" apt-get remove -y -q stateline
installed=0
echo "upgrade test: the queue made under $(git rev-parse --short "$from") drained once after the upgrade"
