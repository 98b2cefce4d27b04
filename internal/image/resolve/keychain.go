package resolve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
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
	return clusterKeychains(client, 5*time.Minute)
}

// namedKeychain is a keychain and the key it is known by.
type namedKeychain struct {
	key string
	kc  authn.Keychain
}

func clusterKeychains(client kubernetes.Interface, ttl time.Duration) Keychains {
	m := newMemo[namedKeychain](4096, ttl, 30*time.Second)
	// Each reading of the secrets is a keychain of its own, with a key of
	// its own: a registry session is kept per key, and a rotated secret
	// must not be answered with the session of the one it replaced.
	var readings atomic.Uint64
	return func(ctx context.Context, u Use) (string, authn.Keychain, error) {
		secrets := append([]string(nil), u.PullSecrets...)
		sort.Strings(secrets)
		// Pods name the secrets, as many as they like: the key is a digest
		// of the identity, of a bounded size whatever the pod says.
		sum := sha256.Sum256([]byte(u.Namespace + "/" + u.ServiceAccount + "/" + strings.Join(secrets, ",")))
		id := hex.EncodeToString(sum[:12])
		nk, err := m.get(ctx, id, func() (namedKeychain, error) {
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			kc, err := kauth.New(bctx, client, kauth.Options{Namespace: u.Namespace, ServiceAccountName: u.ServiceAccount, ImagePullSecrets: u.PullSecrets})
			if err != nil {
				return namedKeychain{}, err
			}
			return namedKeychain{id + "#" + strconv.FormatUint(readings.Add(1), 10), authn.NewMultiKeychain(kc, authn.DefaultKeychain)}, nil
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
		return nk.key, nk.kc, nil
	}
}
