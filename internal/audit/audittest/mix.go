package audittest

import (
	"fmt"
	"math/rand/v2"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Mix returns n JSON lines shaped like a busy cluster's audit log under the
// recommended policy: mostly Metadata-level reads and lease renewals by
// kubelets and controllers, some writes with request bodies (pods,
// configmaps, roles), and a sprinkling of what the rules look for (exec,
// secret reads, denials). users spreads the identities: with
// users > 0, user names cycle through that many values. The same seed
// gives the same lines.
func Mix(n, users int, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([][]byte, 0, n)
	podBody := `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-%d","namespace":"team-%d","labels":{"app":"web"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9f","uid":"u","controller":true}]},"spec":{"containers":[{"name":"web","image":"registry.example.com/web:1.%d","ports":[{"containerPort":8080}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}},"securityContext":{"runAsNonRoot":true,"allowPrivilegeEscalation":false}}],"serviceAccountName":"web"}}`
	leaseBody := `{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"worker-%d","namespace":"kube-node-lease","resourceVersion":"%d"},"spec":{"holderIdentity":"worker-%d","leaseDurationSeconds":40,"renewTime":"2026-03-01T12:00:00.000000Z"}}`
	for i := range n {
		var e *E
		u := func(prefix string) string {
			if users > 0 {
				return fmt.Sprintf("%s-%d", prefix, r.IntN(users))
			}
			return prefix
		}
		ns := fmt.Sprintf("team-%d", r.IntN(20))
		switch p := r.IntN(1000); {
		case p < 300: // lease renewals
			w := r.IntN(50)
			e = New(fmt.Sprintf("system:node:worker-%d", w), "update").Groups("system:nodes", "system:authenticated").
				On("coordination.k8s.io", "leases", "kube-node-lease", fmt.Sprintf("worker-%d", w)).Req(fmt.Sprintf(leaseBody, w, i, w))
		case p < 600: // controller and kubelet reads
			e = New(u("system:serviceaccount:kube-system:replicaset-controller"), "get").On("apps", "replicasets", ns, fmt.Sprintf("web-%d", r.IntN(100)))
		case p < 750:
			e = New(u("system:node:worker"), "watch").Groups("system:nodes", "system:authenticated").On("", "configmaps", ns, "").Stage(auditv1.StageResponseStarted)
		case p < 850:
			e = New(u("system:serviceaccount:"+ns+":app"), "list").On("", "pods", ns, "")
		case p < 900: // pod creations with bodies
			e = New("system:serviceaccount:kube-system:replicaset-controller", "create").On("", "pods", ns, "").Req(fmt.Sprintf(podBody, i, r.IntN(20), i%10))
		case p < 930:
			e = New(u("alice"), "patch").On("apps", "deployments", ns, "web").Req(`{"spec":{"replicas":3}}`)
		case p < 950:
			e = New(u("system:serviceaccount:monitoring:prometheus"), "get").URI("/metrics")
			e.ObjectRef = nil
		case p < 970:
			e = New(u("bob"), "get").On("", "secrets", ns, "db").Code(403)
		case p < 985:
			e = New(u("ci"), "get").On("", "secrets", ns, "registry")
		case p < 995:
			e = New(u("alice"), "create").On("", "configmaps", ns, "cfg").Req(`{"kind":"ConfigMap","data":{"app.yaml":"port: 8080\nlog: info\n"}}`)
		default:
			e = New(u("alice"), "create").On("", "pods/exec", ns, "web-1").URI("/api/v1/namespaces/" + ns + "/pods/web-1/exec?command=sh&container=web&stdin=true&tty=true").Code(101)
		}
		e.At(time.Duration(i) * time.Millisecond)
		out = append(out, e.JSON())
	}
	return out
}
