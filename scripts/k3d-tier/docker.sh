# The tier's own Docker engine. Sourced by scripts/k3d-tier.sh.
# shellcheck shell=bash

# An engine the caller already has (DOCKER_HOST or the default socket) is used as it is and never stopped;
# otherwise Debian's dockerd runs with its own data root, exec root and socket under the cache.
docker_up() {
  if [ -z "${HOMELAB_DR_K3D_OWN_DOCKER:-}" ] && docker info >/dev/null 2>&1; then
    say "using the engine that already answers docker info (${DOCKER_HOST:-default socket}); it is not ours to stop"
    printf '%s\n' "${DOCKER_HOST:-}" >"$tier_cache/docker-host"
    return 0
  fi
  export DOCKER_HOST="unix://$docker_sock"
  printf '%s\n' "$DOCKER_HOST" >"$tier_cache/docker-host"
  if docker info >/dev/null 2>&1; then say "own dockerd already running ($docker_sock)"; return 0; fi
  command -v dockerd >/dev/null 2>&1 || install_packages docker.io
  command -v debootstrap >/dev/null 2>&1 || install_packages debootstrap
  mkdir -p "$docker_root/data" "$docker_root/exec"
  say "starting dockerd (data root $docker_root/data, socket $docker_sock)"
  # setsid: the daemon outlives this script and is stopped by `down` through its pid file only.
  setsid dockerd --data-root "$docker_root/data" --exec-root "$docker_root/exec" --pidfile "$docker_pidfile" \
    --host "$DOCKER_HOST" --storage-driver overlay2 >"$tier_logs/dockerd.log" 2>&1 </dev/null &
  local waited=0
  until docker info >/dev/null 2>&1; do
    kill -0 $! 2>/dev/null || { tail -n 20 "$tier_logs/dockerd.log" >&2; die "dockerd exited (log: $tier_logs/dockerd.log)"; }
    [ $waited -lt 60 ] || die "dockerd did not answer docker info within 60s (log: $tier_logs/dockerd.log)"
    sleep 1; waited=$((waited + 1))
  done
  say "dockerd $(docker version --format '{{.Server.Version}}') answers on $docker_sock"
}

# install_packages "PACKAGE..." : Debian's packages, with a fresh package list only if the first try fails.
install_packages() {
  local -a packages; read -ra packages <<<"$1"
  command -v apt-get >/dev/null 2>&1 || die "$1 is missing and there is no apt-get to install it"
  say "installing Debian's $1"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >"$tier_logs/apt.log" 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >"$tier_logs/apt.log" 2>&1; } \
    || die "apt-get install $1 failed (log: $tier_logs/apt.log)"
}

# Stops only the dockerd whose pid file is ours, and waits until it has exited.
docker_down() {
  [ -f "$docker_pidfile" ] || { say "no dockerd of ours is running"; return 0; }
  local pid waited=0
  pid=$(cat "$docker_pidfile")
  if kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/comm"; then
    say "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
      [ $waited -lt 60 ] || die "dockerd (pid $pid) did not exit within 60s"
      sleep 1; waited=$((waited + 1))
    done
  fi
  rm -f "$docker_pidfile"
}
