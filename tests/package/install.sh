#!/usr/bin/env bash
# The package, installed as a store would install it (CI stage `package` of scripts/test.sh):
# builds the release packages (scripts/package.sh), installs the .deb with
# `apt-get install ./Stateline_….deb`, checks what it put on the machine (the binary in /usr/bin,
# the desktop entry, the icons, and that the system knows the package with the dependencies it
# declares), runs desktop journey 2 (a budtender pastes her key and sells; tests/desktop) against
# the INSTALLED /usr/bin/stateline-app under Xvfb — with the XDG state folder in a temp folder,
# where the app must have written its log, which must hold no Metrc key — and Settings › Start at
# login (tests/package/autostart.test.mjs: the entry written starting /usr/bin/stateline-app, and
# removed), and then removes the package with `apt-get remove` and checks every file it installed
# is gone. Whatever happens, the package is removed on the way out. Runs as root, else through
# sudo.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ROOT"

SUDO=()
if (( EUID != 0 )); then SUDO=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
PACKAGE=stateline
BIN=/usr/bin/stateline-app

work=$(mktemp -d "${TMPDIR:-/tmp}/stateline-package.XXXXXX")
installed=0
cleanup() {
  if (( installed )); then "${SUDO[@]}" apt-get remove -y -q "$PACKAGE" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "package test: $*" >&2; exit 1; }

echo "--- building the packages"
mapfile -t built < <(bash scripts/package.sh)
deb=$(printf '%s\n' "${built[@]}" | grep '\.deb$' | head -1)
[[ -f "$deb" ]] || fail "no .deb was built"
echo "built: ${built[*]}"

if dpkg-query -W -f='${db:Status-Status}' "$PACKAGE" 2>/dev/null | grep -q installed; then
  echo "--- removing a $PACKAGE left installed before"
  "${SUDO[@]}" apt-get remove -y -q "$PACKAGE"
fi

echo "--- installing $deb"
installed=1
"${SUDO[@]}" apt-get install -y -q "$deb"
[[ "$(dpkg-query -W -f='${db:Status-Status}' "$PACKAGE")" == installed ]] || fail "dpkg does not list $PACKAGE as installed"
dpkg-query -W -f='${Package} ${Version}\nDepends: ${Depends}\n' "$PACKAGE"
dpkg-query -L "$PACKAGE" >"$work/files"
for path in "$BIN" /usr/share/applications/Stateline.desktop \
  /usr/share/icons/hicolor/128x128/apps/stateline-app.png; do
  [[ -e "$path" ]] || fail "the package did not install $path"
done
grep -qx 'Exec=stateline-app' /usr/share/applications/Stateline.desktop || fail "the desktop entry does not start stateline-app"
grep -qx 'Icon=stateline-app' /usr/share/applications/Stateline.desktop || fail "the desktop entry names no icon"
[[ "$(command -v stateline-app)" == "$BIN" ]] || fail "stateline-app on the PATH is not $BIN"

echo "--- journey 2 and start at login against the installed $BIN"
STATELINE_APP=$BIN XDG_STATE_HOME="$work/state" STATELINE_SCREENSHOTS="$work/screenshots" \
  bash tests/desktop/run.sh 2-budtender-sells.test.mjs "$ROOT/tests/package/autostart.test.mjs"

log="$work/state/stateline/stateline.log"
[[ -s "$log" ]] || fail "the installed app wrote no log at $log"
echo "log: $(wc -l <"$log") lines in $log"
if grep -nE 'demo-[a-z]+-key-[0-9]+' "$work/state/stateline/"*; then
  fail "a Metrc key is in the app's log"
fi

echo "--- removing $PACKAGE"
"${SUDO[@]}" apt-get remove -y -q "$PACKAGE"
installed=0
status=$(dpkg-query -W -f='${db:Status-Status}' "$PACKAGE" 2>/dev/null || true)
[[ "$status" == "" || "$status" == not-installed ]] || fail "after removal dpkg still says: $status"
left=0
while IFS= read -r path; do
  if [[ -f "$path" || -L "$path" ]]; then echo "left behind: $path" >&2; left=1; fi
done <"$work/files"
(( left == 0 )) || fail "files of the package are left after apt-get remove"
[[ ! -e "$BIN" ]] || fail "$BIN is still there"
echo "package test: installed, drove journey 2 and start at login, removed cleanly"
