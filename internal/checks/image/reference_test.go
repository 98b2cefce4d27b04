package image

import "testing"

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want ref
	}{
		{"nginx", ref{Domain: "docker.io", Path: "library/nginx"}},
		{"nginx:1.27", ref{Domain: "docker.io", Path: "library/nginx", Tag: "1.27"}},
		{"library/nginx:latest", ref{Domain: "docker.io", Path: "library/nginx", Tag: "latest"}},
		{"docker.io/bitnami/redis:7", ref{Domain: "docker.io", Path: "bitnami/redis", Tag: "7"}},
		{"index.docker.io/library/alpine", ref{Domain: "docker.io", Path: "library/alpine"}},
		{"registry:2.6.2", ref{Domain: "docker.io", Path: "library/registry", Tag: "2.6.2"}},
		{"localhost:5000/app", ref{Domain: "localhost:5000", Path: "app"}},
		{"localhost/app:v1", ref{Domain: "localhost", Path: "app", Tag: "v1"}},
		{"registry.example.com:8443/team/app:v2", ref{Domain: "registry.example.com:8443", Path: "team/app", Tag: "v2"}},
		{"[::1]:5000/app:1", ref{Domain: "[::1]:5000", Path: "app", Tag: "1"}},
		{"us-docker.pkg.dev/proj/repo/img", ref{Domain: "us-docker.pkg.dev", Path: "proj/repo/img"}},
		{"busybox:1.38.0@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d",
			ref{Domain: "docker.io", Path: "library/busybox", Tag: "1.38.0", Digest: "sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d"}},
		{"quay.io/org/app@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d",
			ref{Domain: "quay.io", Path: "org/app", Digest: "sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d"}},
	}
	for _, tt := range tests {
		got, err := parseRef(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "IMAGE_NAME", "${IMAGE}", "<DOCKER_REPO>/app:1.0", "nginx:", "app@sha256:short", "a b", "us-central1-docker.pkg.dev/PROJECT_ID/app"} {
		if r, err := parseRef(bad); err == nil {
			t.Errorf("parseRef(%q) = %+v, want an error", bad, r)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	for _, s := range []string{"${IMAGE}", "$IMAGE_URL", "<DOCKER_REPO>/chatbot:1.0", "IMAGE_NAME", "{{ .Values.image }}",
		"us-central1-docker.pkg.dev/PROJECT_ID/app", "REGION-docker.pkg.dev/PROJECT_ID/x:latest", "ko://knative.dev/serving/cmd/webhook"} {
		if !placeholder(s) {
			t.Errorf("placeholder(%q) = false", s)
		}
	}
	for _, s := range []string{"nginx:", "Nginx", "app@sha256:short", "a b", "registry.example.com/MyApp"} {
		if placeholder(s) {
			t.Errorf("placeholder(%q) = true", s)
		}
	}
}

func BenchmarkParseRef(b *testing.B) {
	refs := []string{"nginx", "registry.example.com:5000/team/app:1.2.3", "quay.io/org/app:v1@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d"}
	for b.Loop() {
		for _, r := range refs {
			if _, err := parseRef(r); err != nil {
				b.Fatal(err)
			}
		}
	}
}
