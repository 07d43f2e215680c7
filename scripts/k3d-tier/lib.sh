# Shared by scripts/k3d-tier/*.sh: pins, cache paths, logging, and the one "build once per version" helper.
# shellcheck shell=bash
tier_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scripts_dir=$(dirname "$tier_dir")
# shellcheck source=../control-plane.pins
source "$scripts_dir/control-plane.pins"
# shellcheck source=../k3d-tier.pins
source "$scripts_dir/k3d-tier.pins"

cache=${HOMELAB_DR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-dr}
tier_cache="$cache/k3d-tier"
tier_bin="$tier_cache/bin"
tier_src="$tier_cache/src"
tier_logs="$tier_cache/logs"
docker_root="$tier_cache/docker"
docker_sock="$docker_root/docker.sock"
docker_pidfile="$docker_root/dockerd.pid"
mkdir -p "$tier_bin" "$tier_src" "$tier_logs"

tier_started=${tier_started:-$(date +%s)}
say() { printf '[k3d-tier %ss] %s\n' "$(( $(date +%s) - tier_started ))" "$*" >&2; }
die() { printf '[k3d-tier] ERROR: %s\n' "$*" >&2; exit 1; }

# cached NAME KEY BUILDER : run BUILDER DIR once per KEY; DIR is moved into place only when BUILDER succeeds,
# so an interrupted build is never mistaken for a finished one. Prints the directory.
cached() {
  local name=$1 key=$2 builder=$3 dest="$tier_bin/$1-$2" tmp log t0
  if [ -f "$dest/.complete" ]; then
    say "$name $key: cached"
    printf '%s\n' "$dest"; return 0
  fi
  tmp="$dest.partial.$$"; log="$tier_logs/$name-$key.log"; t0=$(date +%s)
  rm -rf "$tmp"; mkdir -p "$tmp"
  say "$name $key: building (log: $log)"
  # errexit inside the builder: a failing command stops it (an `if` around the subshell would disable that).
  local rc=0 outer_errexit=$-
  set +e; ( set -e; "$builder" "$tmp" ) >"$log" 2>&1; rc=$?
  [[ $outer_errexit == *e* ]] && set -e
  if [ $rc -ne 0 ]; then
    rm -rf "$tmp"
    tail -n 30 "$log" >&2
    die "$name $key: build failed after $(( $(date +%s) - t0 ))s (log: $log)"
  fi
  touch "$tmp/.complete"; rm -rf "$dest"; mv "$tmp" "$dest"
  say "$name $key: built in $(( $(date +%s) - t0 ))s"
  printf '%s\n' "$dest"
}

# module_dir MODULE@VERSION : the read-only module cache directory of one module version.
module_dir() {
  GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'
}
