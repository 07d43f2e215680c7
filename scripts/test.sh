#!/usr/bin/env bash
# The README's test command after the control plane is built: each vitest project in turn, so that the
# cluster-heavy ones (integration, bad-input, faults) never compete for the 2 cores at the same time.
# Every project runs even when an earlier one fails; the exit code says whether all passed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
failed=()
for project in unit host e2e integration bad-input faults; do
  started=$(date +%s)
  echo "=== vitest project $project"
  if npx vitest run --project "$project"; then
    echo "=== $project passed in $(( $(date +%s) - started )) s"
  else
    echo "=== $project FAILED after $(( $(date +%s) - started )) s"
    failed+=("$project")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED projects: ${failed[*]}"
  exit 1
fi
echo "all projects passed"
