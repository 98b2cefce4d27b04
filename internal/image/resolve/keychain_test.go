package resolve

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/kubetest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestClusterKeychainsFollowRotatedSecrets: a workload's pull secret,
// read from a real API server, is read again when its time is up, and the
// new credentials are the ones used (not the registry session of the old
// ones); keys stay short however many secrets a pod names.
func TestClusterKeychainsFollowRotatedSecrets(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	// The running user's Docker configuration holds nothing (set after
	// Start: the control-plane binaries are cached under HOME).
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	cs := kubernetes.NewForConfigOrDie(c.Config)
	reg := registrytest.New(t)
	push(t, reg, "acme/app:1.0")
	ref := reg.Host + "/acme/app:1.0"

	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	secret := func(password string) *corev1.Secret {
		b, err := json.Marshal(map[string]any{"auths": map[string]any{reg.Host: map[string]string{"username": registrytest.User, "password": password}}})
		if err != nil {
			t.Fatal(err)
		}
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pull", Namespace: "shop"}, Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{corev1.DockerConfigJsonKey: b}}
	}
	if _, err := cs.CoreV1().Secrets("shop").Create(ctx, secret("expired"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	kcs := clusterKeychains(cs, 10*time.Millisecond)
	r := newResolver(t, reg, Options{Keychains: kcs, TagTTL: time.Millisecond, ErrorTTL: time.Millisecond})
	use := Use{Image: ref, Namespace: "shop", PullSecrets: []string{"pull"}}
	resolveErr := func() string {
		f, _ := r.Resolve(ctx, []Use{use}).Lookup(ref)
		if f == nil {
			t.Fatal("no facts")
		}
		return f.Error
	}
	if e := resolveErr(); e == "" {
		t.Fatal("the registry took the expired password")
	}
	if _, err := cs.CoreV1().Secrets("shop").Update(ctx, secret(registrytest.Password), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return resolveErr() == "" })

	long := Use{Image: ref, Namespace: "shop", PullSecrets: []string{strings.Repeat("a", 253), strings.Repeat("b", 253), strings.Repeat("c", 253)}}
	if key, _, err := kcs(ctx, long); err != nil || len(key) > 64 {
		t.Errorf("key of %d bytes, %v", len(key), err)
	}
}
