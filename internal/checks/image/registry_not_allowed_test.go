package image

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func allowing(entries ...string) *check.Options {
	o := check.DefaultOptions()
	o.AllowedRegistries = entries
	return o
}

func TestRegistryNotAllowed(t *testing.T) {
	checktest.RunFixtures(t, RegistryNotAllowed, allowing("registry.example.com:5000", "ghcr.io/acme", "docker.io/library", "*.dkr.ecr.eu-west-1.amazonaws.com"), []checktest.Fixture{{
		Name: "images inside the allowlist pass",
		YAML: pod("p",
			"registry.example.com:5000/team/app:1",
			"ghcr.io/acme/app:1",
			"ghcr.io/acme/tools/cli:2",
			"nginx:1.27",
			"docker.io/library/alpine:3",
			"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1"),
	}, {
		Name: "near misses fail",
		YAML: pod("p",
			"registry.example.com/team/app:1",         // no port
			"registry.example.com:5001/team/app:1",    // other port
			"ghcr.io/acme-evil/app:1",                 // prefix across a segment
			"ghcr.io/other/app:1",                     // other owner
			"bitnami/redis:7",                         // docker.io, not library
			"dkr.ecr.eu-west-1.amazonaws.com/app:1",   // the wildcard wants a subdomain
			"x.dkr.ecr.us-east-1.amazonaws.com/app:1", // other region
			"evil.com/docker.io/library/nginx:1"),     // the name, not a substring
		Want: []string{
			"Pod/p spec.containers[0].image", "Pod/p spec.containers[1].image", "Pod/p spec.containers[2].image",
			"Pod/p spec.containers[3].image", "Pod/p spec.containers[4].image", "Pod/p spec.containers[5].image",
			"Pod/p spec.containers[6].image", "Pod/p spec.containers[7].image",
		},
	}})
}

// TestRegistryNotAllowedEveryContainer follows Kyverno's
// restrict-image-registries tests (kyverno/policies,
// best-practices/restrict-image-registries/.chainsaw-test): init
// containers and CronJob templates are judged, and so is an ephemeral
// container added with kubectl debug, which the policy must deny.
func TestRegistryNotAllowedEveryContainer(t *testing.T) {
	checktest.RunFixtures(t, RegistryNotAllowed, allowing("eu.foo.io", "bar.io"), []checktest.Fixture{{
		Name: "init containers of a CronJob",
		YAML: `apiVersion: batch/v1
kind: CronJob
metadata: {name: reqro-badcronjob03}
spec:
  schedule: "*/1 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          initContainers: [{name: k8s-nginx-init, image: bar.io/nginx}, {name: busybox-init, image: "busybox:1.35"}]
          containers: [{name: k8s-nginx, image: bar.io/nginx}, {name: nginx, image: eu.foo.io/nginx}]`,
		Want: []string{"CronJob/reqro-badcronjob03 spec.jobTemplate.spec.template.spec.initContainers[1].image"},
	}, {
		Name: "an ephemeral container from kubectl debug",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: goodpod02-registry}
spec:
  containers: [{name: k8s-nginx, image: bar.io/nginx}]
  ephemeralContainers: [{name: debugger, image: "busybox:1.35", targetContainerName: k8s-nginx}, {name: ok, image: bar.io/busybox}]`,
		Want: []string{"Pod/goodpod02-registry spec.ephemeralContainers[0].image"},
	}, {
		Name: "every container from an allowed registry",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: goodpod03-registry}
spec:
  initContainers: [{name: init, image: eu.foo.io/busybox}]
  containers: [{name: k8s-nginx, image: bar.io/nginx}, {name: busybox, image: eu.foo.io/busybox}]
  ephemeralContainers: [{name: debugger, image: "bar.io/busybox:1.35"}]`,
	}})
}

func TestRegistryNotAllowedInactiveWithoutAllowlist(t *testing.T) {
	if fs := checktest.Run(t, pod("p", "evil.com/x:1"), nil, RegistryNotAllowed); len(fs) != 0 {
		t.Fatalf("findings = %+v, want none without an allowlist", fs)
	}
}

func TestRegistryNotAllowedMessage(t *testing.T) {
	fs := checktest.Run(t, pod("p", "redis:7"), allowing("https://ghcr.io/acme/"), RegistryNotAllowed)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "comes from docker.io/library/redis, which no allowed registry (https://ghcr.io/acme/) covers") {
		t.Fatalf("findings = %+v", fs)
	}
}

func TestParsePattern(t *testing.T) {
	good := map[string]pattern{
		"ghcr.io":                  {host: "ghcr.io"},
		" GHCR.io/Acme/ ":          {host: "ghcr.io", path: "acme"},
		"https://quay.io":          {host: "quay.io"},
		"index.docker.io/library":  {host: "docker.io", path: "library"},
		"localhost:5000":           {host: "localhost:5000"},
		"*.azurecr.io":             {host: "azurecr.io", wildcard: true},
		"*.pkg.dev/proj/repo":      {host: "pkg.dev", wildcard: true, path: "proj/repo"},
		"registry-1.docker.io/foo": {host: "docker.io", path: "foo"},
	}
	for in, want := range good {
		got, err := parsePattern(in)
		got.raw = ""
		if err != nil || got != want {
			t.Errorf("parsePattern(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", " ", "/", "https://", "a b", "ghcr.io/*", "ghcr.*.io", "*", "*.", "ghcr.io//x", "app@sha256:x"} {
		if err := ValidateAllowedRegistry(bad); err == nil {
			t.Errorf("ValidateAllowedRegistry(%q) = nil, want an error", bad)
		}
	}
}

// FuzzAllowlist checks that matching never panics, and that any image
// under a valid entry is allowed by it.
func FuzzAllowlist(f *testing.F) {
	for _, s := range [][2]string{{"ghcr.io/acme", "app:1"}, {"*.azurecr.io", "x.azurecr.io/a"}, {"localhost:5000", "b"}, {"docker.io/library", "nginx"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, entry, rest string) {
		a := parseAllowlist([]string{entry})
		if r, err := parseRef(rest); err == nil {
			a.allows(r) // must not panic
		}
		p, err := parsePattern(entry)
		if err != nil || p.wildcard {
			return
		}
		name := p.host
		if p.path != "" {
			name += "/" + p.path
		}
		r, err := parseRef(name + "/" + rest)
		if err != nil || r.Domain != p.host {
			return // not a valid image name under this entry
		}
		if !a.allows(r) {
			t.Errorf("entry %q does not allow %q (%+v)", entry, name+"/"+rest, r)
		}
	})
}

func TestAllowlistStringShortensLongLists(t *testing.T) {
	a := parseAllowlist([]string{"a.io", "b.io", "c.io", "d.io", "e.io", "f.io", "g.io"})
	if got, want := a.String(), "a.io, b.io, c.io, d.io, e.io, and 2 more"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
