#!/bin/sh
# Demo secret store for the example homelab: `demo-store.sh KEY` prints a clearly fake value.
# It stands in for an external store so that a rehearsal runs offline from a clean clone.
set -eu
case "${1:-}" in
  CF_TUNNEL_TOKEN) printf '%s' 'demo-not-a-real-token-1' ;;
  GITLAB_AGENT_TOKEN) printf '%s' 'demo-not-a-real-token-2' ;;
  ARGOCD_REPO_TOKEN) printf '%s' 'demo-not-a-real-token-3' ;;
  *) echo "demo-store: no value for key '${1:-}'" >&2; exit 1 ;;
esac
