package detect

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/check"
)

func TestAnonymousAllowed(t *testing.T) {
	anon := func(uri string) *audittest.E {
		return ev("system:anonymous", "get").URI(uri).Groups("system:unauthenticated")
	}
	runRule(t, "anonymous-allowed", []ruleCase{
		{name: "anonymous lists pods", events: []*audittest.E{anon("/api/v1/pods").On("", "pods", "", "")}, fire: []int{0}, sev: check.High},
		{name: "health endpoints", events: []*audittest.E{anon("/healthz"), anon("/livez?verbose"), anon("/readyz"), anon("/version")}},
		{name: "denied", events: []*audittest.E{anon("/api/v1/secrets").Code(403)}},
		{name: "discovery by anonymous", events: []*audittest.E{anon("/apis")}, fire: []int{0}, detail: [2]string{"", "/apis"}},
	})
}

func TestSecretRead(t *testing.T) {
	runRule(t, "secret-read", []ruleCase{
		{name: "get", events: []*audittest.E{ev(alice, "get").On("", "secrets", "dev", "db")}, fire: []int{0}, sev: check.Medium, detail: [2]string{"", "dev/db"}},
		{name: "list all namespaces is high", events: []*audittest.E{ev(ciSA, "list").On("", "secrets", "", "")}, fire: []int{0}, sev: check.High},
		{name: "watch in a namespace", events: []*audittest.E{ev(alice, "watch").On("", "secrets", "dev", "")}, fire: []int{0}, sev: check.Medium},
		{name: "kubelet", events: []*audittest.E{node().On("", "secrets", "dev", "db")}},
		{name: "controller", events: []*audittest.E{ev("system:kube-controller-manager", "list").On("", "secrets", "", "")}},
		{name: "not found is low", events: []*audittest.E{ev(alice, "get").On("", "secrets", "dev", "db").Code(404)}, fire: []int{0}, sev: check.Low},
		// One denied read is reconnaissance: low, once (forbidden-burst
		// needs ten).
		{name: "a single denied get is low", events: []*audittest.E{ev(alice, "get").On("", "secrets", "dev", "db").Code(403)}, fire: []int{0}, sev: check.Low,
			detail: [2]string{"", "secret dev/db read denied"}},
		{name: "a denied list is low", events: []*audittest.E{ev(alice, "list").On("", "secrets", "", "").Code(403)}, fire: []int{0}, sev: check.Low},
		{name: "a denied read by a controller is not", events: []*audittest.E{ev("system:kube-controller-manager", "get").On("", "secrets", "dev", "db").Code(403)}},
		{name: "unauthenticated is not a denied read", events: []*audittest.E{ev(alice, "get").On("", "secrets", "dev", "db").Code(401)}},
		{name: "configured exception", events: []*audittest.E{ev(ciSA, "get").On("", "secrets", "ci", "registry")},
			opts: func(o *Options) {
				o.Exceptions = []Exception{{Rule: "secret-read", Users: Patterns{"system:serviceaccount:ci:*"}, Namespaces: Patterns{"ci"}, Reason: "CI pulls its registry credentials"}}
			}},
		{name: "exception for another namespace does not apply", events: []*audittest.E{ev(ciSA, "get").On("", "secrets", "prod", "db")},
			opts: func(o *Options) {
				o.Exceptions = []Exception{{Rule: "secret-read", Users: Patterns{"system:serviceaccount:ci:*"}, Namespaces: Patterns{"ci"}, Reason: "r"}}
			}, fire: []int{0}},
	})
}

func TestConfigMapCredentials(t *testing.T) {
	cm := func(data string) *audittest.E {
		return ev(alice, "create").On("", "configmaps", "dev", "c").Req(`{"metadata":{"name":"c"},"data":` + data + `}`)
	}
	cm2 := func(body string) *audittest.E {
		return ev(alice, "update").On("", "configmaps", "dev", "c").Req(body)
	}
	runRule(t, "configmap-credentials", []ruleCase{
		{name: "password key", events: []*audittest.E{cm(`{"DB_PASSWORD":"hunter2","host":"db"}`)}, fire: []int{0}, detail: [2]string{"keys", "DB_PASSWORD"}},
		{name: "aws key in a value", events: []*audittest.E{cm(`{"config.ini":"[default]\nid = AKIAZ7Q3PXWLE4M2RNTB\n"}`)}, fire: []int{0}, detail: [2]string{"keys", "config.ini"}},
		{name: "private key", events: []*audittest.E{cm(`{"tls":"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HecDzI\nqHVbXSj3e8m1vxQ4wNPFGL4U4E6QqL7FMV5Jc7r5bOXdOQDVjfwPBmPFSk9LIbBb\n-----END RSA PRIVATE KEY-----\n"}`)},
			fire: []int{0}, detail: [2]string{"found", `data key "tls" holds a PEM private key`}},
		// Settings in config files whose name says credential (the scan's
		// classifier): the assignment rule of before missed each.
		{name: "aws_secret_access_key = in an ini file", events: []*audittest.E{cm(`{"config":"[default]\naws_secret_access_key = Zk3pQ9vR2mX7tL4wB8nH1cJ6yF0dS5aG3eK9uT2o\n"}`)},
			fire: []int{0}, detail: [2]string{"keys", "config"}},
		{name: "db_password= in a properties file", events: []*audittest.E{cm(`{"app.conf":"db_host=db\ndb_password=Xq93kLm2pz\n"}`)}, fire: []int{0}, detail: [2]string{"found", "a password"}},
		{name: "client_secret: in YAML", events: []*audittest.E{cm(`{"app.yaml":"oauth:\n  client_id: web\n  client_secret: 8fJ2kLq9ZxP4\n"}`)}, fire: []int{0}, detail: [2]string{"found", "a secret"}},
		{name: "passphrase = in a config file", events: []*audittest.E{cm(`{"backup.conf":"passphrase = Tr0ub4dor-and-3\n"}`)}, fire: []int{0}},
		{name: "binaryData holding a config file", events: []*audittest.E{cm2(`{"binaryData":{"app.conf":"ZGJfcGFzc3dvcmQ9WHE5M2tMbTJweg=="}}`)}, fire: []int{0}, detail: [2]string{"keys", "app.conf"}},
		{name: "an example key documents settings", events: []*audittest.E{cm(`{"_example":"db_password=Xq93kLm2pz\n"}`)}},
		{name: "assignment in a properties file", events: []*audittest.E{cm(`{"app.properties":"db.user=app\ndb.password=s3cr3tvalue\n"}`)}, fire: []int{0}},
		{name: "words about passwords are not passwords", events: []*audittest.E{cm(`{"password-policy":"strict","tokenFile":"/var/run/secrets/token","secret-name":"db","note":"rotate the password yearly"}`)}},
		{name: "placeholders are not credentials", events: []*audittest.E{cm(`{"app.properties":"password=${DB_PASSWORD}"}`)}},
		{name: "templates, masks and null words are not credentials", events: []*audittest.E{cm(`{"a.conf":"password = {{ .pw }}\n","b.ini":"client_secret = <client-secret>\n","c.env":"DB_PASSWORD=********\n","d.conf":"passphrase = none\n","token":"$TOKEN"}`)}},
		// Falco's own trace (create_configmap_private_creds): what looks
		// like a placeholder in a repository is, written to a cluster, the
		// value in use.
		{name: "Falco's trace: aws_secret_access_key = MY-KEY", events: []*audittest.E{cm(`{"access.properties":"aws_access_key_id = MY-ID\naws_secret_access_key = MY-KEY\n","ui.properties":"color.good=purple\ncolor.bad=yellow\nallow.textmode=true\n"}`)},
			fire: []int{0}, detail: [2]string{"keys", "access.properties"}},
		{name: "a default password in use", events: []*audittest.E{cm(`{"game.properties":"enemies=aliens\nlives=3\npassword=secret\n","db.conf":"db_password=changeme\n"}`)},
			fire: []int{0}, detail: [2]string{"keys", "db.conf,game.properties"}},
		{name: "read is not a write", events: []*audittest.E{ev(alice, "get").On("", "configmaps", "dev", "c")}},
	})
}

func TestConfigMapCredentialsNeverEchoesValues(t *testing.T) {
	o := DefaultOptions()
	e, err := NewEngine(o)
	if err != nil {
		t.Fatal(err)
	}
	b := ev(alice, "create").On("", "configmaps", "dev", "c").Req(`{"data":{"password":"hunter2-very-secret"}}`)
	for _, a := range e.Process(decodeEvent(t, b), nil) {
		if containsValue(a, "hunter2") {
			t.Fatalf("alert %s echoes the value: %+v", a.Rule, a)
		}
	}
}

func containsValue(a Alert, s string) bool {
	all := a.Message + a.RequestURI
	for k, v := range a.Details {
		all += k + v
	}
	return strings.Contains(all, s)
}

func TestNodePortService(t *testing.T) {
	svc := func(verb, body string) *audittest.E { return ev(alice, verb).On("", "services", "dev", "s").Req(body) }
	runRule(t, "nodeport-service", []ruleCase{
		{name: "create", events: []*audittest.E{svc("create", `{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}}`)}, fire: []int{0}, detail: [2]string{"nodePorts", "30080"}},
		{name: "patch to NodePort", events: []*audittest.E{svc("patch", `{"spec":{"type":"NodePort"}}`)}, fire: []int{0}},
		{name: "cluster IP", events: []*audittest.E{svc("create", `{"spec":{"type":"ClusterIP"}}`)}},
		{name: "JSON patch is not read", events: []*audittest.E{svc("patch", `[{"op":"replace","path":"/spec/type","value":"NodePort"}]`)}},
	})
}

func TestIngressWithoutTLS(t *testing.T) {
	ing := func(body string) *audittest.E {
		return ev(alice, "create").On("networking.k8s.io", "ingresses", "dev", "i").Req(body)
	}
	runRule(t, "ingress-without-tls", []ruleCase{
		{name: "no tls", events: []*audittest.E{ing(`{"spec":{"rules":[{"host":"app.example.com"}]}}`)}, fire: []int{0}, detail: [2]string{"hosts", "app.example.com"}},
		{name: "tls", events: []*audittest.E{ing(`{"spec":{"tls":[{"hosts":["app.example.com"],"secretName":"t"}],"rules":[{"host":"app.example.com"}]}}`)}},
		{name: "failed", events: []*audittest.E{ing(`{"spec":{}}`).Code(422)}},
	})
}

func TestUntrustedNode(t *testing.T) {
	trusted := func(o *Options) { o.TrustedNodes = Patterns{"worker-*"} }
	join := func(name string) *audittest.E {
		return ev("system:node:"+name, "create").On("", "nodes", "", name).Groups("system:nodes", "system:authenticated")
	}
	runRule(t, "untrusted-node", []ruleCase{
		{name: "trusted", events: []*audittest.E{join("worker-7")}, opts: trusted},
		{name: "untrusted joined", events: []*audittest.E{join("rogue")}, opts: trusted, fire: []int{0}, sev: check.High},
		{name: "untrusted refused", events: []*audittest.E{join("rogue").Code(403)}, opts: trusted, fire: []int{0}, sev: check.Low},
		{name: "untrusted failed after authorization", events: []*audittest.E{join("rogue").Code(409)}, opts: trusted, fire: []int{0}, sev: check.Low},
	})
}

func TestDisallowedUser(t *testing.T) {
	allow := func(o *Options) { o.AllowedUsers = Patterns{"alice", "*@example.com"} }
	runRule(t, "disallowed-user", []ruleCase{
		{name: "allowed", events: []*audittest.E{ev(alice, "get"), ev("bob@example.com", "list")}, opts: allow},
		{name: "system users are the cluster's", events: []*audittest.E{ev(ciSA, "get"), node()}, opts: allow},
		{name: "stranger", events: []*audittest.E{ev("mallory", "get")}, opts: allow, fire: []int{0}},
	})
}

func TestDisallowedNamespace(t *testing.T) {
	allow := func(o *Options) { o.AllowedNamespaces = Patterns{"team-*"} }
	ns := func(name string) *audittest.E { return ev(alice, "create").On("", "namespaces", "", name) }
	runRule(t, "disallowed-namespace", []ruleCase{
		{name: "allowed", events: []*audittest.E{ns("team-a"), ns("default")}, opts: allow},
		{name: "other", events: []*audittest.E{ns("kube-systen")}, opts: allow, fire: []int{0}},
		{name: "failed", events: []*audittest.E{ns("x").Code(409)}, opts: allow},
	})
}

func TestSystemMastersUsed(t *testing.T) {
	runRule(t, "system-masters-used", []ruleCase{
		{name: "admin certificate", events: []*audittest.E{ev("kubernetes-admin", "get").Groups("system:masters", "system:authenticated")}, fire: []int{0}},
		{name: "api server loopback", events: []*audittest.E{ev("system:apiserver", "get").Groups("system:masters", "system:authenticated")}},
		{name: "ordinary user", events: []*audittest.E{ev(alice, "get")}},
	})
}

func TestImpersonation(t *testing.T) {
	runRule(t, "impersonation", []ruleCase{
		{name: "user as user", events: []*audittest.E{ev(alice, "get").As("bob", "system:authenticated")}, fire: []int{0}, sev: check.Medium, detail: [2]string{"", "alice acted as bob"}},
		{name: "as system:masters is high", events: []*audittest.E{ev(alice, "get").As("x", "system:masters")}, fire: []int{0}, sev: check.High},
		{name: "as kube-system SA is high", events: []*audittest.E{ev(alice, "get").As("system:serviceaccount:kube-system:admin")}, fire: []int{0}, sev: check.High},
		{name: "known proxy", events: []*audittest.E{ev("system:serviceaccount:auth:proxy", "get").As("bob")},
			opts: func(o *Options) { o.Impersonators = Patterns{"system:serviceaccount:auth:proxy"} }},
		{name: "denied", events: []*audittest.E{ev(alice, "get").As("bob").Code(403)}},
		{name: "none", events: []*audittest.E{ev(alice, "get")}},
	})
}

func TestTokenRequestOtherSA(t *testing.T) {
	tok := func(user string) *audittest.E {
		return ev(user, "create").On("", "serviceaccounts/token", "prod", "deployer")
	}
	runRule(t, "token-request-other-sa", []ruleCase{
		{name: "SA for another SA", events: []*audittest.E{tok(ciSA)}, fire: []int{0}, sev: check.High},
		{name: "user", events: []*audittest.E{tok(alice)}, fire: []int{0}, sev: check.Medium},
		{name: "itself", events: []*audittest.E{tok("system:serviceaccount:prod:deployer")}},
		{name: "kubelet for its pods", events: []*audittest.E{tok(nodeUser).Groups("system:nodes", "system:authenticated")}},
		{name: "denied", events: []*audittest.E{tok(alice).Code(403)}},
	})
}

func TestCSRApproval(t *testing.T) {
	csr := func(user, signer, status string) *audittest.E {
		return ev(user, "update").On("certificates.k8s.io", "certificatesigningrequests/approval", "", "csr-1").
			Req(`{"spec":{"signerName":"` + signer + `","username":"mallory"},"status":{"conditions":[{"type":"` + status + `","status":"True"}]}}`)
	}
	runRule(t, "csr-approval", []ruleCase{
		{name: "client cert approved", events: []*audittest.E{csr(alice, "kubernetes.io/kube-apiserver-client", "Approved")}, fire: []int{0}, sev: check.High, detail: [2]string{"requestedBy", "mallory"}},
		{name: "other signer", events: []*audittest.E{csr(alice, "example.com/signer", "Approved")}, fire: []int{0}, sev: check.Medium},
		{name: "denied CSR", events: []*audittest.E{csr(alice, "kubernetes.io/kube-apiserver-client", "Denied")}},
		{name: "automatic kubelet approval", events: []*audittest.E{csr("system:serviceaccount:kube-system:certificate-controller", "kubernetes.io/kube-apiserver-client-kubelet", "Approved")}},
		{name: "metadata only still fires", events: []*audittest.E{ev(alice, "update").On("certificates.k8s.io", "certificatesigningrequests/approval", "", "csr-1")}, fire: []int{0}},
	})
}

func TestAdmissionWebhookChange(t *testing.T) {
	const adm = "admissionregistration.k8s.io"
	runRule(t, "admission-webhook-change", []ruleCase{
		{name: "delete validating webhook", events: []*audittest.E{ev(alice, "delete").On(adm, "validatingwebhookconfigurations", "", "policy")}, fire: []int{0}, sev: check.High},
		{name: "create mutating webhook", events: []*audittest.E{ev(alice, "create").On(adm, "mutatingwebhookconfigurations", "", "m")}, fire: []int{0}, sev: check.Medium},
		{name: "policy binding change", events: []*audittest.E{ev(alice, "update").On(adm, "validatingadmissionpolicybindings", "", "b")}, fire: []int{0}},
		{name: "caBundle injection", events: []*audittest.E{ev("system:serviceaccount:cert-manager:cainjector", "patch").On(adm, "validatingwebhookconfigurations", "", "w").
			Req(`{"webhooks":[{"name":"w.example.com","clientConfig":{"caBundle":"LS0t"}}]}`)}},
		{name: "patch changing failurePolicy", events: []*audittest.E{ev(alice, "patch").On(adm, "validatingwebhookconfigurations", "", "w").
			Req(`{"webhooks":[{"name":"w.example.com","failurePolicy":"Ignore","clientConfig":{"caBundle":"LS0t"}}]}`)}, fire: []int{0}},
		{name: "status controller", events: []*audittest.E{ev("system:serviceaccount:kube-system:validatingadmissionpolicy-status-controller", "update").On(adm, "validatingadmissionpolicies", "", "p")}},
		{name: "read", events: []*audittest.E{ev(alice, "list").On(adm, "validatingwebhookconfigurations", "", "")}},
	})
}

func TestEventsDeleted(t *testing.T) {
	runRule(t, "events-deleted", []ruleCase{
		{name: "delete collection", events: []*audittest.E{ev(alice, "deletecollection").On("", "events", "dev", "")}, fire: []int{0}, detail: [2]string{"", "all events of namespace dev"}},
		{name: "events.k8s.io", events: []*audittest.E{ev(alice, "delete").On("events.k8s.io", "events", "dev", "e1")}, fire: []int{0}},
		{name: "namespace controller", events: []*audittest.E{ev("system:serviceaccount:kube-system:namespace-controller", "deletecollection").On("", "events", "dev", "")}},
		{name: "list", events: []*audittest.E{ev(alice, "list").On("", "events", "dev", "")}},
	})
}
