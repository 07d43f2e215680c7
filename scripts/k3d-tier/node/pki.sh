# shellcheck shell=bash
# Certificates of the node's control plane, made once and kept on the volume (a restart reuses them).
tls=$data/server/tls

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
  cert admin "/O=system:masters/CN=system:admin"
  cert kubelet "/O=system:nodes/CN=system:node:$node_name"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  cert controller "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  cert proxy "/CN=system:kube-proxy"
  local who
  for who in admin kubelet controller scheduler proxy; do kubeconfig "$data/server/$who.kubeconfig" "$who" https://127.0.0.1:6443; done
  kubeconfig /etc/rancher/k3s/k3s.yaml admin https://127.0.0.1:6443
  chmod "${K3S_KUBECONFIG_MODE:-600}" /etc/rancher/k3s/k3s.yaml
  if [ -n "${K3S_KUBECONFIG_OUTPUT:-}" ]; then
    mkdir -p "$(dirname "$K3S_KUBECONFIG_OUTPUT")"
    cp /etc/rancher/k3s/k3s.yaml "$K3S_KUBECONFIG_OUTPUT"
  fi
}
