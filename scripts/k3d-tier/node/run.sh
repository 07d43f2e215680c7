# shellcheck shell=bash
# Starts every component in the background, prints k3s's milestones once each is true, and stops the
# node (so docker reports it exited) as soon as any component exits.
bin=/usr/local/bin
containerd_sock=/run/k3s/containerd/containerd.sock
pids=()

start() { # start NAME COMMAND... : output to the container log, prefixed with the component's name
  local name=$1; shift
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
  log "Running $name"
}

wait_for() { # wait_for WHAT SECONDS COMMAND... : the condition must hold within SECONDS
  local what=$1 limit=$2 waited=0; shift 2
  until "$@" >/dev/null 2>&1; do
    [ $waited -lt "$limit" ] || die "$what not ready after ${limit}s"
    sleep 1; waited=$((waited + 1))
  done
}

write_containerd_config() {
  mkdir -p /etc/containerd
  cat >/etc/containerd/config.toml <<TOML
version = 2
root = "$data/agent/containerd"
state = "/run/k3s/containerd"
[grpc]
  address = "$containerd_sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$(cat /etc/k3s-compat/pause-image)"
  # Without CAP_SYS_RESOURCE no sandbox may lower its oom_score_adj.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
TOML
}

write_kubelet_config() {
  cat >"$data/agent/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$containerd_sock
cgroupDriver: cgroupfs
authentication:
  x509: {clientCAFile: $ca_file}
  webhook: {enabled: true}
  anonymous: {enabled: false}
authorization: {mode: Webhook}
clusterDNS: [$cluster_dns]
clusterDomain: cluster.local
failSwapOn: false
# The node's oom_score_adj cannot be lowered here (no CAP_SYS_RESOURCE).
oomScoreAdj: 0
# Disk pressure thresholds of a test node on a shared disk: evict only when nearly full.
evictionHard: {"nodefs.available": "1%", "imagefs.available": "1%", "memory.available": "50Mi"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
YAML
}

# containerd with the bundled images: the node's container runtime, on servers and agents alike.
start_runtime() {
  write_containerd_config
  write_kubelet_config
  trap 'kill "${pids[@]}" 2>/dev/null; wait; exit 0' TERM INT
  start containerd containerd --config /etc/containerd/config.toml
  wait_for containerd 60 ctr --address "$containerd_sock" version
  log "Containerd is now running"
  import_bundled_images
}

start_server() {
  local admin="$data/server/admin.kubeconfig"
  start_etcd
  start_runtime
  start kube-apiserver kube-apiserver "${etcd_client_args[@]}" --secure-port 6443 \
    --advertise-address "$node_ip" --allow-privileged --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction --client-ca-file "$tls/ca.crt" --enable-bootstrap-token-auth \
    --tls-cert-file "$tls/serving-chain.crt" --tls-private-key-file "$tls/serving.key" \
    --kubelet-client-certificate "$tls/apiserver-kubelet-client.crt" --kubelet-client-key "$tls/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --service-account-issuer https://kubernetes.default.svc.cluster.local --service-account-key-file "$tls/service.pub" \
    --service-account-signing-key-file "$tls/service.key" --service-cluster-ip-range "$service_cidr" \
    --profiling=false "${apiserver_args[@]}"
  wait_for kube-apiserver 120 kubectl --kubeconfig "$admin" get --raw /readyz
  # --allocate-node-cidrs: each node's pod CIDR (network.sh) comes from here.
  start kube-controller-manager kube-controller-manager --kubeconfig "$data/server/controller.kubeconfig" \
    --authentication-kubeconfig "$data/server/controller.kubeconfig" --authorization-kubeconfig "$data/server/controller.kubeconfig" \
    --leader-elect="$clustered" --use-service-account-credentials --service-account-private-key-file "$tls/service.key" \
    --root-ca-file "$tls/ca.crt" --cluster-signing-cert-file "$tls/ca.crt" --cluster-signing-key-file "$tls/ca.key" \
    --service-cluster-ip-range "$service_cidr" --cluster-cidr "$cluster_cidr" --allocate-node-cidrs --node-cidr-mask-size 24 \
    --profiling=false
  start kube-scheduler kube-scheduler --kubeconfig "$data/server/scheduler.kubeconfig" --leader-elect="$clustered" \
    --authentication-kubeconfig "$data/server/scheduler.kubeconfig" --authorization-kubeconfig "$data/server/scheduler.kubeconfig" --profiling=false
  allow_agents
  log "k3s is up and running"
  [ "$coredns_disabled" = true ] || cluster_dns_config
  start_kubelet --kubeconfig "$data/server/kubelet.kubeconfig"
  start_proxy "$data/server/proxy.kubeconfig"
  wait_for "node $node_name" 120 kubectl --kubeconfig "$admin" get node "$node_name"
  # The kubelet may not set node-role labels itself; k3s's server sets them, and so does this one.
  kubectl --kubeconfig "$admin" label node "$node_name" --overwrite node-role.kubernetes.io/control-plane=true \
    node-role.kubernetes.io/master=true $( [ "$clustered" = false ] || echo node-role.kubernetes.io/etcd=true ) >/dev/null
  finish_node "$data/server/proxy.kubeconfig"
}

# An agent: containerd, a kubelet that gets its client certificate through TLS bootstrap (pki.sh), and
# kube-proxy, all talking to the server at K3S_URL.
start_agent() {
  start_runtime
  start_kubelet --bootstrap-kubeconfig "$data/agent/bootstrap.kubeconfig" \
    --kubeconfig "$data/agent/kubelet.kubeconfig" --cert-dir "$data/agent/pki"
  start_proxy "$data/agent/proxy.kubeconfig"
  wait_for "node $node_name" 300 kubectl --kubeconfig "$data/agent/proxy.kubeconfig" get node "$node_name"
  finish_node "$data/agent/proxy.kubeconfig"
}

# start_kubelet KUBECONFIG-ARGS... : the kubelet with this node's name, address, labels and taints.
start_kubelet() {
  local labels taints
  labels=$(IFS=,; echo "${node_labels[*]}")
  taints=$(IFS=,; echo "${node_taints[*]}")
  start kubelet kubelet --config "$data/agent/kubelet.yaml" "$@" \
    --hostname-override "$node_name" --node-ip "$node_ip" ${labels:+--node-labels "$labels"} \
    ${taints:+--register-with-taints "$taints"} "${kubelet_args[@]}"
}

start_proxy() { # start_proxy KUBECONFIG
  start kube-proxy kube-proxy --kubeconfig "$1" --hostname-override "$node_name" \
    --cluster-cidr "$cluster_cidr" --conntrack-max-per-core 0 --conntrack-tcp-timeout-established 0 \
    --conntrack-tcp-timeout-close-wait 0 --proxy-mode iptables
}

# finish_node KUBECONFIG : pod network (network.sh), then the line k3d waits for on agents, then the
# node lives as long as every component does.
finish_node() {
  write_cni_config "$1"
  start pod-routes pod_routes "$1"
  log "Successfully registered node $node_name"
  local status=0
  wait -n "${pids[@]}" || status=$?
  die "a component of the node exited (status $status); stopping the node"
}

# The pause image is part of the node image (as in k3s's airgap bundle), imported on every start.
import_bundled_images() {
  local tar
  for tar in /var/lib/k3s-compat/images/*.tar; do
    ctr --address "$containerd_sock" -n k8s.io images import --no-unpack "$tar" >/dev/null \
      || die "importing bundled image $tar failed"
  done
}

# k3s deploys CoreDNS from server/manifests/coredns.yaml and records the cluster DNS in a ConfigMap; k3d
# waits for that log line and then writes its host records into the manifest's ConfigMap. This image has
# no CoreDNS image: it writes the ConfigMap part only and says loudly that names do not resolve in pods.
cluster_dns_config() {
  mkdir -p "$data/server/manifests"
  [ -f "$data/server/manifests/coredns.yaml" ] || cat >"$data/server/manifests/coredns.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
data:
  NodeHosts: ""
YAML
  kubectl --kubeconfig "$data/server/admin.kubeconfig" -n kube-system create configmap cluster-dns \
    --from-literal=clusterDNS="$cluster_dns" --from-literal=clusterDomain=cluster.local \
    --dry-run=client -o yaml | kubectl --kubeconfig "$data/server/admin.kubeconfig" apply -f - >/dev/null
  log "Cluster dns configmap has been set successfully"
  printf 'time="%s" level=warning msg="%s"\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "CoreDNS is not deployed: this node image has none, so Service names do not resolve in pods (pass --disable=coredns to say so)"
}
