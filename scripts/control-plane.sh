#!/usr/bin/env bash
# Builds the pinned real control plane (Kubernetes, etcd, kwok, sealed-secrets, helm, age, sops), and
# yaml2json (kubectl's YAML reader, for the YAML 1.1 differential test), from Go modules into a versioned cache outside the repo. Idempotent: a warm cache only re-checks
# every binary's --version against its pin. Nothing is downloaded at run time by the tools built here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=control-plane.pins
source "$here/control-plane.pins"

cache=${HOMELAB_DR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-dr}
bin_root="$cache/bin"
log_dir="$cache/logs"
work_root="$cache/src"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-local}

started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }
say() { printf '[control-plane %s] %s\n' "$(elapsed "$started")" "$*" >&2; }
die() { printf '[control-plane] ERROR: %s\n' "$*" >&2; exit 1; }

if ! command -v go >/dev/null 2>&1; then
  die "no Go toolchain on PATH: install Go >= 1.26 (https://go.dev/doc/install) and run this script again"
fi
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
[ "${go_minor:-0}" -ge 26 ] || die "Go $(go env GOVERSION) is too old: the pinned components need Go >= 1.26 (etcd v3.5.35's go.mod)"

mkdir -p "$bin_root" "$log_dir" "$work_root"

k8s_minor=${K8S_VERSION#v1.}; k8s_minor=${k8s_minor%%.*}
staging_version="v0.${K8S_VERSION#v1.}"

# check_version DIR BINARY EXPECTED ARGS... : the binary must exist and print EXPECTED.
check_version() {
  local dir=$1 name=$2 expected=$3; shift 3
  local out
  [ -x "$dir/$name" ] || { echo "missing $dir/$name"; return 1; }
  out=$("$dir/$name" "$@" 2>&1) || { echo "$name $* failed: $out"; return 1; }
  grep -qF -- "$expected" <<<"$out" || { echo "$name reports '$(head -1 <<<"$out")', pin is $expected"; return 1; }
}

# component NAME VERSION BUILDER CHECK... : skip when cached and every check passes, else build into
# a temporary directory and move it into place only after every check passes.
component() {
  local name=$1 version=$2 builder=$3; shift 3
  local dest="$bin_root/$name-$version" t0 log tmp
  t0=$(date +%s)
  if [ -f "$dest/.complete" ] && run_checks "$dest" "$@" >/dev/null; then
    say "$name $version: cached ($dest)"
    return 0
  fi
  log="$log_dir/$name-$version.log"
  tmp="$dest.partial.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  say "$name $version: building (log: $log)"
  if ! "$builder" "$tmp" >"$log" 2>&1; then
    rm -rf "$tmp"
    printf '\n--- last 40 lines of %s ---\n' "$log" >&2
    tail -n 40 "$log" >&2
    die "$name $version: build failed after $(elapsed "$t0") (full log above: $log)"
  fi
  local problem
  if ! problem=$(run_checks "$tmp" "$@"); then
    rm -rf "$tmp"
    die "$name $version: built, but the version check failed: $problem"
  fi
  touch "$tmp/.complete"
  rm -rf "$dest"; mv "$tmp" "$dest"
  say "$name $version: built in $(elapsed "$t0")"
}

# run_checks DIR "binary|expected|arg arg" ...
run_checks() {
  local dir=$1; shift
  local spec bin expected args
  for spec in "$@"; do
    IFS='|' read -r bin expected args <<<"$spec"
    # shellcheck disable=SC2086
    check_version "$dir" "$bin" "$expected" $args || return 1
  done
}

# A wrapper module: k8s.io/kubernetes replaces its staging modules with local paths, which `go install`
# refuses, so we require it and point every staging module (written v0.0.0 upstream) at its published tag.
build_kubernetes() {
  local out=$1 w="$work_root/kubernetes-$K8S_VERSION" gomod
  mkdir -p "$w"; cd "$w"
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] || { echo "could not fetch go.mod of k8s.io/kubernetes@$K8S_VERSION"; return 1; }
  {
    echo "module homelab-dr.local/kubernetes-build"
    echo "go 1.24.0"
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo "replace ("
    awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print "\t" $1 " => " $1 " '"$staging_version"'" }' "$gomod"
    echo ")"
  } >go.mod
  cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod tidy
  local ld="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  go build -trimpath -ldflags "$ld" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
}

# etcd's modules also replace each other with local paths; a wrapper module resolves the published ones.
build_etcd() {
  local out=$1 w="$work_root/etcd-$ETCD_VERSION"
  mkdir -p "$w"; cd "$w"
  printf 'module homelab-dr.local/etcd-build\ngo 1.23\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
  go mod tidy
  go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
  GOBIN=$1 go install -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
}

build_sealed_secrets() {
  GOBIN=$1 go install -trimpath -ldflags "-s -w -X main.VERSION=$SEALED_SECRETS_VERSION" \
    "github.com/bitnami-labs/sealed-secrets/cmd/controller@$SEALED_SECRETS_VERSION" \
    "github.com/bitnami-labs/sealed-secrets/cmd/kubeseal@$SEALED_SECRETS_VERSION"
  mv "$1/controller" "$1/sealed-secrets-controller"
  # The CRD is read from the module cache at run time; record where, so nothing upstream is copied.
  go mod download -json "github.com/bitnami-labs/sealed-secrets@$SEALED_SECRETS_VERSION" \
    | sed -n 's/.*"Dir": "\(.*\)".*/\1/p' >"$1/module-dir"
}

build_helm() {
  GOBIN=$1 go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

build_age() {
  GOBIN=$1 go install -trimpath -ldflags "-s -w -X main.Version=$AGE_VERSION" \
    "filippo.io/age/cmd/age@$AGE_VERSION" "filippo.io/age/cmd/age-keygen@$AGE_VERSION"
}

build_sops() {
  GOBIN=$1 go install -trimpath -ldflags "-s -w" "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION"
}

# Our own tiny program (scripts/yaml2json) on the pinned sigs.k8s.io/yaml, built in a copy of its module.
build_yaml2json() {
  local out=$1 w="$work_root/yaml2json-$SIGS_YAML_VERSION"
  rm -rf "$w"; mkdir -p "$w"; cp "$here/yaml2json/main.go" "$here/yaml2json/go.mod" "$here/yaml2json/go.sum" "$w/"
  cd "$w"
  GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" go mod edit -require="sigs.k8s.io/yaml@$SIGS_YAML_VERSION"
  GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" go mod tidy
  GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "-s -w -X main.version=$SIGS_YAML_VERSION" -o "$out/yaml2json" .
}

# The upstream PodSecurity fixtures (test/testdata of k8s.io/pod-security-admission at the release of
# K8S_VERSION) are read from the Go module cache by the unit tests; only the download happens here.
pod_security_fixtures() {
  local dir
  dir=$(go mod download -json "k8s.io/pod-security-admission@$staging_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$dir/test/testdata" ] || die "k8s.io/pod-security-admission@$staging_version has no test/testdata (module dir: ${dir:-none})"
  say "pod-security-admission $staging_version fixtures: $dir/test/testdata"
}

say "cache: $cache ($(go env GOVERSION))"
component etcd "$ETCD_VERSION" build_etcd "etcd|etcd Version: ${ETCD_VERSION#v}|--version"
component kubernetes "$K8S_VERSION" build_kubernetes \
  "kube-apiserver|Kubernetes $K8S_VERSION|--version" \
  "kube-controller-manager|Kubernetes $K8S_VERSION|--version" \
  "kube-scheduler|Kubernetes $K8S_VERSION|--version" \
  "kubectl|Client Version: $K8S_VERSION|version --client"
component kwok "$KWOK_VERSION" build_kwok "kwok|${KWOK_VERSION#v}|--version" "kwokctl|${KWOK_VERSION#v}|--version"
component sealed-secrets "$SEALED_SECRETS_VERSION" build_sealed_secrets \
  "sealed-secrets-controller|controller version: $SEALED_SECRETS_VERSION|--version" \
  "kubeseal|kubeseal version: $SEALED_SECRETS_VERSION|--version"
component helm "$HELM_VERSION" build_helm "helm|$HELM_VERSION|version --short"
component age "$AGE_VERSION" build_age "age|$AGE_VERSION|--version"
component sops "$SOPS_VERSION" build_sops "sops|${SOPS_VERSION#v}|--version --disable-version-check"
component yaml2json "$SIGS_YAML_VERSION" build_yaml2json "yaml2json|sigs.k8s.io/yaml $SIGS_YAML_VERSION|--version"
pod_security_fixtures
du -sh "$bin_root" | awk '{print "[control-plane] cache size: " $1}' >&2
say "all components ready"
