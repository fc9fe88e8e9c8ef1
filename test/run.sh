#!/usr/bin/env bash
# Runs every test file under test/ with node:test through tsx. The spec report
# goes to the terminal; the closing line counts tests as "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
mapfile -t files < <(find test -name '*.test.ts' | sort)
if [ $# -gt 0 ]; then files=("$@"); fi
NODE_ENV=test node --import tsx --test --test-concurrency=2 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}"
status=$?
pass=$(grep -E '^# pass ' "$tap" | tail -n1 | awk '{print $3}')
fail=$(grep -E '^# fail ' "$tap" | tail -n1 | awk '{print $3}')
skip=$(grep -E '^# skipped ' "$tap" | tail -n1 | awk '{print $3}')
echo "${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
exit $status
