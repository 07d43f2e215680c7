# shellcheck shell=bash
# The tier's images, all built locally (never pulled): `docker import` of a directory, tagged by the pins
# and by a hash of our own files that go into them, so a changed pin or file makes a new tag.
node_image_packages=containerd,runc,containernetworking-plugins,iptables,iproute2,conntrack,procps,ca-certificates,openssl,jq

# image_exists NAME : the engine has the image.
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# import_dir DIR NAME CHANGE... : a FROM-scratch image of DIR's contents.
import_dir() {
  local dir=$1 name=$2; shift 2
  local changes=() c
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$dir" --numeric-owner -c . | docker import "${changes[@]}" - "$name" >/dev/null
}

# static_c SOURCE OUT : a static C program (pause, k3d-tools).
static_c() { gcc -static -Os -s -o "$2" "$1"; }

files_hash() { cat "$@" | sha256sum | cut -c1-12; }

# Debian's minbase root filesystem with the node's packages, built once per suite and package list.
build_rootfs() {
  local out=$1
  debootstrap --variant=minbase --include="$node_image_packages" "$DEBIAN_SUITE" "$out/rootfs" http://deb.debian.org/debian
  rm -rf "$out/rootfs/var/cache/apt/archives/"*.deb "$out/rootfs/var/lib/apt/lists/"*
}

# The load balancer's root filesystem: Debian's nginx with its stream module.
build_lb_rootfs() {
  local out=$1
  debootstrap --variant=minbase --include=nginx-light,libnginx-mod-stream,jq "$DEBIAN_SUITE" "$out/rootfs" http://deb.debian.org/debian
  rm -rf "$out/rootfs/var/cache/apt/archives/"*.deb "$out/rootfs/var/lib/apt/lists/"*
}

build_lb_image() {
  local rootfs dir
  rootfs=$(cached lb-rootfs "$DEBIAN_SUITE" build_lb_rootfs)/rootfs || return 1
  dir="$tier_cache/staging-lb"; rm -rf "$dir"; cp -a "$rootfs" "$dir"
  cp "$cache/bin/yaml2json-$SIGS_YAML_VERSION/yaml2json" "$dir/usr/local/bin/"
  install -m 0755 "$tier_dir/lb/entrypoint" "$dir/usr/local/bin/k3d-lb"
  mkdir -p "$dir/etc/confd"
  import_dir "$dir" "$lb_image" 'ENTRYPOINT ["/usr/local/bin/k3d-lb"]'
  rm -rf "$dir"
}

build_pause_image() {
  local dir; dir=$(mktemp -d)
  static_c "$tier_dir/pause.c" "$dir/pause"
  import_dir "$dir" "$pause_image" 'ENTRYPOINT ["/pause"]'
  rm -rf "$dir"
}

build_tools_image() {
  local dir; dir=$(mktemp -d); mkdir -p "$dir/app"
  static_c "$tier_dir/k3d-tools.c" "$dir/app/k3d-tools"
  import_dir "$dir" "$tools_image" 'ENTRYPOINT ["/app/k3d-tools"]'
  rm -rf "$dir"
}

build_node_image() {
  local rootfs kube kube_node dir
  # `|| return`: errexit does not reach into a builder called as `builder || die`.
  rootfs=$(cached rootfs "$DEBIAN_SUITE-$(echo "$node_image_packages" | sha256sum | cut -c1-8)" build_rootfs)/rootfs || return 1
  kube_node=$(cached kube-node "$K8S_VERSION" build_kube_node) || return 1
  kube="$cache/bin/kubernetes-$K8S_VERSION"
  [ -x "$kube/kube-apiserver" ] && [ -x "$cache/bin/etcd-$ETCD_VERSION/etcd" ] \
    || die "the control-plane cache is missing: run scripts/control-plane.sh first"
  dir="$tier_cache/staging-node.$$"; rm -rf "$dir"  # per build: worktrees share the cache
  cp -a "$rootfs" "$dir"
  cp "$kube"/kube-apiserver "$kube"/kube-controller-manager "$kube"/kube-scheduler "$kube_node"/kubelet \
    "$kube_node"/kube-proxy "$cache/bin/etcd-$ETCD_VERSION/etcd" "$cache/bin/yaml2json-$SIGS_YAML_VERSION/yaml2json" "$dir/usr/local/bin/"
  mkdir -p "$dir/usr/local/lib/k3s-compat" "$dir/etc/k3s-compat" "$dir/var/lib/k3s-compat/images" "$dir/output"
  cp "$kube/kubectl" "$dir/usr/local/lib/k3s-compat/kubectl"
  # kubectl as k3s ships it: the node's admin kubeconfig by default (k3d's entrypoint runs `kubectl uncordon`).
  # An agent has none, as on k3s: the entrypoint's uncordon retries every 3 s, so it fails without a process.
  cat >"$dir/usr/local/bin/kubectl" <<'SH'
#!/bin/bash
export KUBECONFIG=${KUBECONFIG:-/etc/rancher/k3s/k3s.yaml}
[ -f "${KUBECONFIG%%:*}" ] || [[ " $* " == *" --kubeconfig"* ]] || { echo "kubectl: no kubeconfig $KUBECONFIG on this node (agents have none, as on k3s)" >&2; exit 1; }
exec /usr/local/lib/k3s-compat/kubectl "$@"
SH
  install -m 0755 "$tier_dir/node/k3s" "$dir/bin/k3s"
  cp "$tier_dir"/node/{prepare,pki,registries,etcd,network,run}.sh "$dir/usr/local/lib/k3s-compat/"
  chmod 0755 "$dir/usr/local/bin/kubectl"
  echo "$pause_image" >"$dir/etc/k3s-compat/pause-image"
  docker save "$pause_image" >"$dir/var/lib/k3s-compat/images/pause.tar"
  # k3d's entrypoint scripts use `trap … SIGTERM`, which dash rejects.
  ln -sf bash "$dir/bin/sh"
  import_dir "$dir" "$node_image" 'ENTRYPOINT ["/bin/k3s"]' 'CMD ["server"]' \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'VOLUME ["/var/lib/rancher/k3s", "/var/lib/kubelet", "/var/lib/cni", "/var/log"]'
  rm -rf "$dir"
}

build_registry_image() {
  local bin dir; bin=$(cached registry "$DISTRIBUTION_VERSION" build_registry) || return 1
  dir=$(mktemp -d); mkdir -p "$dir/etc/distribution" "$dir/var/lib/registry"
  cp "$bin/registry" "$dir/registry"
  printf 'version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\n' \
    >"$dir/etc/distribution/config.yml"
  import_dir "$dir" "$registry_image" 'ENTRYPOINT ["/registry", "serve", "/etc/distribution/config.yml"]' \
    'VOLUME ["/var/lib/registry"]' 'EXPOSE 5000/tcp'
  rm -rf "$dir"
}

build_sealed_secrets_image() {
  local dir; dir=$(mktemp -d); mkdir -p "$dir/usr/local/bin" "$dir/tmp"
  cp "$cache/bin/sealed-secrets-$SEALED_SECRETS_VERSION/sealed-secrets-controller" "$dir/usr/local/bin/controller"
  # The upstream manifests run `command: [controller]` as user 1001.
  import_dir "$dir" "$sealed_secrets_image" 'ENV PATH=/usr/local/bin' 'ENTRYPOINT ["controller"]' 'USER 1001'
  rm -rf "$dir"
}

# The e2e homelab's app (a static Go HTTP server; its source is scripts/k3d-tier/app).
build_app_image() {
  local dir; dir=$(mktemp -d)
  (cd "$tier_dir/app" && GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false nice go build -trimpath -ldflags "-s -w" -o "$dir/app" .)
  import_dir "$dir" "$app_image" 'ENTRYPOINT ["/app"]' 'USER 65534'
  rm -rf "$dir"
}

# ensure_image NAME BUILDER : build unless the engine already has this exact tag.
ensure_image() {
  local t0; t0=$(date +%s)
  if image_exists "$1"; then say "image $1: present"; return 0; fi
  say "image $1: building"
  "$2" || die "building image $1 failed"
  say "image $1: built in $(( $(date +%s) - t0 ))s"
  # Older tags of the same image are stale pins; one still used by a container stays (rmi refuses it).
  # HOMELAB_DR_K3D_KEEP_STALE_IMAGES=1 keeps them: on a shared engine another worktree's tests may be
  # about to run a container from a tag this one calls stale.
  [ "${HOMELAB_DR_K3D_KEEP_STALE_IMAGES:-}" != 1 ] || { say "image ${1%:*}: older tags kept (HOMELAB_DR_K3D_KEEP_STALE_IMAGES=1)"; return 0; }
  local stale
  for stale in $(docker images --format '{{.Repository}}:{{.Tag}}' "${1%:*}" | grep -vxF "$1"); do
    docker rmi "$stale" >/dev/null 2>&1 && say "image $stale: removed (stale)"
  done
  return 0
}
