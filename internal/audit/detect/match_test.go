package detect

import "testing"

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pat, s string
		want   bool
	}{
		{"abc", "abc", true}, {"abc", "abd", false}, {"*", "", true}, {"*", "a/b:c", true},
		{"a*", "abc", true}, {"*c", "abc", true}, {"a*c", "ac", true}, {"a*c", "abcbc", true}, {"a*c", "abcb", false},
		{"system:serviceaccount:ci:*", "system:serviceaccount:ci:deployer", true},
		{"system:serviceaccount:ci:*", "system:serviceaccount:cid:x", false},
		{"*a*b*", "xxaxxbxx", true}, {"*a*b*", "xxbxxaxx", false}, {"registry.io/*", "registry.io.evil/x", false},
	} {
		if got := glob(c.pat, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v", c.pat, c.s, got)
		}
	}
}

func TestMatchImage(t *testing.T) {
	for _, c := range []struct {
		pat, image string
		want       bool
	}{
		{"nginx", "nginx:1.27", true},
		{"nginx", "docker.io/library/nginx@sha256:abc", true},
		{"docker.io/library/nginx:1.*", "nginx:1.27", true},
		{"docker.io/library/nginx:1.*", "nginx:2.0", false},
		{"calico/node", "docker.io/calico/node:v3", true},
		{"registry.example.com/*", "registry.example.com/team/app:1", true},
		{"registry.example.com/team/app", "registry.example.com:5000/team/app", false},
		{"localhost:5000/app", "localhost:5000/app:dev", true},
		{"nginx", "evil/nginx", false},
	} {
		if got := (Patterns{c.pat}).MatchImage(c.image); got != c.want {
			t.Errorf("MatchImage(%q, %q) = %v", c.pat, c.image, got)
		}
	}
}

func TestPathOverlaps(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"/", "/proc", true}, {"/proc", "/proc", true}, {"/proc/", "/proc", true}, {"/proc/sys", "/proc", true},
		{"/var", "/var/run/docker.sock", true}, {"/var/run/../lib/kubelet", "/var/lib/kubelet", true},
		{"/procfs", "/proc", false}, {"/data", "/proc", false},
	} {
		if got := pathOverlaps(c.p, c.s); got != c.want {
			t.Errorf("pathOverlaps(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/pods":                                    "/api/v1/pods",
		"/api/v1/pods?access_token=abc":                   "/api/v1/pods?access_token=REDACTED",
		"/x?command=env&command=TOKEN=1":                  "/x?command=env&command=TOKEN%3DREDACTED",
		"/x?command=psql&command=--password=p&command=-h": "/x?command=psql&command=--password%3DREDACTED&command=-h",
		"/x?watch=true&labelSelector=a%3Db":               "/x?watch=true&labelSelector=a%3Db",
	} {
		if got := RedactURI(in); got != want {
			t.Errorf("RedactURI(%q) = %q, want %q", in, got, want)
		}
	}
	got := RedactCommand([]string{"sh", "-c", "AWS_SECRET_ACCESS_KEY=abc aws s3 ls", "--token", "t0k", "--user=x"})
	want := []string{"sh", "-c", "AWS_SECRET_ACCESS_KEY=REDACTED aws s3 ls", "--token", "REDACTED", "--user=x"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("RedactCommand[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}
