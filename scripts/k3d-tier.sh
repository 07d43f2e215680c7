#!/usr/bin/env bash
# The real k3d tier (issue 12; docs/k3d-tier.md): a Docker engine of its own, k3d built from its module,
# a k3s-compatible node image and the other images, all built locally and cached by version.
#   up    start (or reuse) the engine, build what is missing, start the registry and push the images
#   env   print the exports tests source: DOCKER_HOST, PATH, image names, the registry's addresses
#   down  remove the registry and stop the dockerd that `up` started (an engine we did not start is left alone)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=k3d-tier/lib.sh
source "$here/k3d-tier/lib.sh"
# shellcheck source=k3d-tier/docker.sh
source "$here/k3d-tier/docker.sh"
# shellcheck source=k3d-tier/build-bins.sh
source "$here/k3d-tier/build-bins.sh"
# shellcheck source=k3d-tier/images.sh
source "$here/k3d-tier/images.sh"

registry_name=homelab-dr-registry
registry_port=${HOMELAB_DR_K3D_REGISTRY_PORT:-5111}
registry_in_cluster="k3d-$registry_name:5000"
registry_push="127.0.0.1:$registry_port"
node_hash=$(files_hash "$here/k3d-tier.pins" "$here"/k3d-tier/node/* "$here/k3d-tier/images.sh")
node_image="homelab-dr/k3s-compat-node:$K8S_VERSION-r$NODE_IMAGE_REVISION-$node_hash"
pause_image="homelab-dr/pause:$(files_hash "$here/k3d-tier/pause.c")"
tools_image="homelab-dr/k3d-tools:$K3D_VERSION-$(files_hash "$here/k3d-tier/k3d-tools.c")"
lb_image="homelab-dr/k3d-lb:$K3D_VERSION-$(files_hash "$here/k3d-tier/lb/entrypoint")"
registry_image="homelab-dr/registry:$DISTRIBUTION_VERSION"
sealed_secrets_image="homelab-dr/sealed-secrets-controller:$SEALED_SECRETS_VERSION"
app_image="homelab-dr/app:$( [ -d "$here/k3d-tier/app" ] && files_hash "$here"/k3d-tier/app/* || echo none)"
k3d_dir="$tier_bin/k3d-$K3D_VERSION-noprivileged"

print_env() {
  local host; host=$(cat "$tier_cache/docker-host" 2>/dev/null || echo "unix://$docker_sock")
  cat <<ENV
export DOCKER_HOST='$host'
export PATH='$k3d_dir:$cache/bin/kubernetes-$K8S_VERSION:$cache/bin/sealed-secrets-$SEALED_SECRETS_VERSION':"\$PATH"
export K3D_FIX_NO_PRIVILEGED=1
export K3D_IMAGE_TOOLS='$tools_image'
export K3D_IMAGE_LOADBALANCER='$lb_image'
export HOMELAB_DR_K3D_NODE_IMAGE='$node_image'
export HOMELAB_DR_K3D_PAUSE_IMAGE='$pause_image'
export HOMELAB_DR_K3D_REGISTRY='$registry_in_cluster'
export HOMELAB_DR_K3D_REGISTRY_NAME='k3d-$registry_name'
export HOMELAB_DR_K3D_REGISTRY_PUSH='$registry_push'
export HOMELAB_DR_K3D_SEALED_SECRETS_IMAGE='$sealed_secrets_image'
export HOMELAB_DR_K3D_REGISTRY_IMAGE='$registry_image'
ENV
  [ ! -d "$here/k3d-tier/app" ] || echo "export HOMELAB_DR_K3D_APP_IMAGE='$app_image'"
}

# True once GET /v2/ on the registry's host port answers 200 (bash's /dev/tcp: no curl needed). A
# subshell: a connection closed under the write (SIGPIPE) ends only this probe, not the script.
registry_answers() (
  local status=''
  { exec 3<>"/dev/tcp/127.0.0.1/$registry_port"; } 2>/dev/null || exit 1
  printf 'GET /v2/ HTTP/1.0\r\nHost: %s\r\n\r\n' "$registry_push" >&3 2>/dev/null || exit 1
  IFS= read -r -t 5 status <&3 2>/dev/null || true
  [[ $status == HTTP/1.?' 200'* ]]
)

# The registry every cluster pulls from through its registries.yaml mirror; images are pushed into it.
registry_up() {
  if docker inspect "k3d-$registry_name" >/dev/null 2>&1; then
    docker start "k3d-$registry_name" >/dev/null
  else
    PATH="$k3d_dir:$PATH" K3D_FIX_NO_PRIVILEGED=1 k3d registry create "$registry_name" \
      --image "$registry_image" --port "127.0.0.1:$registry_port" --no-help >&2
  fi
  # docker-proxy accepts connections before the registry inside listens (seen: a push right after the
  # start failed with "server closed idle connection"): wait for its API to answer 200, then push.
  local waited=0
  until registry_answers; do
    [ $waited -lt 60 ] || die "registry k3d-$registry_name did not answer GET http://$registry_push/v2/ within 60s"
    sleep 1; waited=$((waited + 1))
  done
  local image
  for image in "$pause_image" "$sealed_secrets_image" "$registry_image" $( [ ! -d "$here/k3d-tier/app" ] || echo "$app_image"); do
    docker tag "$image" "$registry_push/$image"
    docker push -q "$registry_push/$image" >/dev/null || die "pushing $image to $registry_push failed"
    docker rmi "$registry_push/$image" >/dev/null
  done
  say "registry k3d-$registry_name: $registry_in_cluster in clusters, $registry_push from this host"
}

# k3d gives its nodes the restart policy unless-stopped, so a cluster left in the tier's own engine (a run
# killed before its teardown, a bench cluster kept by hand) starts again with the engine and loads the
# 2 cores under every later test. Only in the engine `up` started (its data root is ours alone): every
# k3d cluster found there is named and deleted before anything else runs. A user's engine is never swept.
sweep_leftover_clusters() {
  [ "${DOCKER_HOST:-}" = "unix://$docker_sock" ] || return 0
  local clusters name
  clusters=$(docker ps -a --filter label=app=k3d --format '{{.Label "k3d.cluster"}}' | sort -u | grep -v '^$' || true)
  for name in $clusters; do
    say "deleting k3d cluster $name left in the tier's own engine (it would restart with the engine)"
    PATH="$k3d_dir:$PATH" K3D_FIX_NO_PRIVILEGED=1 k3d cluster delete "$name" >&2 || die "could not delete leftover cluster $name"
  done
}

up() {
  command -v go >/dev/null 2>&1 || die "no Go toolchain: the tier builds k3d, kubelet and the registry from Go modules"
  command -v gcc >/dev/null 2>&1 || install_packages "gcc libc6-dev"
  docker_up
  cached k3d "$K3D_VERSION-noprivileged" build_k3d >/dev/null
  ensure_image "$pause_image" build_pause_image
  ensure_image "$tools_image" build_tools_image
  ensure_image "$node_image" build_node_image
  ensure_image "$lb_image" build_lb_image
  ensure_image "$registry_image" build_registry_image
  ensure_image "$sealed_secrets_image" build_sealed_secrets_image
  [ ! -d "$here/k3d-tier/app" ] || ensure_image "$app_image" build_app_image
  sweep_leftover_clusters
  registry_up
  say "up"
}

down() {
  # The registry goes from whichever engine `up` used; the engine itself is stopped only if `up` started it.
  if [ -f "$tier_cache/docker-host" ]; then
    local host; host=$(cat "$tier_cache/docker-host")
    if [ -n "$host" ]; then export DOCKER_HOST=$host; fi
    docker rm -f -v "k3d-$registry_name" >/dev/null 2>&1 || true
    rm -f "$tier_cache/docker-host"
  fi
  docker_down
}

case ${1:-} in
  up) up ;;
  down) down ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
