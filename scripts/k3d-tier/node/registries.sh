# shellcheck shell=bash
# /etc/rancher/k3s/registries.yaml as k3s reads it (mirrors with endpoints, configs with tls), turned into
# containerd's registry hosts config: one /etc/containerd/certs.d/<registry>/hosts.toml per registry.
certs_d=/etc/containerd/certs.d

# upstream_of NAME : the default server of a registry name (docker.io's is registry-1.docker.io).
upstream_of() {
  case $1 in docker.io) echo https://registry-1.docker.io ;; '*') echo '' ;; *) echo "https://$1" ;; esac
}

# tls_lines HOSTPORT JSON : containerd host options from registries.yaml `configs.<host>.tls`.
tls_lines() {
  jq -r --arg h "$1" '.configs[$h].tls // {} |
    (if .insecure_skip_verify then "  skip_verify = true" else empty end),
    (if .ca_file then "  ca = \"\(.ca_file)\"" else empty end),
    (if .cert_file then "  client = [[\"\(.cert_file)\", \"\(.key_file)\"]]" else empty end)' <<<"$2"
}

write_registries_config() {
  rm -rf "$certs_d"; mkdir -p "$certs_d"
  local file=/etc/rancher/k3s/registries.yaml json name dir endpoint hostport
  [ -f "$file" ] || { log "no $file: images come from their own registries"; return 0; }
  json=$(jq -Rs '[.]' "$file" | yaml2json | jq '.[0].json // error(.[0].error)') \
    || die "cannot read $file as YAML"
  if jq -e '[.configs // {} | .[] | select((.auth // {}) | length > 0)] | length > 0' <<<"$json" >/dev/null; then
    die "$file: registry auth is not supported by this node image (containerd 1.6 hosts config has no auth)"
  fi
  if jq -e '[.mirrors // {} | .[] | select((.rewrite // {}) | length > 0)] | length > 0' <<<"$json" >/dev/null; then
    die "$file: mirror rewrites are not supported by this node image"
  fi
  for name in $(jq -r '(.mirrors // {} | keys[]), (.configs // {} | keys[])' <<<"$json" | sort -u); do
    dir="$certs_d/$name"; [ "$name" != '*' ] || dir="$certs_d/_default"
    mkdir -p "$dir"
    {
      [ -z "$(upstream_of "$name")" ] || printf 'server = "%s"\n' "$(upstream_of "$name")"
      for endpoint in $(jq -r --arg n "$name" '.mirrors[$n].endpoint // [] | .[]' <<<"$json"); do
        hostport=${endpoint#*://}; hostport=${hostport%%/*}
        printf '\n[host."%s"]\n  capabilities = ["pull", "resolve"]\n' "$endpoint"
        tls_lines "$hostport" "$json"
      done
    } >"$dir/hosts.toml"
    # A configs entry without a mirror configures the registry's own endpoint.
    if ! jq -e --arg n "$name" '.mirrors[$n]' <<<"$json" >/dev/null && [ -n "$(tls_lines "$name" "$json")" ]; then
      printf '\n[host."https://%s"]\n  capabilities = ["pull", "resolve", "push"]\n%s\n' "$name" "$(tls_lines "$name" "$json")" >>"$dir/hosts.toml"
    fi
    log "registry hosts config for $name written from $file"
  done
}
