# The shell baseline's two waits on cluster state (sourced by bench/k3d-baseline.sh), by $waits:
# poll: a check that answers at once; watch: kubectl's own waits, which return when the condition holds.
# shellcheck shell=bash

# Every node reports Ready=True (and there is at least one).
nodes_ready() {
  if [ "$waits" = watch ]; then kubectl wait --for=condition=Ready node --all --timeout=5s; return; fi
  local ready
  ready=$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}') || return 1
  [ -n "$ready" ] && ! grep -qvx True <<<"$ready"
}
# NAMESPACE NAME: the Deployment's rollout is complete, by the fields `kubectl rollout status` reads.
deployment_ready() {
  if [ "$waits" = watch ]; then kubectl -n "$1" rollout status "deployment/$2" --timeout=5s; return; fi
  local fields gen observed want replicas updated available
  fields=$(kubectl -n "$1" get deployment "$2" -o jsonpath='{.metadata.generation}|{.status.observedGeneration}|{.spec.replicas}|{.status.replicas}|{.status.updatedReplicas}|{.status.availableReplicas}') || return 1
  IFS='|' read -r gen observed want replicas updated available <<<"$fields"
  [ "${observed:-0}" -ge "$gen" ] && [ "${updated:-0}" -ge "$want" ] && [ "${replicas:-0}" -le "${updated:-0}" ] && [ "${available:-0}" -ge "$want" ]
}

