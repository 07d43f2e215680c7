#!/bin/sh
# The e2e homelab's secret store: `e2e-store.sh KEY` prints a clearly fake value. The e2e tests compare
# the SHA-256 the app reports for its mounted Secret with the hash of this value (never the value).
set -eu
case "${1:-}" in
  APP_TOKEN) printf '%s' 'e2e-not-a-real-token-app' ;;
  EDGE_TOKEN) printf '%s' 'e2e-not-a-real-token-edge' ;;
  *) echo "e2e-store: no value for key '${1:-}'" >&2; exit 1 ;;
esac
