# Go- and C-built binaries of the k3d tier, each cached by its pin. Sourced by scripts/k3d-tier.sh.
# shellcheck shell=bash

# k3d from its module, with the one switch of k3d-no-privileged.go. Each edit is checked: if upstream
# moved the lines, the build stops instead of producing a k3d that silently asks for privileged mode.
build_k3d() {
  local out=$1 w="$tier_src/k3d-$K3D_VERSION" mod pkg
  mod=$(module_dir "github.com/k3d-io/k3d/v5@$K3D_VERSION")
  [ -d "$mod" ] || { echo "go mod download of k3d $K3D_VERSION failed"; return 1; }
  rm -rf "$w"; cp -r "$mod" "$w"; chmod -R u+w "$w"
  pkg="$w/pkg/runtimes/docker"
  patch_line "$pkg/translate.go" '^\thostConfig.Privileged = true$' '\tnodePrivileges(&hostConfig)'
  patch_line "$pkg/node.go" '^\t\tPrivileged: true,$' '\t\tPrivileged: !noPrivileged(),'
  cp "$tier_dir/k3d-no-privileged.go" "$pkg/"
  cd "$w"
  GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false nice go build -trimpath -ldflags "-s -w \
    -X github.com/k3d-io/k3d/v5/version.Version=$K3D_VERSION \
    -X github.com/k3d-io/k3d/v5/version.K3sVersion=$K3D_K3S_VERSION" -o "$out/k3d" .
  "$out/k3d" version | grep -qF "k3d version $K3D_VERSION"
}

# patch_line FILE REGEX REPLACEMENT : exactly one line must match, else the patch no longer applies.
patch_line() {
  local file=$1 regex=$2 repl=$3 n
  n=$(grep -cP "$regex" "$file" || true)
  [ "$n" = 1 ] || { echo "k3d patch no longer applies: $file has $n lines matching $regex (want 1)"; return 1; }
  sed -i "s/${regex}/${repl//&/\\&}/" "$file"
  grep -qF "$(printf '%b' "$repl")" "$file" || { echo "k3d patch did not apply to $file"; return 1; }
}

# kubelet and kube-proxy from the same wrapper module as scripts/control-plane.sh builds the control
# plane with (a copy, so that the control plane's go.sum stays as it is).
build_kube_node() {
  local out=$1 w="$tier_src/kubernetes-node-$K8S_VERSION" k8s_minor ld pkg
  rm -rf "$w"; mkdir -p "$w"
  cp "$cache/src/kubernetes-$K8S_VERSION/go.mod" "$cache/src/kubernetes-$K8S_VERSION/go.sum" "$w/" \
    || { echo "run scripts/control-plane.sh first: no wrapper module under $cache/src"; return 1; }
  cd "$w"
  printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kubelet"\n\t_ "k8s.io/kubernetes/cmd/kube-proxy"\n)\n' >tools.go
  GOWORK=off go mod tidy
  k8s_minor=${K8S_VERSION#v1.}; k8s_minor=${k8s_minor%%.*}; ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false nice go build -trimpath -ldflags "$ld" -o "$out/" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
  "$out/kubelet" --version | grep -qF "Kubernetes $K8S_VERSION"
}

# The registry: distribution's cmd/registry from its module.
build_registry() {
  local out=$1 w="$tier_src/distribution-$DISTRIBUTION_VERSION" mod
  mod=$(module_dir "github.com/distribution/distribution/v3@$DISTRIBUTION_VERSION")
  [ -d "$mod" ] || { echo "go mod download of distribution $DISTRIBUTION_VERSION failed"; return 1; }
  rm -rf "$w"; cp -r "$mod" "$w"; chmod -R u+w "$w"; cd "$w"
  GOWORK=off CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=mod" nice go build -trimpath -ldflags "-s -w \
    -X github.com/distribution/distribution/v3/version.version=$DISTRIBUTION_VERSION" -o "$out/registry" ./cmd/registry
  "$out/registry" --version | grep -qF "$DISTRIBUTION_VERSION"
}
