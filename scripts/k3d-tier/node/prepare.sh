# shellcheck shell=bash
# What a privileged container would have had: writable cgroups and /sys, and /dev/kmsg for the kubelet.
prepare_container() {
  local m
  mount -o remount,bind,rw /sys 2>/dev/null || true
  for m in $(awk '$3 == "cgroup" { print $2 }' /proc/mounts); do
    mount -o remount,bind,rw "$m" || die "cannot make $m writable: the kubelet needs it (see docs/k3d-tier.md)"
  done
  [ -e /dev/kmsg ] || mknod /dev/kmsg c 1 11 || die "no /dev/kmsg and mknod refused"
  mkdir -p "$data/server/tls" "$data/server/db" "$data/agent" /etc/rancher/k3s /run/k3s /var/lib/kubelet /etc/cni/net.d
  # containerd's state must be on a volume: on the image's own overlay it fails with "invalid argument".
  mountpoint -q "$data" || die "$data is not a volume: run the node image with a volume there"
}
