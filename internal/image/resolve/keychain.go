package resolve

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	kauth "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	"k8s.io/client-go/kubernetes"
)

// ClusterKeychains pulls as the kubelet would: with the pod's
// imagePullSecrets and its service account's, read from the cluster
// (go-containerregistry's Kubernetes keychain), then the Docker
// configuration of the running user. Keychains are remembered per
// namespace, service account and secrets for a few minutes, so secrets
// are read once per workload identity, not once per image.
func ClusterKeychains(client kubernetes.Interface) Keychains {
	m := newMemo[authn.Keychain](4096, 5*time.Minute, 30*time.Second)
	return func(ctx context.Context, u Use) (string, authn.Keychain, error) {
		secrets := append([]string(nil), u.PullSecrets...)
		sort.Strings(secrets)
		key := u.Namespace + "/" + u.ServiceAccount + "/" + strings.Join(secrets, ",")
		kc, err := m.get(ctx, key, func() (authn.Keychain, error) {
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			return kauth.New(bctx, client, kauth.Options{Namespace: u.Namespace, ServiceAccountName: u.ServiceAccount, ImagePullSecrets: u.PullSecrets})
		})
		if err != nil {
			if len(u.PullSecrets) > 0 {
				// The workload names its credentials; without them the
				// answer would be the registry's refusal, less clear.
				return "", nil, err
			}
			// A service account kubeward may not read: public images
			// still resolve with the running user's credentials.
			return "default", nil, nil
		}
		return key, authn.NewMultiKeychain(kc, authn.DefaultKeychain), nil
	}
}
