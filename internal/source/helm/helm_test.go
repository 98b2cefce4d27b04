package helm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
	"github.com/kubeward/kubeward/internal/source"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func render(t *testing.T, opts Options, chart string) []manifest.Input {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	in, err := r.Render(chart, "charts/"+filepath.Base(chart))
	if err != nil {
		t.Fatalf("Render %s: %v", chart, err)
	}
	return in
}

func templates(in []manifest.Input) []string {
	var out []string
	for _, i := range in {
		out = append(out, i.Template)
	}
	return out
}

func TestRenderChart(t *testing.T) {
	in := render(t, Options{}, "testdata/app")
	want := []string{
		"app/crds/widgets.yaml",
		"app/charts/sub/templates/configmap.yaml",
		"app/templates/deployment.yaml",
		"app/templates/hook-job.yaml",
		"app/templates/legacy-hooks.yaml",
		"app/templates/rbac.yaml",
		"app/templates/service.yaml",
	}
	if got := templates(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("templates:\n got %q\nwant %q", got, want)
	}
	for _, i := range in {
		if i.Name != "charts/app" {
			t.Errorf("%s: Name = %q, want the chart's display path", i.Template, i.Name)
		}
	}

	objs := manifesttest.Objects(t, in)
	// Source.Line is the first line of the document in the template's
	// rendered output; File is the chart, Template the "# Source:" path.
	wantSrc := map[string]inventory.Source{
		"CustomResourceDefinition/widgets.example.com": {File: "charts/app", Line: 1, Template: "app/crds/widgets.yaml"},
		"ConfigMap/release-name-sub":                   {File: "charts/app", Line: 1, Template: "app/charts/sub/templates/configmap.yaml"},
		"Deployment/release-name-app":                  {File: "charts/app", Line: 1, Template: "app/templates/deployment.yaml"},
		"Job/release-name-app-migrate":                 {File: "charts/app", Line: 1, Template: "app/templates/hook-job.yaml"},
		// The crd-install document before it is blanked, not removed.
		"ConfigMap/after-install":         {File: "charts/app", Document: 1, Line: 9, Template: "app/templates/legacy-hooks.yaml"},
		"ServiceAccount/release-name-app": {File: "charts/app", Line: 1, Template: "app/templates/rbac.yaml"},
		"Role/release-name-app":           {File: "charts/app", Document: 1, Line: 6, Template: "app/templates/rbac.yaml"},
		"Service/release-name-app":        {File: "charts/app", Line: 1, Template: "app/templates/service.yaml"},
	}
	if len(objs) != len(wantSrc) {
		t.Errorf("got %d objects, want %d", len(objs), len(wantSrc))
	}
	for id, src := range wantSrc {
		o, ok := objs[id]
		if !ok {
			t.Errorf("%s not rendered", id)
			continue
		}
		if o.Source != src {
			t.Errorf("%s: source %+v, want %+v", id, o.Source, src)
		}
	}

	dep := objs["Deployment/release-name-app"].Typed.(*appsv1.Deployment)
	if *dep.Spec.Replicas != 1 || dep.Spec.Template.Spec.Containers[0].Image != "nginx:1.27" || dep.Namespace != DefaultNamespace {
		t.Errorf("deployment rendered with replicas=%d image=%q namespace=%q", *dep.Spec.Replicas, dep.Spec.Template.Spec.Containers[0].Image, dep.Namespace)
	}
	// The parent's values for the subchart win over the subchart's own.
	cm := objs["ConfigMap/release-name-sub"].Typed.(*corev1.ConfigMap)
	if cm.Data["greeting"] != "hello" {
		t.Errorf("subchart greeting = %q, want the parent's value %q", cm.Data["greeting"], "hello")
	}
	// The hook is rendered like any other template.
	if objs["Job/release-name-app-migrate"].Meta.Annotations["helm.sh/hook"] != "pre-install,pre-upgrade" {
		t.Errorf("hook job lost its annotation")
	}
}

// TestPositions checks that a field's position is its line in the
// template's rendered output.
func TestPositions(t *testing.T) {
	objs := manifesttest.Objects(t, render(t, Options{}, "testdata/app"))
	cases := []struct {
		obj  string
		path *fieldpath.Path
		line int
	}{
		{"Deployment/release-name-app", fieldpath.New("spec", "template", "spec", "containers").Index(0).Child("securityContext"), 24},
		{"Deployment/release-name-app", fieldpath.New("spec", "replicas"), 10},
		{"Role/release-name-app", fieldpath.New("rules").Index(0).Child("verbs"), 13},
		{"ConfigMap/release-name-sub", fieldpath.New("data", "greeting"), 7},
		{"Service/release-name-app", fieldpath.New("spec", "ports").Index(0).Child("port"), 11},
		{"ConfigMap/after-install", fieldpath.New("data", "key"), 16},
	}
	for _, c := range cases {
		pos, err := objs[c.obj].Locator.Locate([]*fieldpath.Path{c.path})
		if err != nil {
			t.Fatalf("%s %s: %v", c.obj, c.path, err)
		}
		if pos[0].Line != c.line {
			t.Errorf("%s %s: line %d, want %d", c.obj, c.path, pos[0].Line, c.line)
		}
	}
}

func TestValuesChangeOutput(t *testing.T) {
	in := render(t, Options{
		ValuesFiles: []string{"testdata/values-prod.yaml"},
		Set:         []string{"image.tag=2.0", "securityContext.readOnlyRootFilesystem=false"},
		SetFile:     []string{"sub.greeting=testdata/greeting.txt"},
		ReleaseName: "prod",
		Namespace:   "shop",
	}, "testdata/app")
	for _, tpl := range templates(in) {
		if tpl == "app/templates/service.yaml" {
			t.Errorf("service.enabled=false in the values file still renders the Service")
		}
	}
	objs := manifesttest.Objects(t, in)
	dep, ok := objs["Deployment/prod-app"]
	if !ok {
		t.Fatalf("no Deployment/prod-app among %v", keys(objs))
	}
	d := dep.Typed.(*appsv1.Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	if *d.Spec.Replicas != 3 {
		t.Errorf("replicas = %d, want 3 from the values file", *d.Spec.Replicas)
	}
	if c.Image != "nginx:2.0" {
		t.Errorf("image = %q, want --set to win over the values file", c.Image)
	}
	if c.SecurityContext.ReadOnlyRootFilesystem == nil || *c.SecurityContext.ReadOnlyRootFilesystem {
		t.Errorf("readOnlyRootFilesystem = %v, want false from --set", c.SecurityContext.ReadOnlyRootFilesystem)
	}
	if d.Namespace != "shop" {
		t.Errorf("namespace = %q, want shop", d.Namespace)
	}
	if got := objs["ConfigMap/prod-sub"].Typed.(*corev1.ConfigMap).Data["greeting"]; got != "from a file" {
		t.Errorf("greeting = %q, want the --set-file content", got)
	}

	// --set-string keeps a number a string; --set-json sets structures.
	in = render(t, Options{SetString: []string{"image.tag=3"}, SetJSON: []string{`securityContext={"runAsUser":1000}`}}, "testdata/app")
	d = manifesttest.Objects(t, in)["Deployment/release-name-app"].Typed.(*appsv1.Deployment)
	c = d.Spec.Template.Spec.Containers[0]
	if c.Image != "nginx:3" || c.SecurityContext.RunAsUser == nil || *c.SecurityContext.RunAsUser != 1000 {
		t.Errorf("image %q, runAsUser %v", c.Image, c.SecurityContext.RunAsUser)
	}
}

func keys(m map[string]*inventory.Object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func renderErr(t *testing.T, opts Options, chart string) error {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	in, err := r.Render(chart, chart)
	if err == nil {
		t.Fatalf("Render %s: no error, %d inputs", chart, len(in))
	}
	return err
}

func TestMissingDependency(t *testing.T) {
	err := renderErr(t, Options{}, "testdata/missing-dep")
	for _, want := range []string{`"postgresql"`, "missing-dep/Chart.yaml", "helm dependency build testdata/missing-dep"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// A missing dependency that the values disable is not needed...
	render(t, Options{}, "testdata/app")
	// ...and is an error once enabled.
	err = renderErr(t, Options{Set: []string{"cache.enabled=true"}}, "testdata/app")
	if !strings.Contains(err.Error(), `"cache"`) || strings.Contains(err.Error(), `"sub"`) {
		t.Errorf("error %q should name cache and only cache", err)
	}
}

func TestTemplateError(t *testing.T) {
	err := renderErr(t, Options{}, "testdata/broken")
	want := "execution error at (broken/templates/deployment.yaml:10:20): image.tag is required"
	if err.Error() != want {
		t.Errorf("error\n got %q\nwant %q", err, want)
	}
	// Setting the value fixes it.
	if got := templates(render(t, Options{Set: []string{"imageTag=1.0"}}, "testdata/broken")); len(got) != 2 {
		t.Errorf("templates %q", got)
	}
}

func TestArchive(t *testing.T) {
	dir := t.TempDir()
	c, err := loader.Load("testdata/app")
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := chartutil.Save(c, dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Claims(tgz, false) {
		t.Fatalf("%s not claimed", tgz)
	}
	in, err := r.Render(tgz, "app-0.1.0.tgz")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := templates(in), templates(render(t, Options{}, "testdata/app")); !reflect.DeepEqual(got, want) {
		t.Errorf("archive templates %q, directory templates %q", got, want)
	}
	if in[0].Name != "app-0.1.0.tgz" {
		t.Errorf("Name = %q", in[0].Name)
	}
}

// TestArchivedSubchart renders a chart whose dependency is a .tgz in
// charts/, as `helm dependency build` leaves it.
func TestArchivedSubchart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	if err := os.CopyFS(dir, os.DirFS("testdata/app")); err != nil {
		t.Fatal(err)
	}
	sub, err := loader.Load(filepath.Join(dir, "charts", "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chartutil.Save(sub, filepath.Join(dir, "charts")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "charts", "sub")); err != nil {
		t.Fatal(err)
	}
	objs := manifesttest.Objects(t, render(t, Options{}, dir))
	cm, ok := objs["ConfigMap/release-name-sub"]
	if !ok || cm.Source.Template != "app/charts/sub/templates/configmap.yaml" || cm.Typed.(*corev1.ConfigMap).Data["greeting"] != "hello" {
		t.Errorf("subchart from charts/sub-0.1.0.tgz not rendered as expected: %+v", cm)
	}
}

func TestSchema(t *testing.T) {
	err := renderErr(t, Options{Set: []string{"replicaCount=0"}}, "testdata/app")
	if !strings.Contains(err.Error(), "at '/replicaCount': minimum: got 0, want 1") {
		t.Errorf("error %q", err)
	}
	// A value failing a pattern may be a secret: it is not repeated.
	err = renderErr(t, Options{SetString: []string{"image.tag=hunter2"}}, "testdata/app")
	if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "at '/image/tag': value does not match pattern") {
		t.Errorf("error %q", err)
	}
	// The schema's https $ref is not fetched and accepts anything.
	render(t, Options{Set: []string{"image.repository=registry.example.com/nginx"}}, "testdata/app")
	render(t, Options{Set: []string{"replicaCount=0"}, SkipSchemaValidation: true}, "testdata/app")
}

func TestCapabilities(t *testing.T) {
	err := renderErr(t, Options{KubeVersion: "1.18"}, "testdata/caps")
	if !strings.Contains(err.Error(), "chart requires kubeVersion >=1.19.0-0") {
		t.Errorf("error %q", err)
	}
	in := render(t, Options{KubeVersion: "v1.31.2", APIVersions: []string{"example.com/v1"}, ReleaseName: "r1", Namespace: "ns1"}, "testdata/caps")
	cm := manifesttest.Objects(t, in)["ConfigMap/caps"].Typed.(*corev1.ConfigMap)
	want := map[string]string{"release": "r1", "kubeVersion": "v1.31.2", "hasWidgets": "true", "lookupEmpty": "true", "host": ""}
	if !reflect.DeepEqual(cm.Data, want) || cm.Namespace != "ns1" {
		t.Errorf("data %v namespace %q, want %v ns1", cm.Data, cm.Namespace, want)
	}
	if _, err := New(Options{KubeVersion: "not-a-version"}); err == nil {
		t.Errorf("bad kube version accepted")
	}
}

func TestBadOptions(t *testing.T) {
	// YAML decoder errors quote the file; the parser's do not.
	badValues := func(content string) []string {
		p := filepath.Join(t.TempDir(), "values.yaml")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{p}
	}
	cases := []struct {
		opts   Options
		want   string
		hidden string
	}{
		{Options{ValuesFiles: badValues("? {password: hunter2}\n: x\n")}, "not valid YAML (the parser's message is not shown", "hunter2"},
		{Options{ValuesFiles: badValues("a: 1\npassword: !!int hunter2\n")}, "not valid YAML", "hunter2"},
		{Options{ValuesFiles: badValues("a: 1\npassword: [hunter2\n")}, "yaml: line 2: did not find expected ',' or ']'", "hunter2"},
		{Options{ValuesFiles: []string{"https://example.com/values.yaml"}}, "remote values are not fetched", ""},
		{Options{ValuesFiles: []string{"-"}}, "standard input", ""},
		{Options{ValuesFiles: []string{"testdata/nope.yaml"}}, "testdata/nope.yaml", ""},
		{Options{SetFile: []string{"a=https://example.com/x"}}, "remote values are not fetched", ""},
		{Options{Set: []string{"db.password=hunter2,xyzzy"}}, `--set "db.password=…": cannot be parsed`, "hunter2"},
		{Options{SetString: []string{"token=abc,def"}}, `--set-string "token=…"`, "abc"},
		{Options{SetJSON: []string{`auth={"pw":"hunter2"`}}, `--set-json "auth=…"`, "hunter2"},
	}
	for _, c := range cases {
		_, err := New(c.opts)
		if err == nil {
			t.Errorf("%+v: no error", c.opts)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %q does not contain %q", c.opts, err, c.want)
		}
		if c.hidden != "" && strings.Contains(err.Error(), c.hidden) {
			t.Errorf("%+v: error %q shows the value", c.opts, err)
		}
	}
}

func TestClaims(t *testing.T) {
	r, _ := New(Options{})
	cases := []struct {
		path  string
		isDir bool
		want  bool
	}{
		{"testdata/app", true, true},
		{"testdata/app/charts/sub", true, true},
		{"testdata/app/templates", true, false},
		{"testdata", true, false},
		{"dist/app-1.0.0.tgz", false, true},
		{"dist/APP.TGZ", false, true},
		{"testdata/app/Chart.yaml", false, false},
		{"dist/app.tar.gz", false, false},
	}
	for _, c := range cases {
		if got := r.Claims(c.path, c.isDir); got != c.want {
			t.Errorf("Claims(%q, %v) = %v, want %v", c.path, c.isDir, got, c.want)
		}
	}
}

func TestNotAChart(t *testing.T) {
	tgz := filepath.Join(t.TempDir(), "junk.tgz")
	if err := os.WriteFile(tgz, []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := renderErr(t, Options{}, tgz); !strings.Contains(err.Error(), "load chart") {
		t.Errorf("error %q", err)
	}
}

func TestDropUnknownHooks(t *testing.T) {
	cases := []struct{ in, want string }{
		{"kind: A\n", "kind: A\n"},
		// Every hook type must be known for Helm to keep the document.
		{"kind: A\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install, crd-install\n---\nkind: B\n",
			"\n\n\n\n---\nkind: B\n"},
		{"kind: A\nmetadata:\n  annotations:\n    helm.sh/hook: Pre-Install , test-success\n",
			"kind: A\nmetadata:\n  annotations:\n    helm.sh/hook: Pre-Install , test-success\n"},
		// An empty hook annotation is unknown to Helm too.
		{"metadata:\n  annotations:\n    helm.sh/hook: \"\"\n...\nkind: C", "\n\n\n...\nkind: C"},
		// The annotation must be on the object, not in its data.
		{"kind: ConfigMap\ndata:\n  helm.sh/hook: crd-install\n", "kind: ConfigMap\ndata:\n  helm.sh/hook: crd-install\n"},
		// Unparsable documents are left for the decoder to report.
		{"metadata: [\nhelm.sh/hook: crd-install\n", "metadata: [\nhelm.sh/hook: crd-install\n"},
	}
	for _, c := range cases {
		if got := dropUnknownHooks(c.in); got != c.want {
			t.Errorf("dropUnknownHooks(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestGluedSeparators renders a template whose whitespace trimming glues a
// comment and an object to "---" lines: Helm splits there, so the three
// objects are found, each at its line in the rendered output.
func TestGluedSeparators(t *testing.T) {
	objs := manifesttest.Objects(t, render(t, Options{}, "testdata/glued"))
	want := map[string]int{"ConfigMap/first": 1, "ConfigMap/second": 6, "ConfigMap/third": 10}
	if len(objs) != len(want) {
		t.Errorf("objects %v, want %v", keys(objs), want)
	}
	for id, line := range want {
		if o := objs[id]; o == nil || o.Source.Line != line || o.Source.Template != "glued/templates/configmaps.yaml" {
			t.Errorf("%s: %+v, want line %d", id, o, line)
		}
	}
	pos, err := objs["ConfigMap/third"].Locator.Locate([]*fieldpath.Path{fieldpath.New("data", "key")})
	if err != nil || pos[0].Line != 15 {
		t.Errorf("data.key at %+v (%v), want line 15", pos, err)
	}
}

func TestSplitLikeHelm(t *testing.T) {
	cases := []struct {
		in   string
		want []segment
	}{
		{"a: 1\n---\nb: 2\n", []segment{{"a: 1\n---\nb: 2\n", 0}}},
		{"a: 1\n--- \t\nb: 2", []segment{{"a: 1\n--- \t\nb: 2", 0}}},
		{"a: 1\n---# c\nb: 2\n", []segment{{"a: 1\n---\nb: 2\n", 0}}},
		{"a: 1\n--- # c\r\nb: 2\n", []segment{{"a: 1\n---\r\nb: 2\n", 0}}},
		{"a: 1\n---#", []segment{{"a: 1\n---", 0}}},
		{"a: 1\n---b: 2\nc: 3\n", []segment{{"a: 1\n", 0}, {"b: 2\nc: 3\n", 1}}},
		{"---kind: A\n---  kind: B\n", []segment{{"", 0}, {"kind: A\n", 0}, {"kind: B\n", 1}}},
		{"x: '---'\n----\n", []segment{{"x: '---'\n", 0}, {"-\n", 1}}},
	}
	for _, c := range cases {
		if got := splitLikeHelm(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitLikeHelm(%q)\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

// TestConcurrentRenders: one renderer serves the renders of a scan, which
// may run in parallel; each gets the same output (run with -race).
func TestConcurrentRenders(t *testing.T) {
	r, err := New(Options{Set: []string{"replicaCount=2"}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.Render("testdata/app", "app")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			got, err := r.Render("testdata/app", "app")
			if err == nil && !reflect.DeepEqual(got, want) {
				err = fmt.Errorf("output differs")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestErrorsHideValues: template functions and Helm quote the values they
// fail on, and values files hold passwords: no render error repeats one.
func TestErrorsHideValues(t *testing.T) {
	chart := filepath.Join(t.TempDir(), "quoting")
	files := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: quoting\nversion: 0.1.0\n",
		"templates/cm.yaml": `{{- if eq .Values.use "d" }}
expires: {{ .Values.password | mustToDate "2006-01-02" }}
{{- else if eq .Values.use "t" }}
cert: {{ tpl .Values.cert . }}
{{- else if eq .Values.use "i" }}
x: {{ include .Values.password . }}
{{- end }}
`,
	}
	for name, content := range files {
		p := filepath.Join(chart, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	values := filepath.Join(t.TempDir(), "secrets.yaml")
	if err := os.WriteFile(values, []byte("password: hunter2-SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(cert, []byte("-----BEGIN KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n{{ oops\n-----END KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts   Options
		want   string
		hidden []string
	}{
		{Options{ValuesFiles: []string{values}, Set: []string{"use=d"}}, "error calling mustToDate", []string{"hunter2"}},
		{Options{ValuesFiles: []string{values}, Set: []string{"use=i"}}, "error calling include", []string{"hunter2"}},
		// %q escapes the quote and the backslash.
		{Options{SetLiteral: []string{`password=pa"ss\word-SECRET`}, Set: []string{"use=d"}}, "error calling mustToDate", []string{"ss", "word-SECRET"}},
		// A multi-line value comes back escaped, on one line. (The parse
		// error names the token it stopped at, "oops": a value that is
		// template text is not hidden token by token.)
		{Options{SetFile: []string{"cert=" + cert}, Set: []string{"use=t"}}, "error calling tpl", []string{"c2VjcmV0", "BEGIN KEY"}},
	} {
		r, err := New(c.opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Render(chart, "charts/quoting")
		if err == nil {
			t.Errorf("%+v: no error", c.opts)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("%+v: error %q, want %q with the value redacted", c.opts, err, c.want)
		}
		for _, h := range c.hidden {
			if strings.Contains(err.Error(), h) {
				t.Errorf("%+v: error %q shows %q", c.opts, err, h)
			}
		}
	}

	// A value that is part of the chart's path is shown anyway, and stays;
	// a SkipError stays one.
	r, err := New(Options{Set: []string{"name=library"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Render("testdata/library", "testdata/library")
	if _, ok := errors.AsType[*source.SkipError](err); !ok {
		t.Errorf("library chart: %v, want a SkipError", err)
	}
	err = renderErr(t, Options{SetString: []string{"x=missing-dep"}}, "testdata/missing-dep")
	if !strings.Contains(err.Error(), "helm dependency build testdata/missing-dep") {
		t.Errorf("error %q lost the chart path", err)
	}
}
