module homelab-dr.local/yaml2json

go 1.22

require sigs.k8s.io/yaml v1.4.0
