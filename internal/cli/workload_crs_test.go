package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func workloadCRs(name string) string { return filepath.Join("testdata", "workload-crs", name) }

// TestScanWorkloadCustomResources scans the projects' own examples of
// workload custom resources (testdata/workload-crs/README.md): each pod
// template is judged like a Deployment's, findings at the template's lines.
// Before, each was "1 object: no findings", a privileged Rollout included.
func TestScanWorkloadCustomResources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.json")
	code, _, stderr := runCLI(t, "scan", "-o", "json="+file, workloadCRs(""))
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d (a privileged Rollout)\n%s", code, ExitFindings, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Findings []struct {
			Check    string
			Object   struct{ APIVersion, Kind, Name string }
			Path     string
			Location struct {
				File string
				Line int
			}
			// The same object written twice (the legacy v1 DeploymentConfig
			// and apps.openshift.io/v1's, one fingerprint) is one finding.
			Elsewhere []struct {
				Location struct {
					File string
					Line int
				}
			}
		}
		Problems []struct{ Level, File, Message string }
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range r.Findings {
		got[fmt.Sprintf("%s %s/%s %s %s:%d", f.Check, f.Object.Kind, f.Object.Name, f.Path, filepath.Base(f.Location.File), f.Location.Line)] = true
		for _, e := range f.Elsewhere {
			got[fmt.Sprintf("%s %s/%s %s %s:%d", f.Check, f.Object.Kind, f.Object.Name, f.Path, filepath.Base(e.Location.File), e.Location.Line)] = true
		}
		if f.Object.Kind == "Rollout" && f.Object.Name == "rollout-ref-deployment" && strings.HasPrefix(f.Path, "spec.template") {
			t.Errorf("a Rollout with a workloadRef has no template to judge: %+v", f)
		}
		if f.Object.Name == "acj-image-pull" && strings.HasPrefix(f.Path, "spec.template") {
			t.Errorf("an AdvancedCronJob that pulls images makes no pods: %+v", f)
		}
		// OpenShift serves the legacy v1 DeploymentConfig, not the core group.
		if strings.HasPrefix(f.Check, "api-version-") {
			t.Errorf("%+v", f)
		}
	}
	for _, want := range []string{
		"pss-privileged Rollout/rollout-canary spec.template.spec.containers[0].securityContext.privileged privileged-rollout.yaml:24",
		"allow-privilege-escalation Rollout/rollout-canary spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation argo-rollouts-canary.yaml:20",
		"image-latest-tag DeploymentConfig/frontend spec.template.spec.containers[0].image openshift-deploymentconfig.yaml:13",
		"run-as-non-root CloneSet/sample spec.template.spec.securityContext.runAsNonRoot openkruise-cloneset.yaml:16",
		"run-as-non-root ScaledJob/rabbitmq-consumer spec.jobTargetRef.template.spec.securityContext.runAsNonRoot keda-scaledjob.yaml:9",
		"image-latest-tag Service/hello spec.template.spec.containers[0].image knative-service.yaml:9",
		"image-latest-tag Service/helloworld-go spec.template.spec.containers[0].image knative-service.yaml:26",
		"image-latest-tag Revision/hello-00001 spec.containers[0].image knative-revision.yaml:26",
		"allow-privilege-escalation Revision/hello-00001 spec.containers[0].securityContext.allowPrivilegeEscalation knative-revision.yaml:23",
		"run-as-non-root BroadcastJob/broadcastjob-ttl spec.template.spec.securityContext.runAsNonRoot openkruise-broadcastjob.yaml:8",
		"image-latest-tag BroadcastJob/broadcastjob-ttl spec.template.spec.containers[0].image openkruise-broadcastjob.yaml:11",
		"image-latest-tag AdvancedCronJob/acj-test spec.template.broadcastJobTemplate.spec.template.spec.containers[0].image openkruise-advancedcronjob.yaml:14",
		"image-latest-tag DeploymentConfig/frontend spec.template.spec.containers[0].image openshift-deploymentconfig-legacy-v1.yaml:13",
		// The Deployment a Rollout references is judged as ever.
		"run-as-non-root Deployment/rollout-ref-deployment spec.template.spec.securityContext.runAsNonRoot argo-rollouts-template-ref.yaml:16",
	} {
		if !got[want] {
			t.Errorf("missing %s", want)
		}
	}
	// Knative's RevisionSpec fields (containerConcurrency) are not unknown.
	for _, p := range r.Problems {
		t.Errorf("problem %+v", p)
	}

	// The real Argo Rollouts example passes the default gate; the same
	// Rollout made privileged fails it.
	if code, _, stderr := runCLI(t, "scan", workloadCRs("argo-rollouts-canary.yaml")); code != ExitClean {
		t.Errorf("argo-rollouts-canary.yaml: exit %d\n%s", code, stderr)
	}
	code, out, _ := runCLI(t, "scan", "--checks", "pss-privileged", workloadCRs("privileged-rollout.yaml"))
	if code != ExitFindings || !strings.Contains(out, "privileged-rollout.yaml:24") {
		t.Errorf("privileged-rollout.yaml: exit %d\n%s", code, out)
	}
}

// TestImagesWorkloadCustomResources: `kubeward images` lists the images of
// the templates of workload custom resources, each use with its line.
func TestImagesWorkloadCustomResources(t *testing.T) {
	code, out, stderr := runCLI(t, "images", "-o", "json", workloadCRs(""))
	if code != ExitClean {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got struct {
		Images []struct {
			Reference string
			Uses      []struct {
				Object    struct{ Kind, Name string }
				Container string
				File      string
				Line      int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rows []string
	for _, im := range got.Images {
		for _, u := range im.Uses {
			rows = append(rows, fmt.Sprintf("%s %s/%s[%s] %s:%d", im.Reference, u.Object.Kind, u.Object.Name, u.Container, filepath.Base(u.File), u.Line))
		}
	}
	for _, want := range []string{
		"argoproj/rollouts-demo:blue Rollout/rollout-canary[rollouts-demo] argo-rollouts-canary.yaml:21",
		"argoproj/rollouts-demo:blue Deployment/rollout-ref-deployment[rollouts-demo] argo-rollouts-template-ref.yaml:19",
		"demo-rabbitmq-client:1 ScaledJob/rabbitmq-consumer[demo-rabbitmq-client] keda-scaledjob.yaml:12",
		"gcr.io/knative-samples/helloworld-go Service/helloworld-go[user-container] knative-service.yaml:26",
		"ghcr.io/knative/helloworld-go:latest Service/hello[user-container] knative-service.yaml:9",
		"nginx:alpine CloneSet/sample[main] openkruise-cloneset.yaml:19",
		"openshift/origin-ruby-sample DeploymentConfig/frontend[helloworld] openshift-deploymentconfig.yaml:13",
		"openshift/origin-ruby-sample DeploymentConfig/frontend[helloworld] openshift-deploymentconfig-legacy-v1.yaml:13",
		"ghcr.io/knative/helloworld-go:latest Revision/hello-00001[user-container] knative-revision.yaml:26",
		"perl BroadcastJob/broadcastjob-ttl[pi] openkruise-broadcastjob.yaml:11",
		"perl AdvancedCronJob/acj-test[pi] openkruise-advancedcronjob.yaml:14",
	} {
		if !slices.Contains(rows, want) {
			t.Errorf("missing %s in\n%s", want, strings.Join(rows, "\n"))
		}
	}
}

// TestFixWorkloadCustomResource: `kubeward fix` edits a Rollout's pod
// template as a Deployment's, checking that the edited document decodes to
// the original plus the fix.
func TestFixWorkloadCustomResource(t *testing.T) {
	_, out, stderr := runCLI(t, "fix", workloadCRs("argo-rollouts-canary.yaml"))
	for _, want := range []string{"+      securityContext:\n+        seccompProfile:", "+          allowPrivilegeEscalation: false", "3 fix(es) in 1 file(s)"} {
		if !strings.Contains(out+stderr, want) {
			t.Errorf("missing %q in\n%s%s", want, out, stderr)
		}
	}
}
