#!/usr/bin/env bash
# The README's test command after the control plane is built: each vitest project in turn, so that the
# cluster-heavy ones (integration, bad-input, faults) never compete for the 2 cores at the same time.
# Every project runs even when an earlier one fails; the exit code says whether all passed.
# The e2e project runs on the real k3d tier (scripts/k3d-tier.sh), set up just before it and stopped just
# after it; where the tier cannot start (no Docker engine can run), its tests skip and say why.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
failed=()
tier_env=''
tier_log=$(mktemp)
trap 'bash scripts/k3d-tier.sh down; rm -f "$tier_log"' EXIT

k3d_tier_up() {
  local started; started=$(date +%s)
  if bash scripts/k3d-tier.sh up 2>"$tier_log"; then
    tier_env=$(bash scripts/k3d-tier.sh env)
    echo "=== k3d tier up in $(( $(date +%s) - started )) s"
  else
    cat "$tier_log" >&2
    # The e2e tests read this and skip, naming the reason; the run goes on.
    tier_env="export HOMELAB_DR_K3D_TIER_SKIPPED=$(printf '%q' "$(grep ERROR "$tier_log" | tail -n 1)")"
    echo "=== k3d tier did not start: the e2e tests will skip"
  fi
}

for project in unit host e2e integration bad-input faults; do
  [ "$project" != e2e ] || k3d_tier_up
  started=$(date +%s)
  echo "=== vitest project $project"
  # Only the e2e project sees the tier's DOCKER_HOST, PATH and image names.
  if ( [ "$project" != e2e ] || eval "$tier_env"; npx vitest run --project "$project" ); then
    echo "=== $project passed in $(( $(date +%s) - started )) s"
  else
    echo "=== $project FAILED after $(( $(date +%s) - started )) s"
    failed+=("$project")
  fi
  [ "$project" != e2e ] || bash scripts/k3d-tier.sh down
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED projects: ${failed[*]}"
  exit 1
fi
echo "all projects passed"
