# shellcheck shell=bash
# Pod networking across nodes, as flannel's host-gw backend does it: the controller-manager gives each
# node a /24 of 10.42.0.0/16 (spec.podCIDR), the node's CNI bridge hands out addresses from it, and every
# node routes each other node's /24 to that node's InternalIP (all nodes share k3d's Docker network).

# node_pod_cidr KUBECONFIG : this node's spec.podCIDR, once the controller-manager has set it.
node_pod_cidr() {
  kubectl --kubeconfig "$1" get node "$node_name" -o 'jsonpath={.spec.podCIDR}' 2>/dev/null | grep -E '^[0-9.]+/[0-9]+$'
}

# write_cni_config KUBECONFIG : the bridge network on this node's pod CIDR; the kubelet reports the node
# Ready only once it exists, so no pod starts on an address another node also hands out.
write_cni_config() {
  local pod_cidr
  wait_for "the pod CIDR of node $node_name" 120 node_pod_cidr "$1"
  pod_cidr=$(node_pod_cidr "$1")
  cat >/etc/cni/net.d/10-k3s-compat.conflist <<JSON
{"cniVersion": "1.0.0", "name": "cbr0", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
  log "pod network $pod_cidr of node $node_name written to CNI config"
}

# pod_routes KUBECONFIG : follows the nodes (a watch, re-opened when it ends: the server may restart) and
# routes each other node's pod CIDR to it. A node that leaves keeps its route until this node restarts
# (harmless: nothing uses it). The `|| true`: under errexit a watch that ends would end this component.
pod_routes() {
  local name cidr ip
  while true; do
    kubectl --kubeconfig "$1" get nodes --watch --no-headers \
      -o 'custom-columns=N:.metadata.name,C:.spec.podCIDR,IP:.status.addresses[?(@.type=="InternalIP")].address' |
      while read -r name cidr ip; do
        [ "$name" != "$node_name" ] && [[ $cidr =~ ^[0-9.]+/[0-9]+$ ]] && [[ $ip =~ ^[0-9.]+$ ]] || continue
        [[ "$(ip route show exact "$cidr")" != *"via $ip "* ]] || continue
        ip route replace "$cidr" via "$ip" && echo "route $cidr via $ip ($name)"
      done || true
    sleep 2
  done
}
