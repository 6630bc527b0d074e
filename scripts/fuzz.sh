#!/usr/bin/env bash
# Runs the coverage-guided fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) — outside CI, by hand or
# on a spare machine. CI only replays the committed inputs (`cargo test -p stateline-testkit`).
#
#   scripts/fuzz.sh                 every target for FUZZ_SECONDS (default 60) each
#   scripts/fuzz.sh rules_file ...  only the targets named
#
# Needs a nightly toolchain (`rustup toolchain install nightly`: libFuzzer's sanitizer flags) and a
# C++ compiler; installs cargo-fuzz when it is missing. Each target starts from its committed seeds
# (fuzz/corpus/<target>/seed-*) and regressions (fuzz/regressions/<target>/); what it learns stays
# in fuzz/corpus/<target>/ (git-ignored but for the seeds). A target that crashes, leaks or runs out
# of memory or time stops; its input is copied to fuzz/regressions/<target>/ (commit it with the
# fix and a regression test) and the script goes on with the next target, exiting 1 at the end.
#
# Environment: FUZZ_SECONDS (per target), FUZZ_RSS_MB (default 2048), FUZZ_JOBS (parallel workers
# per target, default 1), FUZZ_SANITIZER (default address; `none` runs faster).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

seconds=${FUZZ_SECONDS:-60}
rss_mb=${FUZZ_RSS_MB:-2048}
jobs=${FUZZ_JOBS:-1}
sanitizer=${FUZZ_SANITIZER:-address}

# The longest input each target takes: replies and records are small; a backup input is a list of
# five-byte edits (or a whole small file); a rules file is a few KiB.
declare -A max_len=(
  [metrc_reply]=65536
  [retry_after]=256
  [cli_record_json]=16384
  [ipc_requests]=8192
  [backup_restore]=4096
  [rules_file]=16384
)

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: a nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
# The fuzz project is outside the workspace; start its lock from the workspace's so it builds the
# same versions of everything.
[[ -f fuzz/Cargo.lock ]] || cp Cargo.lock fuzz/Cargo.lock

targets=("$@")
if (( ${#targets[@]} == 0 )); then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build --sanitizer "$sanitizer"
parallel=()
if (( jobs > 1 )); then
  parallel=(-jobs="$jobs" -workers="$jobs")
fi

failed=()
for t in "${targets[@]}"; do
  len=${max_len[$t]:-65536}
  corpus="fuzz/corpus/$t"
  regressions="fuzz/regressions/$t"
  artifacts="fuzz/artifacts/$t"
  mkdir -p "$corpus" "$regressions" "$artifacts"
  echo "=== $t: ${seconds}s, max_len $len, rss ${rss_mb} MB"
  start=$SECONDS
  rc=0
  cargo +nightly fuzz run --sanitizer "$sanitizer" "$t" "$corpus" "$regressions" -- \
    -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -max_len="$len" -timeout=60 \
    "${parallel[@]}" -print_final_stats=1 -artifact_prefix="$artifacts/" \
    || rc=$?
  shopt -s nullglob
  found=("$artifacts"/crash-* "$artifacts"/oom-* "$artifacts"/timeout-* "$artifacts"/leak-*)
  shopt -u nullglob
  for f in "${found[@]}"; do
    cp "$f" "$regressions/"
    echo "=== $t: $(basename "$f") copied to $regressions/"
  done
  echo "=== $t: exit $rc after $((SECONDS - start))s, $(find "$corpus" -type f | wc -l) corpus inputs"
  if (( rc != 0 || ${#found[@]} > 0 )); then
    failed+=("$t")
    rm -f "${found[@]}"
  fi
done

if (( ${#failed[@]} > 0 )); then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs in fuzz/regressions/)" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
