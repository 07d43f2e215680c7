# shellcheck shell=bash
# Certificates of the node's control plane, made once and kept on the volume (a restart reuses them), and
# an agent's way in: the cluster CA from the server's TLS handshake and a bootstrap token from K3S_TOKEN.
tls=$data/server/tls
ca_file=$tls/ca.crt

# cert NAME SUBJECT [SANS] : a client or serving certificate signed by the cluster CA.
cert() {
  local name=$1 subject=$2 sans=${3:-}
  [ -s "$tls/$name.crt" ] && return 0
  openssl genrsa -out "$tls/$name.key" 2048 2>/dev/null
  openssl req -new -key "$tls/$name.key" -subj "$subject" -out "$tls/$name.csr"
  local ext="$tls/$name.ext"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth,serverAuth\n' >"$ext"
  [ -z "$sans" ] || printf 'subjectAltName=%s\n' "$sans" >>"$ext"
  openssl x509 -req -in "$tls/$name.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 3650 -extfile "$ext" -out "$tls/$name.crt" 2>/dev/null
}

# kubeconfig FILE CERT SERVER : a kubeconfig for one client certificate.
kubeconfig() {
  local file=$1 name=$2 server=$3
  cat >"$file" <<KC
apiVersion: v1
kind: Config
clusters:
- name: default
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$tls/ca.crt")
users:
- name: default
  user:
    client-certificate-data: $(base64 -w0 "$tls/$name.crt")
    client-key-data: $(base64 -w0 "$tls/$name.key")
contexts:
- name: default
  context: {cluster: default, user: default}
current-context: default
KC
}

make_pki() {
  if [ ! -s "$tls/ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/ca.key" -out "$tls/ca.crt" -days 3650 \
      -subj "/CN=k3s-compat-server-ca" 2>/dev/null
    openssl genrsa -out "$tls/service.key" 2048 2>/dev/null
    openssl rsa -in "$tls/service.key" -pubout -out "$tls/service.pub" 2>/dev/null
  fi
  local sans="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sans="$sans,DNS:localhost,DNS:$node_name,IP:127.0.0.1,IP:10.43.0.1,IP:$node_ip"
  local san
  for san in "${tls_sans[@]}"; do
    if [[ $san =~ ^[0-9.]+$ ]]; then sans="$sans,IP:$san"; else sans="$sans,DNS:$san"; fi
  done
  # The serving certificate follows the SANs of this start (k3d may add a load balancer name).
  rm -f "$tls/serving.crt"; cert serving "/CN=kube-apiserver" "$sans"
  # The apiserver sends the CA with its certificate, so an agent can learn it from the handshake (below).
  cat "$tls/serving.crt" "$tls/ca.crt" >"$tls/serving-chain.crt"
  cert admin "/O=system:masters/CN=system:admin"
  cert kubelet "/O=system:nodes/CN=system:node:$node_name"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  cert controller "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  cert proxy "/CN=system:kube-proxy"
  # Several servers: this member's certificate, as etcd server, peer and client (etcd.sh).
  [ "$clustered" = false ] || cert etcd "/CN=$node_name" "DNS:$node_name,DNS:localhost,IP:127.0.0.1,IP:$node_ip"
  local who
  for who in admin kubelet controller scheduler proxy; do kubeconfig "$data/server/$who.kubeconfig" "$who" https://127.0.0.1:6443; done
  kubeconfig /etc/rancher/k3s/k3s.yaml admin https://127.0.0.1:6443
  chmod "${K3S_KUBECONFIG_MODE:-600}" /etc/rancher/k3s/k3s.yaml
  if [ -n "${K3S_KUBECONFIG_OUTPUT:-}" ]; then
    mkdir -p "$(dirname "$K3S_KUBECONFIG_OUTPUT")"
    cp /etc/rancher/k3s/k3s.yaml "$K3S_KUBECONFIG_OUTPUT"
  fi
}

# bootstrap_token : Kubernetes' bootstrap token (`<6>.<16>` of [a-z0-9]) derived from K3S_TOKEN, the same on
# every node of the cluster (k3d gives all of them K3S_TOKEN). k3s derives node credentials from the token
# its own way; this image uses Kubernetes' TLS bootstrap with it instead (docs/k3d-tier.md).
bootstrap_token() {
  [ -n "${K3S_TOKEN:-}" ] || die "no K3S_TOKEN (or --token): an agent cannot join without the cluster token"
  local sum; sum=$(printf '%s' "$K3S_TOKEN" | sha256sum | cut -c1-22)
  printf '%s.%s\n' "${sum:0:6}" "${sum:6:16}"
}

# The group an agent's bootstrap token carries besides system:bootstrappers.
agent_group=system:bootstrappers:k3s-compat:agents

# Server: the bootstrap token as a kube-system Secret, and what its holders may do: ask for a kubelet
# client certificate (auto-approved by the controller-manager, signed by the cluster CA) and run kube-proxy.
allow_agents() {
  [ -n "${K3S_TOKEN:-}" ] || { log "no K3S_TOKEN: agents cannot join this server"; return 0; }
  local token id; token=$(bootstrap_token); id=${token%%.*}
  kubectl --kubeconfig "$data/server/admin.kubeconfig" apply -f - >/dev/null <<YAML || die "cannot create the agents' bootstrap token and RBAC"
apiVersion: v1
kind: Secret
metadata: {name: bootstrap-token-$id, namespace: kube-system}
type: bootstrap.kubernetes.io/token
stringData:
  token-id: "$id"
  token-secret: "${token#*.}"
  usage-bootstrap-authentication: "true"
  auth-extra-groups: "$agent_group"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: k3s-compat:agents:node-bootstrapper}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node-bootstrapper}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "$agent_group"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: k3s-compat:agents:approve-node-client-csr}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:certificates.k8s.io:certificatesigningrequests:nodeclient"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "$agent_group"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: k3s-compat:agents:node-proxier}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node-proxier}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "$agent_group"}]
YAML
  log "agents may join with the cluster token (bootstrap token $id)"
  [ "$clustered" = false ] || share_server_pki
}

# Server of several: the keys every server must share (cluster CA, service-account signing key) as a
# kube-system Secret that holders of the cluster token may read, as k3s serves its bootstrap data to
# whoever has the server token. A server joining with K3S_URL reads it (join_server_pki).
share_server_pki() {
  kubectl --kubeconfig "$data/server/admin.kubeconfig" -n kube-system create secret generic k3s-compat-server-pki \
    --from-file=ca.crt="$tls/ca.crt" --from-file=ca.key="$tls/ca.key" \
    --from-file=service.key="$tls/service.key" --from-file=service.pub="$tls/service.pub" \
    --dry-run=client -o yaml | kubectl --kubeconfig "$data/server/admin.kubeconfig" apply -f - >/dev/null \
    || die "cannot store the servers' shared keys"
  kubectl --kubeconfig "$data/server/admin.kubeconfig" apply -f - >/dev/null <<YAML || die "cannot let joining servers read the shared keys"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: "k3s-compat:server-pki", namespace: kube-system}
rules: [{apiGroups: [""], resources: [secrets], resourceNames: [k3s-compat-server-pki], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "k3s-compat:server-pki", namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: "k3s-compat:server-pki"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "$agent_group"}]
YAML
}

# A server joining K3S_URL: the shared keys, read with the cluster token over TLS checked against the CA
# of the first server's handshake (which the stored CA must be). Once: the volume keeps them.
join_server_pki() {
  [ ! -s "$tls/ca.key" ] || return 0
  join_pki
  local boot="$data/agent/bootstrap.kubeconfig" secret key
  wait_for "the servers' shared keys at $K3S_URL" 300 kubectl --kubeconfig "$boot" -n kube-system get secret k3s-compat-server-pki
  secret=$(kubectl --kubeconfig "$boot" -n kube-system get secret k3s-compat-server-pki -o json) || die "cannot read the servers' shared keys"
  for key in ca.crt ca.key service.key service.pub; do
    jq -r --arg k "$key" '.data[$k]' <<<"$secret" | base64 -d >"$tls/$key" || die "the servers' shared keys lack $key"
  done
  cmp -s "$tls/ca.crt" "$ca_file" || { rm -f "$tls"/ca.* "$tls"/service.*; die "the shared CA is not the CA $K3S_URL serves with"; }
  ca_file=$tls/ca.crt
  log "joining the servers of $K3S_URL with their shared keys"
}

# last_certificate : the last PEM certificate of stdin (the CA in the chain the server sends).
last_certificate() {
  awk '/-BEGIN CERTIFICATE-/ { block = "" } { block = block $0 "\n" } /-END CERTIFICATE-/ { last = block } END { printf "%s", last }'
}

# Agent: the server's CA and the kubeconfigs the agent's kubelet and kube-proxy start with. The CA is
# taken from the server's TLS handshake and kept on the volume: trust on first use, as k3s does with a
# token that carries no CA hash; a `K10<sha256>::…` token's hash is checked as k3s checks it.
join_pki() {
  [ -n "${K3S_URL:-}" ] || die "no K3S_URL (or --server): an agent needs its server's URL"
  local hostport=${K3S_URL#https://}; hostport=${hostport%%/*}
  ca_file=$data/agent/server-ca.crt
  if [ ! -s "$ca_file" ]; then
    wait_for "server $K3S_URL" 300 fetch_server_ca "$hostport"
    mv "$ca_file.new" "$ca_file"
  fi
  if [[ ${K3S_TOKEN:-} =~ ^K10([0-9a-f]{64}):: ]] && [ "$(sha256sum <"$ca_file" | cut -c1-64)" != "${BASH_REMATCH[1]}" ]; then
    die "the CA of $K3S_URL does not match the hash in K3S_TOKEN"
  fi
  local token; token=$(bootstrap_token)
  token_kubeconfig "$data/agent/bootstrap.kubeconfig" "$token"
  token_kubeconfig "$data/agent/proxy.kubeconfig" "$token"
  log "server CA of $K3S_URL stored; joining with the bootstrap token ${token%%.*}"
}

# fetch_server_ca HOST:PORT : the last certificate the server sends must be a CA that signed the first.
fetch_server_ca() {
  local chain; chain=$(openssl s_client -connect "$1" -showcerts </dev/null 2>/dev/null) || return 1
  last_certificate <<<"$chain" >"$ca_file.new"
  openssl x509 -in "$ca_file.new" -noout -text 2>/dev/null | grep -q 'CA:TRUE' || return 1
  openssl s_client -connect "$1" </dev/null 2>/dev/null | openssl x509 >"$ca_file.leaf" 2>/dev/null || return 1
  openssl verify -CAfile "$ca_file.new" "$ca_file.leaf" >/dev/null 2>&1
}

# token_kubeconfig FILE TOKEN : a kubeconfig for K3S_URL with the agent's CA and a bearer token.
token_kubeconfig() {
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: default
  cluster: {server: "$K3S_URL", certificate-authority: "$ca_file"}
users:
- name: default
  user: {token: "$2"}
contexts:
- name: default
  context: {cluster: default, user: default}
current-context: default
KC
  chmod 600 "$1"
}
