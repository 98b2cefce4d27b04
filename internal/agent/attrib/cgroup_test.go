package attrib

import "testing"

// The cgroup paths the kubelet and the runtimes create, as they appear in
// /proc/<pid>/cgroup on real nodes.
func TestParsePath(t *testing.T) {
	const id = "8f4c2ad3b1e97a6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d"
	for _, tc := range []struct {
		path   string
		ok     bool
		podUID string
	}{
		// systemd driver, containerd
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b8f6c1e_7d2a_4c4e_9a51_1f2e3d4c5b6a.slice/cri-containerd-" + id + ".scope", true, "0b8f6c1e-7d2a-4c4e-9a51-1f2e3d4c5b6a"},
		// systemd driver, guaranteed QoS (no QoS slice), CRI-O
		{"/kubepods.slice/kubepods-pod0b8f6c1e_7d2a_4c4e_9a51_1f2e3d4c5b6a.slice/crio-" + id + ".scope", true, "0b8f6c1e-7d2a-4c4e-9a51-1f2e3d4c5b6a"},
		// cgroupfs driver (kind, k3s), burstable
		{"/kubepods/burstable/pod0b8f6c1e-7d2a-4c4e-9a51-1f2e3d4c5b6a/" + id, true, "0b8f6c1e-7d2a-4c4e-9a51-1f2e3d4c5b6a"},
		// docker shim
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b8f6c1e_7d2a_4c4e_9a51_1f2e3d4c5b6a.slice/docker-" + id + ".scope", true, "0b8f6c1e-7d2a-4c4e-9a51-1f2e3d4c5b6a"},
		// the pod's own slice, the host's services, a docker container outside Kubernetes
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b8f6c1e_7d2a_4c4e_9a51_1f2e3d4c5b6a.slice", false, ""},
		{"/system.slice/containerd.service", false, ""},
		{"/system.slice/docker-" + id + ".scope", false, ""},
		{"/", false, ""},
	} {
		c, ok := ParsePath(tc.path)
		if ok != tc.ok || c.PodUID != tc.podUID || (ok && c.ID != id) {
			t.Errorf("%s: %+v %v", tc.path, c, ok)
		}
	}
}
