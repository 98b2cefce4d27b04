package manifest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestWorkloadCustomResources: the pod template of a workload custom
// resource is decoded like a built-in kind's, with the fields of the
// project's own type (Knative's RevisionSpec) not taken for unknown ones;
// typos and values of the wrong type are reported at their line with the
// path from the object's root, and a template of the wrong shape is an
// error at its line while the object is still read.
func TestWorkloadCustomResources(t *testing.T) {
	for _, tt := range []struct {
		name, doc string
		pods      int
		paths     []string // container paths of the first pod
		problems  []string // "level line path: message prefix", by line
	}{
		{
			name: "Rollout with a misspelt field and a value of the wrong type",
			doc: `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  strategy: {canary: {steps: [{setWeight: 20}]}}
  template:
    spec:
      initContainers:
      - name: init
        image: busybox:1
      containers:
      - name: web
        image: nginx:1
        securityContex: {privileged: true}
        ports:
        - containerPort: "8080"
`,
			pods:  1,
			paths: []string{"spec.template.spec.initContainers[0]", "spec.template.spec.containers[0]"},
			problems: []string{
				"warning 14 spec.template.spec.containers[0].securityContex: unknown field",
				"error 16 spec.template.spec.containers[0].ports[0].containerPort: a string where an integer is expected",
			},
		},
		{
			name: "Knative Service: RevisionSpec's own fields are known, a typo of one is not",
			doc: `apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec:
  template:
    spec:
      containerConcurrency: 50
      timeoutSeconds: 300
      responseStartTimeoutSeconds: 30
      idleTimeoutSeconds: 60
      containerConcurency: 10
      containers:
      - image: ghcr.io/knative/helloworld-go:latest
      - image: ghcr.io/knative/sidecar:1
`,
			pods:     1,
			paths:    []string{"spec.template.spec.containers[0]", "spec.template.spec.containers[1]"},
			problems: []string{"warning 11 spec.template.spec.containerConcurency: unknown field"},
		},
		{
			name: "ScaledJob: the template of its JobSpec",
			doc: `apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: consumer}
spec:
  jobTargetRef:
    backoffLimit: 4
    template:
      spec:
        containers: [{name: c, image: worker:1}]
        restartPolicy: Never
  triggers: [{type: rabbitmq, metadata: {queueName: hello}}]
`,
			pods:  1,
			paths: []string{"spec.jobTargetRef.template.spec.containers[0]"},
		},
		{
			name: "Knative Revision: a PodSpec inline at spec, RevisionSpec's own fields known, a typo of one not",
			doc: `apiVersion: serving.knative.dev/v1
kind: Revision
metadata: {name: hello-00001}
spec:
  containerConcurrency: 0
  timeoutSeconds: 300
  timeoutSecond: 30
  containers:
  - image: ghcr.io/knative/helloworld-go:latest
    securityContex: {privileged: true}
  enableServiceLinks: false
`,
			pods:  1,
			paths: []string{"spec.containers[0]"},
			problems: []string{
				"warning 7 spec.timeoutSecond: unknown field",
				"warning 10 spec.containers[0].securityContex: unknown field",
			},
		},
		{
			name: "OpenKruise BroadcastJob",
			doc: `apiVersion: apps.kruise.io/v1alpha1
kind: BroadcastJob
metadata: {name: broadcastjob-ttl}
spec:
  template:
    spec:
      containers:
        - name: pi
          image: perl
      restartPolicy: Never
  completionPolicy: {type: Always, ttlSecondsAfterFinished: 30}
`,
			pods:  1,
			paths: []string{"spec.template.spec.containers[0]"},
		},
		{
			name: "OpenKruise AdvancedCronJob: a Job's template and a BroadcastJob's, each judged",
			doc: `apiVersion: apps.kruise.io/v1beta1
kind: AdvancedCronJob
metadata: {name: acj-test}
spec:
  schedule: "*/1 * * * *"
  template:
    jobTemplate:
      spec:
        template:
          spec:
            containers: [{name: job, image: busybox:1}]
    broadcastJobTemplate:
      spec:
        template:
          spec:
            containers: [{name: bcj, image: perl}]
        completionPolicy: {type: Always}
`,
			pods:  2,
			paths: []string{"spec.template.jobTemplate.spec.template.spec.containers[0]"},
		},
		{
			name: "OpenKruise AdvancedCronJob pulling images (imageListPullJobTemplate): no pod template, nothing wrong",
			doc: `apiVersion: apps.kruise.io/v1beta1
kind: AdvancedCronJob
metadata: {name: acj-test}
spec:
  schedule: "0 */2 * * *"
  template:
    imageListPullJobTemplate:
      spec:
        images: [nginx:1.14.2, busybox:latest]
`,
		},
		{
			name: "an AdvancedCronJob's template of the wrong shape is reported once",
			doc: `apiVersion: apps.kruise.io/v1beta1
kind: AdvancedCronJob
metadata: {name: acj}
spec:
  template: [jobTemplate]
`,
			problems: []string{"error 5 spec.template: not a mapping, so spec.template.jobTemplate.spec.template holds no pod template"},
		},
		{
			name: "a Revision's spec of the wrong shape",
			doc: `apiVersion: serving.knative.dev/v1
kind: Revision
metadata: {name: r}
spec: [containers]
`,
			problems: []string{"error 4 spec: not a pod spec (a mapping)"},
		},
		{
			name: "OpenShift 3's legacy DeploymentConfig (apiVersion: v1)",
			doc: `apiVersion: v1
kind: DeploymentConfig
metadata: {name: frontend}
spec:
  replicas: 5
  selector: {name: frontend}
  template:
    metadata:
      labels: {name: frontend}
    spec:
      containers:
        - name: helloworld
          image: openshift/origin-ruby-sample
          securityContex: {}
`,
			pods:     1,
			paths:    []string{"spec.template.spec.containers[0]"},
			problems: []string{"warning 14 spec.template.spec.containers[0].securityContex: unknown field"},
		},
		{
			name: "Rollout with a workloadRef has no template: nothing to judge, nothing wrong",
			doc: `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: ref}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
`,
		},
		{
			name: "a template of the wrong shape",
			doc: `apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: dc}
spec:
  replicas: 1
  template:
  - containers: []
`,
			problems: []string{"error 7 spec.template: not a pod template"},
		},
		{
			name: "a parent of the template of the wrong shape",
			doc: `apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: consumer}
spec:
  jobTargetRef: worker
`,
			problems: []string{"error 5 spec.jobTargetRef: not a mapping, so spec.jobTargetRef.template holds no pod template"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			objs, log, _ := decodeAll(t, tt.doc, everything)
			if len(objs) != 1 {
				t.Fatalf("got %d objects, want 1: %v", len(objs), problems(log))
			}
			o := objs[0]
			if o.Raw == nil {
				t.Error("the custom resource's map was not kept")
			}
			if len(o.Pods()) != tt.pods {
				t.Fatalf("got %d pods, want %d", len(o.Pods()), tt.pods)
			}
			if tt.pods > 0 {
				var got []string
				for _, c := range o.Pods()[0].Containers() {
					got = append(got, c.Path.String())
				}
				if !slices.Equal(got, tt.paths) {
					t.Errorf("container paths %q, want %q", got, tt.paths)
				}
			}
			var got []string
			for _, p := range log.Problems() {
				got = append(got, fmt.Sprintf("%s %d %s: %s", p.Level, p.Line, p.Path, p.Message))
			}
			if len(got) != len(tt.problems) {
				t.Fatalf("problems %q, want %q", got, tt.problems)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.problems[i]) {
					t.Errorf("problem %q, want it to start with %q", got[i], tt.problems[i])
				}
			}
		})
	}
}

// TestWorkloadCustomResourceNames: Knative names a container that names
// none as its pods will show it, and a kind no check reads is parsed for
// its metadata only, as before.
func TestWorkloadCustomResourceNames(t *testing.T) {
	const svc = `apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec:
  template:
    spec:
      containers:
      - image: a:1
`
	objs, log, _ := decodeAll(t, svc, everything)
	if len(objs) != 1 || len(objs[0].Pods()) != 1 || objs[0].Pods()[0].Spec.Containers[0].Name != "user-container" {
		t.Fatalf("objects %v, problems %v", objs, problems(log))
	}
	objs, _, _ = decodeAll(t, svc, nothing)
	if len(objs) != 1 || len(objs[0].Pods()) != 0 || objs[0].Raw != nil {
		t.Errorf("a kind no check reads was read in full")
	}
	if log.Errors() != 0 {
		t.Errorf("problems: %v", problems(log))
	}
}
