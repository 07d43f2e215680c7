# shellcheck shell=bash
# etcd of a server. A lone server has one member on loopback, in plain HTTP. With several servers (k3d
# gives the first `--cluster-init` and the others K3S_URL, the first server's URL) every server runs a
# member on the node's address of k3d's network, peers and clients in mutual TLS with certificates of the
# cluster CA (pki.sh: `etcd`), as k3s's embedded etcd.
etcd_client_args=(--etcd-servers http://127.0.0.1:2379)

start_etcd() {
  local dir="$data/server/db/etcd" peer="https://$node_ip:2380"
  if [ "$clustered" = false ]; then
    start etcd etcd --data-dir "$dir" --listen-client-urls http://127.0.0.1:2379 \
      --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 --log-level warn
    return 0
  fi
  local cluster="$node_name=$peer" state=new
  # A member's data directory, once made, says where its cluster is: the flags below are for its first start.
  if [ ! -d "$dir/member" ] && [ -n "${K3S_URL:-}" ]; then
    cluster=$(join_etcd "$peer") || die "cannot join the etcd cluster of $K3S_URL"; state=existing
  fi
  start etcd etcd --name "$node_name" --data-dir "$dir" --log-level warn \
    --listen-client-urls "https://127.0.0.1:2379,https://$node_ip:2379" --advertise-client-urls "https://$node_ip:2379" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$cluster" --initial-cluster-state "$state" \
    --cert-file "$tls/etcd.crt" --key-file "$tls/etcd.key" --client-cert-auth --trusted-ca-file "$tls/ca.crt" \
    --peer-cert-file "$tls/etcd.crt" --peer-key-file "$tls/etcd.key" --peer-client-cert-auth --peer-trusted-ca-file "$tls/ca.crt"
  etcd_client_args=(--etcd-servers https://127.0.0.1:2379 --etcd-cafile "$tls/ca.crt" --etcd-certfile "$tls/etcd.crt" --etcd-keyfile "$tls/etcd.key")
}

# etcd_post IP PATH JSON : the JSON body of etcd's gateway answer, over mutual TLS (no curl in the node).
etcd_post() {
  local reply
  reply=$(printf 'POST %s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' "$2" "$1" "${#3}" "$3" |
    openssl s_client -quiet -connect "$1:2379" -CAfile "$tls/ca.crt" -cert "$tls/etcd.crt" -key "$tls/etcd.key" \
      -verify_ip "$1" -verify_return_error 2>/dev/null) || return 1
  [[ $reply == HTTP/1.?' 200'* ]] || return 1
  printf '%s\n' "${reply#*$'\r\n\r\n'}"
}

# join_etcd PEER-URL : adds this server to the first server's etcd cluster (unless an earlier start did)
# and prints the --initial-cluster this member starts with.
join_etcd() {
  local first=${K3S_URL#https://} ip members
  first=${first%%[:/]*}
  ip=$(getent hosts "$first" | awk '{ print $1; exit }')
  [ -n "$ip" ] || die "cannot resolve the first server $first"
  wait_for "etcd of $first" 300 etcd_post "$ip" /v3/cluster/member/list '{}'
  members=$(etcd_post "$ip" /v3/cluster/member/list '{}') || die "etcd of $first: member list failed"
  if ! jq -e --arg p "$1" '[.members[].peerURLs[]] | index($p)' <<<"$members" >/dev/null; then
    members=$(etcd_post "$ip" /v3/cluster/member/add "{\"peerURLs\":[\"$1\"]}") || die "etcd of $first: adding member $1 failed"
    log "etcd member $node_name ($1) added to the cluster of $first" >&2
  fi
  jq -r --arg me "$node_name" --arg p "$1" \
    '[.members[] | "\(if (.peerURLs | index($p)) then $me else .name end)=\(.peerURLs[0])"] | join(",")' <<<"$members"
}
