package apidefaults

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// notModeled are the fields the API server sets that are not defaulting
// or the pod admission modelled here, by kind: addresses its allocators
// assign, and labels and selectors the Job registry generates. A
// difference anywhere else fails the test.
var notModeled = map[string][]string{
	"Service": {".spec.clusterIP", ".spec.clusterIPs", ".spec.ipFamilies", ".spec.ipFamilyPolicy", ".spec.ports[*].nodePort", ".spec.healthCheckNodePort"},
	"Job":     {".spec.selector", ".spec.template.metadata.labels", ".metadata.labels"},
	// autoscaling/v1 keeps v2's status and conditions in annotations.
	"HorizontalPodAutoscaler": {".metadata.annotations.autoscaling.alpha.kubernetes.io/conditions", ".metadata.annotations.autoscaling.alpha.kubernetes.io/current-metrics"},
}

// TestDefaultingMatchesAPIServer creates objects in a real kube-apiserver
// with a server-side dry run (defaulting and mutating admission happen,
// nothing is stored) and compares what it returns with Default on the same
// objects: the curated ones of testdata/objects.yaml and every object of a
// built-in kind in the shared corpus of real manifests.
func TestDefaultingMatchesAPIServer(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{ControllerManager: true})
	ctx := context.Background()
	objs, dropped := decodeFile(t, filepath.Join("testdata", "objects.yaml"))
	if dropped > 0 {
		t.Fatalf("testdata/objects.yaml: %d curated object(s) do not decode cleanly", dropped)
	}
	curated := len(objs)
	if dir := sharedtest.Dir(t, "corpus"); dir != "" {
		objs = append(objs, corpusObjects(t, dir)...)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	cs := c.Client()
	namespaces := map[string]bool{"default": true}
	accounts := map[string]*corev1.ServiceAccount{}
	classes := map[string]*schedulingv1.PriorityClass{} // curated ones, created for the pods after them
	ensureNS := func(ns string) bool {
		if ok, seen := namespaces[ns]; seen {
			return ok
		}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			namespaces[ns] = false // a template's placeholder, not a name
			return false
		}
		namespaces[ns] = true
		// The ServiceAccount plugin wants the default account, which the
		// controller manager creates a moment later.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
				return true
			}
		}
		t.Fatalf("no default ServiceAccount in %s", ns)
		return false
	}
	compared, refused, differing := 0, 0, 0
	var notCompared []string // curated objects left out: each must be compared
	diffCount := map[string]int{}
	for i, o := range objs {
		skip := func(why string) {
			if i < curated {
				notCompared = append(notCompared, o.Ref.String()+": "+why)
			}
		}
		typed, ok := o.Typed.(runtime.Object)
		if !ok || o.Typed == nil {
			skip("no Go type")
			continue
		}
		gvk := o.Ref.GroupKind().WithVersion(versionOf(o.APIVersion))
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			skip("not served")
			continue // not served (a removed version)
		}
		ns := ""
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ns = o.Namespace
			if ns == "" {
				ns = "default"
			}
			if !ensureNS(ns) {
				skip("namespace refused")
				refused++
				continue
			}
		}
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
		if err != nil {
			t.Fatal(err)
		}
		obj := &unstructured.Unstructured{Object: u}
		obj.SetAPIVersion(o.APIVersion)
		obj.SetKind(o.Kind)
		obj.SetNamespace(ns)
		if obj.GetName() == "" && obj.GetGenerateName() == "" {
			skip("no name")
			continue
		}
		if pod, ok := typed.(*corev1.Pod); ok && pod.Spec.ServiceAccountName != "" && pod.Spec.ServiceAccountName != "default" {
			key := ns + "/" + pod.Spec.ServiceAccountName
			if accounts[key] == nil {
				sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: pod.Spec.ServiceAccountName, Namespace: ns}}
				if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
					t.Fatal(err)
				}
				accounts[key] = sa
			}
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if ns != "" {
			ri = dyn.Resource(m.Resource).Namespace(ns)
		}
		got, err := ri.Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			if i < curated {
				t.Errorf("%s: the API server refused a curated object: %v", o.Ref, err)
			}
			refused++
			continue
		}
		// Offline: the same object, defaulted.
		mine := typed.DeepCopyObject()
		acc, _ := meta.Accessor(mine)
		acc.SetNamespace(ns)
		if acc.GetName() == "" {
			acc.SetName(got.GetName()) // the name the API server generated
		}
		Convert(mine)
		if err := Default(mine, ns, true, Options{ServiceAccounts: accounts, PriorityClasses: classes, TokenVolumeSuffix: tokenSuffix(got)}); err != nil {
			t.Fatal(err)
		}
		want, err := runtime.DefaultUnstructuredConverter.ToUnstructured(mine)
		if err != nil {
			t.Fatal(err)
		}
		diffs := diff("", normalize(want, o.Kind), normalize(got.Object, o.Kind), notModeled[o.Kind])
		compared++
		if len(diffs) > 0 {
			differing++
			for _, d := range diffs {
				diffCount[o.Kind+" "+d]++
			}
			if differing <= 10 {
				t.Errorf("%s (%s): kubeward's defaulting differs from the API server's:\n  %s", o.Ref, o.Source.File, strings.Join(diffs, "\n  "))
			}
		}
		if pc, ok := typed.(*schedulingv1.PriorityClass); ok && i < curated {
			// Given as written, as a policy test reads it from its inputs.
			createPriorityClass(ctx, t, cs, pc)
			classes[pc.Name] = pc
		}
	}
	if differing > 0 {
		var keys []string
		for k, n := range diffCount {
			keys = append(keys, fmt.Sprintf("%5d %s", n, k))
		}
		sort.Strings(keys)
		t.Errorf("%d of %d objects differ; by field:\n%s", differing, compared, strings.Join(keys, "\n"))
	}
	if len(notCompared) > 0 {
		t.Errorf("curated objects not compared:\n  %s", strings.Join(notCompared, "\n  "))
	}
	t.Logf("%d objects defaulted as the API server does (%d curated); %d refused by the API server (not compared)", compared-differing, curated, refused)
}

// createPriorityClass creates pc and waits until the Priority admission
// plugin, which reads classes through an informer, resolves it for a pod.
func createPriorityClass(ctx context.Context, t *testing.T, cs kubernetes.Interface, pc *schedulingv1.PriorityClass) {
	t.Helper()
	if _, err := cs.SchedulingV1().PriorityClasses().Create(ctx, pc.DeepCopy(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "probe-" + pc.Name},
		Spec: corev1.PodSpec{PriorityClassName: pc.Name, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err = cs.CoreV1().Pods("default").Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err == nil {
			return
		}
	}
	t.Fatalf("PriorityClass %s not seen by pod admission: %v", pc.Name, err)
}

func dropEmptyLists(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if l, ok := e.([]any); ok && len(l) == 0 {
				delete(x, k)
				continue
			}
			dropEmptyLists(e)
		}
	case []any:
		for _, e := range x {
			dropEmptyLists(e)
		}
	}
}

func versionOf(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[i+1:]
	}
	return apiVersion
}

// tokenSuffix is the random part of the token volume's name the API
// server chose, so the comparison does not fail on it.
func tokenSuffix(u *unstructured.Unstructured) string {
	vols, _, _ := unstructured.NestedSlice(u.Object, "spec", "volumes")
	for _, v := range vols {
		if m, ok := v.(map[string]any); ok {
			if name, _ := m["name"].(string); strings.HasPrefix(name, "kube-api-access-") {
				return strings.TrimPrefix(name, "kube-api-access-")
			}
		}
	}
	return ""
}

// normalize drops what the API server sets that is not defaulting: the
// identity and bookkeeping of the stored object, and status; and empty
// lists, which it may return as absent (a policy reads both the same).
func normalize(obj map[string]any, kind string) map[string]any {
	obj = runtime.DeepCopyJSON(obj)
	dropEmptyLists(obj)
	delete(obj, "status")
	if md, ok := obj["metadata"].(map[string]any); ok {
		for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink"} {
			delete(md, k)
		}
	}
	// A round trip through JSON gives both sides the same number types.
	b, _ := json.Marshal(obj)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// diff lists the paths where a and b differ, skipping the ignored ones
// ("[*]" matches any index).
func diff(path string, a, b any, ignore []string) []string {
	for _, ig := range ignore {
		if matchPath(ig, path) {
			return nil
		}
	}
	if a == nil {
		a, b = b, a // look into what one side has and the other lacks
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok && b != nil {
			return []string{path}
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		var out []string
		for k := range keys {
			out = append(out, diff(path+"."+k, av[k], bv[k], ignore)...)
		}
		sort.Strings(out)
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return []string{path}
		}
		var out []string
		for i := range av {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], ignore)...)
		}
		return out
	}
	if !reflect.DeepEqual(a, b) {
		return []string{path}
	}
	return nil
}

func matchPath(pattern, path string) bool {
	p := strings.Split(pattern, "[*]")
	if len(p) == 1 {
		return pattern == path
	}
	rest := path
	for i, part := range p {
		if !strings.HasPrefix(rest, part) {
			return false
		}
		rest = rest[len(part):]
		if i < len(p)-1 {
			if !strings.HasPrefix(rest, "[") {
				return false
			}
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return false
			}
			rest = rest[end+1:]
		}
	}
	return rest == ""
}

// decodeFile returns the objects of path that decoded without a problem,
// and how many did not.
func decodeFile(t *testing.T, path string) (clean []*inventory.Object, dropped int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	log := &diag.Log{}
	var all []*inventory.Object
	(&manifest.Decoder{Log: log}).Decode(manifest.Input{Name: path, Data: data}, func(o *inventory.Object) { all = append(all, o) })
	// A value the decoder could not read (a placeholder where base64 is
	// due) is nulled, so such objects are not what the API server reads.
	// A documentation placeholder is reported as a warning, not an error,
	// and is nulled all the same: any problem leaves the object out.
	bad := map[int]bool{}
	for _, p := range log.Problems() {
		bad[p.Line] = true
	}
	for i, o := range all {
		end := int(^uint(0) >> 1)
		if i+1 < len(all) {
			end = all[i+1].Source.Line
		}
		ok := true
		for l := range bad {
			ok = ok && !(l >= o.Source.Line && l < end)
		}
		if ok {
			clean = append(clean, o)
		} else {
			dropped++
		}
	}
	return clean, dropped
}

// corpusObjects are the objects of the shared corpus that the copies
// default, decoded in full.
func corpusObjects(t *testing.T, dir string) []*inventory.Object {
	t.Helper()
	var out []*inventory.Object
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		objs, _ := decodeFile(t, path)
		for _, o := range objs {
			if o.Typed != nil && defaultedGroup(o.APIVersion) {
				out = append(out, o)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// defaultedGroup reports the API versions whose defaulters are copied.
func defaultedGroup(apiVersion string) bool {
	switch apiVersion {
	case "v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "policy/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
		"autoscaling/v1", "autoscaling/v2", "scheduling.k8s.io/v1", "discovery.k8s.io/v1":
		return true
	}
	return false
}
