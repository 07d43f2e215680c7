// Added to a copy of k3d's pkg/runtimes/docker by scripts/k3d-tier/build-bins.sh (see docs/k3d-tier.md).
// Where the engine refuses privileged containers (a capability bounding set without CAP_SYS_RESOURCE),
// K3D_FIX_NO_PRIVILEGED=1 asks for everything else a privileged container gets instead. Unset, k3d is stock.

package docker

import (
	"os"

	docker "github.com/docker/docker/api/types/container"
)

func noPrivileged() bool { return os.Getenv("K3D_FIX_NO_PRIVILEGED") == "1" }

// nodePrivileges gives a node container privileged mode, or where that is refused, every capability
// the engine may grant, no seccomp or AppArmor profile, no masked or read-only paths, and all devices.
func nodePrivileges(hostConfig *docker.HostConfig) {
	if !noPrivileged() {
		hostConfig.Privileged = true
		return
	}
	hostConfig.CapAdd = []string{"ALL"}
	hostConfig.CapDrop = []string{"SYS_RESOURCE"}
	hostConfig.SecurityOpt = append(hostConfig.SecurityOpt, "seccomp=unconfined", "apparmor=unconfined")
	hostConfig.MaskedPaths = []string{}
	hostConfig.ReadonlyPaths = []string{}
	hostConfig.DeviceCgroupRules = append(hostConfig.DeviceCgroupRules, "a *:* rwm")
}
