package detect

import (
	"encoding/json"
	"errors"

	"github.com/kubeward/kubeward/internal/audit/event"
)

// View is what a rule sees: one event, the options, and the request body
// decoded on first use (once per event, whichever rule asks first).
type View struct {
	Event *event.Event
	Opts  *Options

	pod       lazy[podBody]
	workload  lazy[workloadBody]
	role      lazy[roleBody]
	binding   lazy[bindingBody]
	service   lazy[serviceBody]
	configMap lazy[configMapBody]
	ingress   lazy[ingressBody]
	csr       lazy[csrBody]
	webhooks  lazy[webhookConfigBody]
	patch     lazy[map[string]any]
	response  lazy[struct {
		Metadata objectMeta `json:"metadata"`
	}]
}

func (v *View) reset(ev *event.Event, o *Options) {
	*v = View{Event: ev, Opts: o}
}

var errNoBody = errors.New("no request body")

type lazy[T any] struct {
	v    T
	err  error
	done bool
}

// get decodes raw once. The decoder already bounded the body's size and
// depth; a body of another shape (a JSON patch, a wrong type) reads as
// absent, because the API server rejects such objects anyway.
func (l *lazy[T]) get(raw []byte) (*T, bool) {
	if !l.done {
		l.done = true
		if len(raw) == 0 {
			l.err = errNoBody
		} else {
			l.err = json.Unmarshal(raw, &l.v)
		}
	}
	return &l.v, l.err == nil
}

// The request bodies, reduced to what rules read. Unknown fields are
// ignored by encoding/json.

type objectMeta struct {
	Name            string            `json:"name"`
	GenerateName    string            `json:"generateName"`
	Namespace       string            `json:"namespace"`
	Labels          map[string]string `json:"labels"`
	OwnerReferences []struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"ownerReferences"`
}

type container struct {
	Name            string `json:"name"`
	Image           string `json:"image"`
	SecurityContext *struct {
		Privileged *bool `json:"privileged"`
	} `json:"securityContext"`
}

func (c *container) privileged() bool {
	return c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged
}

type podSpec struct {
	HostNetwork bool `json:"hostNetwork"`
	HostPID     bool `json:"hostPID"`
	HostIPC     bool `json:"hostIPC"`
	Volumes     []struct {
		Name     string `json:"name"`
		HostPath *struct {
			Path string `json:"path"`
		} `json:"hostPath"`
	} `json:"volumes"`
	Containers          []container `json:"containers"`
	InitContainers      []container `json:"initContainers"`
	EphemeralContainers []container `json:"ephemeralContainers"`
}

type podBody struct {
	Metadata objectMeta `json:"metadata"`
	Spec     podSpec    `json:"spec"`
}

// workloadBody is any controller whose spec holds a pod template:
// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController
// (spec.template) and CronJob (spec.jobTemplate.spec.template).
type workloadBody struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Template *struct {
			Spec podSpec `json:"spec"`
		} `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template struct {
					Spec podSpec `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

// podSpec returns the template's pod spec, or nil.
func (w *workloadBody) podSpec() *podSpec {
	switch {
	case w.Spec.Template != nil:
		return &w.Spec.Template.Spec
	case w.Spec.JobTemplate != nil:
		return &w.Spec.JobTemplate.Spec.Template.Spec
	}
	return nil
}

// containers returns every container of the pod.
func (p *podSpec) containers() []*container {
	var out []*container
	for _, list := range [][]container{p.InitContainers, p.Containers, p.EphemeralContainers} {
		for i := range list {
			out = append(out, &list[i])
		}
	}
	return out
}

// images lists the distinct images of containers, in order.
func images(cs []*container) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cs {
		if !seen[c.Image] {
			seen[c.Image] = true
			out = append(out, c.Image)
		}
	}
	return out
}

type policyRule struct {
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"apiGroups"`
	Resources       []string `json:"resources"`
	ResourceNames   []string `json:"resourceNames"`
	NonResourceURLs []string `json:"nonResourceURLs"`
}

type roleBody struct {
	Metadata objectMeta   `json:"metadata"`
	Rules    []policyRule `json:"rules"`
}

type bindingBody struct {
	Metadata objectMeta `json:"metadata"`
	RoleRef  struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"roleRef"`
	Subjects []struct {
		Kind      string `json:"kind"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"subjects"`
}

type serviceBody struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Type  string `json:"type"`
		Ports []struct {
			Port     int32 `json:"port"`
			NodePort int32 `json:"nodePort"`
		} `json:"ports"`
	} `json:"spec"`
}

type configMapBody struct {
	Metadata   objectMeta        `json:"metadata"`
	Data       map[string]string `json:"data"`
	BinaryData map[string]string `json:"binaryData"`
}

type ingressBody struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		TLS []struct {
			Hosts []string `json:"hosts"`
		} `json:"tls"`
		Rules []struct {
			Host string `json:"host"`
		} `json:"rules"`
	} `json:"spec"`
}

type csrBody struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		SignerName string   `json:"signerName"`
		Username   string   `json:"username"`
		Usages     []string `json:"usages"`
	} `json:"spec"`
	Status struct {
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
	} `json:"status"`
}

type webhookConfigBody struct {
	Metadata objectMeta `json:"metadata"`
	Webhooks []struct {
		Name          string  `json:"name"`
		FailurePolicy *string `json:"failurePolicy"`
	} `json:"webhooks"`
}

func (v *View) Pod() (*podBody, bool)   { return v.pod.get(v.Event.RequestObject) }
func (v *View) Role() (*roleBody, bool) { return v.role.get(v.Event.RequestObject) }
func (v *View) Binding() (*bindingBody, bool) {
	return v.binding.get(v.Event.RequestObject)
}
func (v *View) Service() (*serviceBody, bool) { return v.service.get(v.Event.RequestObject) }
func (v *View) ConfigMap() (*configMapBody, bool) {
	return v.configMap.get(v.Event.RequestObject)
}
func (v *View) Ingress() (*ingressBody, bool) { return v.ingress.get(v.Event.RequestObject) }
func (v *View) CSR() (*csrBody, bool)         { return v.csr.get(v.Event.RequestObject) }
func (v *View) Webhooks() (*webhookConfigBody, bool) {
	return v.webhooks.get(v.Event.RequestObject)
}

// Patch is the request body as generic JSON, for rules that must see what a
// patch touches.
func (v *View) Patch() (map[string]any, bool) {
	m, ok := v.patch.get(v.Event.RequestObject)
	return *m, ok
}

// writes reports create, update or patch.
func writes(verb string) bool { return verb == "create" || verb == "update" || verb == "patch" }

// changes reports a write or a deletion.
func changes(verb string) bool {
	return writes(verb) || verb == "delete" || verb == "deletecollection"
}

// objectName is the target's name: from the reference, the request body,
// or the response body (which has the name the API server generated).
func (v *View) objectName(m *objectMeta) string {
	if n := v.Event.Name(); n != "" {
		return n
	}
	if m != nil && m.Name != "" {
		return m.Name
	}
	if r, ok := v.response.get(v.Event.ResponseObject); ok && r.Metadata.Name != "" {
		return r.Metadata.Name
	}
	if m != nil && m.GenerateName != "" {
		return m.GenerateName + "*"
	}
	return ""
}

func (v *View) Workload() (*workloadBody, bool) { return v.workload.get(v.Event.RequestObject) }
