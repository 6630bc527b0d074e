#!/usr/bin/env bash
# The local API's contract, checked by schemathesis (PyPI, pinned) against the real `stateline
# serve`: a fresh register in demo mode (tests/pos/lib.sh) with the pretend Metrc, a token of every
# scope, and `schemathesis run /openapi.json` with every check (tests/pos/schemathesis.toml): no
# 5xx, every answer as the document says (status, content type, headers, body schema), bad input
# refused, auth enforced; then the success answers generated data cannot reach (a real sale and
# adjustment, a replay, a conflict), validated against the same document (tests/pos/positive.py).
# Then the register is stopped with SIGTERM and its database is checked for half-written records.
#
# Usage: bash tests/pos/contract.sh [FAKETIME-OFFSET]  — with an offset (e.g. +31536000s) every
# Stateline process runs with its clock moved by libfaketime (TZ America/Denver), as in
# scripts/date-travel.sh. The stream of changes (/v1/events, which never ends) is left to the
# simulator and the crate's tests. Needs the venv of tests/pos/run.sh (POS_VENV) and a keychain.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/tests/pos/lib.sh"
cd "$ROOT"

VENV=${POS_VENV:-$ROOT/target/pos-venv}
offset=${1:-}
prefix=(env)
if [[ -n "$offset" ]]; then
  libfaketime=$(dpkg-query -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -n1 || true)
  [[ -n "$libfaketime" ]] || { echo "contract: libfaketime is not installed" >&2; exit 1; }
  prefix=(env TZ=America/Denver FAKETIME="$offset" FAKETIME_DONT_FAKE_MONOTONIC=1 NO_FAKE_STAT=1
    LD_PRELOAD="$libfaketime")
fi

work=$(mktemp -d "$ROOT/target/pos-contract.XXXXXX")
trap 'pos_stop || true; rm -rf "$work"' EXIT
pos_start "$work" "${prefix[@]}"
echo "contract: the register's clock reads $("${prefix[@]}" date -u '+%Y-%m-%d %H:%M UTC')"

# One sale made before the run, so GET /v1/records/{ticket_id} has a ticket to find.
label=$(curl -fsS -H "Authorization: Bearer $POS_TOKEN" "$POS_API_URL/v1/packages" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["label"])')
curl -fsS -o /dev/null -H "Authorization: Bearer $POS_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"ticket_id\":\"CONTRACT-1\",\"budtender\":\"Bea\",\"lines\":[{\"label\":\"$label\",\"quantity\":\"1\",\"price\":\"9.99\"}]}" \
  "$POS_API_URL/v1/sales"
# What schemathesis cannot send (see schemathesis.toml): a malformed query is 422 invalid_input.
bad=$(curl -sS -w ' %{http_code}' -H "Authorization: Bearer $POS_TOKEN" \
  "$POS_API_URL/v1/packages?include_empty=maybe")
[[ "$bad" == *'"invalid_input"'*' 422' ]] || { echo "contract: a malformed query got: $bad" >&2; exit 1; }
sed "s/@TICKET@/CONTRACT-1/" "$ROOT/tests/pos/schemathesis.toml" >"$work/schemathesis.toml"

# schemathesis writes its own files (its example database) under the work folder.
rc=0
(cd "$work" && "$VENV/bin/schemathesis" --config-file "$work/schemathesis.toml" \
  run "$POS_API_URL/openapi.json" \
  --header "Authorization: Bearer $POS_TOKEN" \
  --exclude-path /v1/events \
  --max-examples "${POS_CONTRACT_EXAMPLES:-150}" \
  --request-timeout 10 \
  --seed "${POS_CONTRACT_SEED:-17}") || rc=$?
# The success answers of the writes, which generated data never reaches (tests/pos/positive.py).
"$VENV/bin/python" "$ROOT/tests/pos/positive.py" "$POS_API_URL" "$POS_TOKEN" || rc=1

pos_stop || rc=1
pos_integrity || rc=1
if (( rc != 0 )); then
  echo "contract: FAILED (serve's log: $(tail -n 20 "$work/serve.err"))" >&2
  exit "$rc"
fi
echo "contract: schemathesis found nothing, nothing half-written"
