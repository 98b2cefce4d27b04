package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// sensitiveMountPod detects host paths that expose the node (Falco: Create
// Sensitive Mount Pod).
//
// Reads: verb, objectRef (pods), the request body (spec.volumes[].hostPath,
// container images), the authorization decision and response code.
//
// Fires on an authorized pod creation mounting a host path that is, lies
// inside, or contains one of Options.SensitiveHostPaths ("/" contains them
// all; "/etc/kubernetes/pki" lies inside "/etc/kubernetes"), unless every
// image is in Options.PrivilegedImages.
func sensitiveMountPod() Rule {
	return Rule{
		Meta: Meta{
			ID:       "sensitive-mount-pod",
			Title:    "Pod mounts a sensitive host path",
			Severity: check.High,
			MITRE:    []Technique{tEscapeToHost},
			Fires:    "a pod created with a hostPath volume over a sensitive host directory or socket",
			Reads:    []string{"verb", "objectRef", "requestObject", "annotations", "responseStatus.code"},
			Fix:      "Replace the hostPath volume with a ConfigMap, Secret, emptyDir or CSI volume; enforce Pod Security 'baseline'.",
		},
		Eval: func(v *View) *Hit {
			spec, cs, create := newContainers(v)
			if !create || allImagesIn(v.Opts.PrivilegedImages, cs) {
				return nil
			}
			var paths []string
			for _, vol := range spec.Volumes {
				if vol.HostPath == nil {
					continue
				}
				for _, s := range v.Opts.SensitiveHostPaths {
					if pathOverlaps(vol.HostPath.Path, s) {
						paths = append(paths, cleanPath(vol.HostPath.Path))
						break
					}
				}
			}
			if len(paths) == 0 {
				return nil
			}
			name, owner := podTarget(v)
			return outcome(v, hit("pod "+v.Event.Namespace()+"/"+name+" mounts sensitive host paths",
				"hostPaths", strings.Join(paths, ","), "images", strings.Join(images(cs), ","), "owner", owner), check.High)
		},
	}
}
