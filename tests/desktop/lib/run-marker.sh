# Sourced by run.sh and bench/run.sh. Marks every process of this run with an environment
# variable (inherited by node, tauri-driver, WebKitWebDriver and the app, whatever process group
# they put themselves in), and `kill_marked` ends exactly those processes: the cleanup of a run
# that timed out or was interrupted, without touching anyone else's drivers or apps.
export STATELINE_E2E_RUN="run-$$-$(date +%s%N)"

kill_marked() {
  local env pid
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    [[ "$pid" == "$$" ]] && continue
    if grep -qaF "STATELINE_E2E_RUN=$STATELINE_E2E_RUN" "$env" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}
