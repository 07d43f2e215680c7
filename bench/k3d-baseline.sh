#!/usr/bin/env bash
# The shell baseline of the k3d RTO benchmark (bench/k3d-rto.ts): the incident's hard-reset procedure in
# its fixed order, done well (set -e, every apply checked). It prints "@@step NAME start|end EPOCH_MS"
# around each step for the per-step breakdown, and "@@node-start start|end EPOCH_MS" around
# `k3d cluster create` itself.
#
#   [WAITS=poll|watch] k3d-baseline.sh CLUSTER K3D_CONFIG HOMELAB_DIR
# HOMELAB_DIR is a prepared e2e homelab (bench/k3d-tier.ts); its secrets come from secrets/e2e-store.sh.
#
# WAITS=poll (the default, the issue's baseline): each wait is a sleep loop around a check that answers at
# once (`kubectl get -o jsonpath`, compared in bash), as the incident's script waited. WAITS=watch: the
# same loop around kubectl's own watching waits (`kubectl wait`, `rollout status`, 5 s each), which return
# the moment the condition holds: a stronger script than the incident's, measured beside it.
set -euo pipefail
cluster=$1 k3d_config=$2 homelab=$3
kubeconfig=$(mktemp)
trap 'rm -f "$kubeconfig"' EXIT
export KUBECONFIG=$kubeconfig

mark() { printf '@@step %s %s %s\n' "$1" "$2" "$(date +%s%3N)"; }
# k3d's own part of create-cluster ("node start"), apart from the kubeconfig and the wait around it.
mark_node_start() { printf '@@node-start %s %s\n' "$1" "$(date +%s%3N)"; }
# until CMD...: the incident's waits, a sleep loop with a deadline.
wait_for() {
  local deadline=$((SECONDS + 300))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 2
  done
}

waits=${WAITS:-poll}
case $waits in poll | watch) ;; *) echo "WAITS must be poll or watch, not $waits" >&2; exit 2 ;; esac
# shellcheck source=k3d-baseline-waits.sh
source "$(dirname "${BASH_SOURCE[0]}")/k3d-baseline-waits.sh"

mark delete-cluster start
k3d cluster delete "$cluster"
mark delete-cluster end

mark create-cluster start
mark_node_start start
k3d cluster create --config "$k3d_config" --wait --timeout 300s
mark_node_start end
k3d kubeconfig get "$cluster" >"$kubeconfig"
wait_for nodes_ready
mark create-cluster end

mark namespaces start
kubectl apply -f "$homelab/kubernetes/cluster/namespaces.yaml"
mark namespaces end

mark storage start
node=$(kubectl get nodes -o jsonpath='{.items[0].metadata.name}')
sed "s/NODE_NAME/$node/g" "$homelab/kubernetes/cluster/storage.yaml" | kubectl apply -f -
mark storage end

mark sealed-secrets-controller start
kubectl apply -f "$homelab/kubernetes/sealed-secrets/controller.yaml"
wait_for deployment_ready kube-system sealed-secrets-controller
# The rollout is done before the Service has the pod's endpoint: without this wait kubeseal failed with
# "no endpoints available for service" (1 run in 5 on an idle machine).
wait_for kubeseal --controller-namespace kube-system --controller-name sealed-secrets-controller --fetch-cert
mark sealed-secrets-controller end

mark reseal-secrets start
# One kubeseal per secret, each fetching the controller's certificate, as the incident's script did.
for spec in hdr-apps/app-token/APP_TOKEN hdr-edge/edge-token/EDGE_TOKEN; do
  IFS=/ read -r ns name key <<<"$spec"
  "$homelab/secrets/e2e-store.sh" "$key" |
    kubectl -n "$ns" create secret generic "$name" --from-file=token=/dev/stdin --dry-run=client -o yaml |
    kubeseal --controller-namespace kube-system --controller-name sealed-secrets-controller -o yaml |
    kubectl apply -f -
done
wait_for kubectl -n hdr-apps get secret app-token
wait_for kubectl -n hdr-edge get secret edge-token
mark reseal-secrets end

mark apps start
for file in "$homelab"/kubernetes/apps/*.yaml; do kubectl apply -f "$file"; done
wait_for deployment_ready hdr-apps e2e-app
wait_for deployment_ready hdr-edge e2e-edge
mark apps end
