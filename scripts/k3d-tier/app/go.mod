module homelab-dr.local/k3d-tier/app

go 1.22
