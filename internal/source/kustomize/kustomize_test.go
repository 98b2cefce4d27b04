package kustomize

import (
	"bytes"
	"errors"
	"github.com/kubeward/kubeward/internal/diag"
	yaml3 "go.yaml.in/yaml/v3"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
	"github.com/kubeward/kubeward/internal/source"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// TestMain makes any attempt to reach the network or run git fail at once
// and recognisably: kustomize would clone with the git on PATH and fetch
// through the proxy from the environment (read once per process, so it is
// set before any test runs).
func TestMain(m *testing.M) {
	empty, err := os.MkdirTemp("", "kubeward-nogit")
	if err != nil {
		panic(err)
	}
	os.Setenv("PATH", empty)
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		os.Setenv(k, "http://127.0.0.1:9")
	}
	os.Unsetenv("NO_PROXY")
	os.Unsetenv("no_proxy")
	code := m.Run()
	os.RemoveAll(empty)
	os.Exit(code)
}

func render(t *testing.T, dir string) []manifest.Input {
	t.Helper()
	in, err := New().Render(dir, dir)
	if err != nil {
		t.Fatalf("Render %s: %v", dir, err)
	}
	return in
}

// TestBuildOverlay: objects are named after the file they were written
// in, with its lines, and a field set by a patch is placed in the patch.
// They used to name the overlay joined with the file's path (reports
// showed it twice: testdata/overlays/prod/testdata/base/deployment.yaml)
// and lines of the build's output.
func TestBuildOverlay(t *testing.T) {
	const dir = "testdata/overlays/prod"
	objs := manifesttest.Objects(t, render(t, dir))
	want := map[string]inventory.Source{
		"ConfigMap/prod-app-config-hf678c7m2b": {File: "testdata/base/kustomization.yaml", Line: 5},           // its generator entry
		"Secret/prod-db-bb2mc4486b":            {File: "testdata/overlays/prod/kustomization.yaml", Line: 23}, // idem
		"Service/prod-web":                     {File: "testdata/base/service.yaml", Line: 1},
		"Deployment/prod-web":                  {File: "testdata/base/deployment.yaml", Line: 1},
		"NetworkPolicy/prod-default-deny":      {File: "testdata/overlays/prod/networkpolicy.yaml", Line: 1},
	}
	if len(objs) != len(want) {
		t.Errorf("got %d objects, want %d", len(objs), len(want))
	}
	for id, src := range want {
		o, ok := objs[id]
		if !ok {
			t.Errorf("%s not built", id)
			continue
		}
		if o.Source != src {
			t.Errorf("%s: source %+v, want %+v", id, o.Source, src)
		}
		for _, k := range []string{originKey, "alpha.config.kubernetes.io/transformations"} {
			if _, ok := o.Meta.Annotations[k]; ok {
				t.Errorf("%s keeps the annotation %s kubeward asked for", id, k)
			}
		}
		if o.Namespace != "shop" {
			t.Errorf("%s: namespace %q", id, o.Namespace)
		}
	}
	// The overlay's patches, the component's patch and images applied.
	d := objs["Deployment/prod-web"].Typed.(*appsv1.Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	sc := c.SecurityContext
	if *d.Spec.Replicas != 3 || c.Image != "nginx:1.28" || sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("deployment: replicas %d image %q securityContext %+v", *d.Spec.Replicas, c.Image, sc)
	}
	if got := c.EnvFrom[0].ConfigMapRef.Name; got != "prod-app-config-hf678c7m2b" {
		t.Errorf("configMapRef %q: generated name not propagated", got)
	}

	container := fieldpath.New("spec", "template", "spec", "containers").Index(0)
	for _, c := range []struct {
		path *fieldpath.Path
		want inventory.Position
	}{
		// The inline JSON patch of the overlay's kustomization, at its value.
		{container.Child("securityContext", "allowPrivilegeEscalation"), inventory.Position{File: "testdata/overlays/prod/kustomization.yaml", Line: 21, Column: 9}},
		// The overlay's strategic merge patch file.
		{fieldpath.New("spec", "replicas"), inventory.Position{File: "testdata/overlays/prod/replicas.yaml", Line: 6, Column: 3}},
		// The component's patch.
		{container.Child("securityContext", "readOnlyRootFilesystem"), inventory.Position{File: "testdata/components/hardening/security.yaml", Line: 11, Column: 13}},
		// A missing field: where it goes in the patch that wrote its parent.
		{container.Child("securityContext", "privileged"), inventory.Position{File: "testdata/components/hardening/security.yaml", Line: 10, Column: 11}},
		// Written in the resource's file (File "": the object's own).
		{container.Child("image"), inventory.Position{Line: 19, Column: 11}},
		{container.Child("envFrom").Index(0).Child("configMapRef", "name"), inventory.Position{Line: 22, Column: 17}},
		{container.Child("resources"), inventory.Position{Line: 18, Column: 11}},
	} {
		pos := objs["Deployment/prod-web"].Locate([]*fieldpath.Path{c.path})
		if pos[0] != c.want {
			t.Errorf("%s at %+v, want %+v", c.path, pos[0], c.want)
		}
	}
}

// kustomizeBuild is what `kustomize build` prints, from kustomize's own
// library on the plain disk.
func kustomizeBuild(t *testing.T, dir string) []byte {
	t.Helper()
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSameAsKustomizeBuild checks that asking for origins and
// transformations and removing them again leaves the objects byte for byte
// as kustomize builds them.
func TestSameAsKustomizeBuild(t *testing.T) {
	for _, dir := range []string{"testdata/base", "testdata/overlays/prod", "testdata/with-origin"} {
		want := kustomizeBuild(t, dir)
		in := render(t, dir)
		var got bytes.Buffer
		for i, x := range in {
			if i > 0 {
				got.WriteString("---\n")
			}
			got.Write(x.Data)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: output differs from kustomize build:\n got:\n%s\nwant:\n%s", dir, got.Bytes(), want)
		}
	}
}

// TestOriginKeptWhenAsked: a kustomization that asks for origin
// annotations itself gets them in its output, as they will be applied.
func TestOriginKeptWhenAsked(t *testing.T) {
	objs := manifesttest.Objects(t, render(t, "testdata/with-origin"))
	o := objs["Deployment/web"]
	if o == nil || o.Meta.Annotations[originKey] != "path: ../base/deployment.yaml\n" || o.Source.File != "testdata/base/deployment.yaml" {
		t.Errorf("deployment %+v", o)
	}
}

func TestComponentSkipped(t *testing.T) {
	_, err := New().Render("testdata/components/hardening", "testdata/components/hardening")
	var skip *source.SkipError
	if !errors.As(err, &skip) {
		t.Fatalf("error %v, want a SkipError", err)
	}
}

func TestRemoteRefused(t *testing.T) {
	cases := []struct{ dir, file, field, ref string }{
		{"testdata/remote-git", "testdata/remote-git/kustomization.yaml", "resources", "github.com/kubernetes-sigs/kustomize//examples/multibases?ref=v3.3.1"},
		{"testdata/remote-http", "testdata/remote-http/kustomization.yaml", "resources", "https://raw.githubusercontent.com/kubernetes/website/main/content/en/examples/application/deployment.yaml"},
		{"testdata/remote-nested", "testdata/remote-git/kustomization.yaml", "resources", "github.com/kubernetes-sigs/kustomize//examples/multibases?ref=v3.3.1"},
		{"testdata/remote-patch", "testdata/remote-patch/kustomization.yaml", "patches", "https://example.com/patch.yaml"},
	}
	for _, c := range cases {
		_, err := New().Render(c.dir, c.dir)
		var re *RemoteError
		if !errors.As(err, &re) {
			t.Errorf("%s: error %v, want a RemoteError", c.dir, err)
			continue
		}
		if got := (RemoteError{c.file, c.field, c.ref}); *re != got {
			t.Errorf("%s: %+v, want %+v", c.dir, *re, got)
		}
		if !strings.Contains(err.Error(), "offline") {
			t.Errorf("%s: error %q does not say why", c.dir, err)
		}
	}
	_, err := New().Render("testdata/helmchart", "testdata/helmchart")
	if err == nil || !strings.Contains(err.Error(), "helmCharts are not inflated") {
		t.Errorf("helmchart: error %v", err)
	}
}

// TestOfflineHarness shows that the test environment would catch a fetch
// or a clone: kustomize's own build fails with these messages.
func TestOfflineHarness(t *testing.T) {
	for _, c := range []struct{ ref, want string }{
		{"github.com/org/repo", "no 'git' program on path"},
		{"https://example.com/x.yaml", "127.0.0.1:9"},
	} {
		if err, _ := rawBuild(t, "resources", c.ref); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: raw kustomize build error %v, want %q", c.ref, err, c.want)
		}
	}
}

// rawBuild runs kustomize without kubeward's checks on a kustomization
// naming ref in field; ok is false for a ref YAML cannot hold.
func rawBuild(t testing.TB, field, ref string) (err error, ok bool) {
	dir, ok := kustomization(t, field, ref)
	if !ok {
		return nil, false
	}
	_, err = krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	return err, true
}

func kustomization(t testing.TB, field, ref string) (string, bool) {
	k, err := yaml.Marshal(map[string]any{field: []string{ref}})
	if err != nil {
		return "", false
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), k, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, true
}

// reached reports whether a raw build error shows kustomize tried git or
// the network (see TestMain).
func reached(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "no 'git' program") || strings.Contains(err.Error(), "127.0.0.1:9"))
}

var remoteCases = []struct {
	ref        string
	http, repo bool
}{
	{"https://example.com/a.yaml", true, true},
	{"HTTP://example.com/a.yaml", true, true},
	{"  https://example.com/a.yaml", true, true},
	{"git::https://github.com/org/repo", false, true},
	{"GIT::ssh://git@example.com/org/repo", false, true},
	{"ssh://git@example.com/org/repo", false, true},
	{"git@github.com:org/repo", false, true},
	{"user@host.example.com:org/repo.git", false, true},
	{"github.com/org/repo/path?ref=v1", false, true},
	{"GitHub.com:org/repo", false, true},
	{"file:///srv/repos/app", false, true},
	{"../base", false, false},
	{"deployment.yaml", false, false},
	{"gitlab.com/org/repo", false, false},
	{"/abs/path", false, false},
	{"1user@host:x", false, false},
}

func TestIsRemote(t *testing.T) {
	for _, c := range remoteCases {
		if got := isHTTP(c.ref); got != c.http {
			t.Errorf("isHTTP(%q) = %v", c.ref, got)
		}
		if got := isRepo(c.ref); got != c.repo {
			t.Errorf("isRepo(%q) = %v", c.ref, got)
		}
	}
}

// TestRemoteSuperset checks the classification against kustomize itself:
// whatever a raw build would clone or fetch, kubeward calls remote.
func TestRemoteSuperset(t *testing.T) {
	for _, c := range remoteCases {
		for _, field := range []string{"resources", "components"} {
			if err, _ := rawBuild(t, field, c.ref); reached(err) && !isRepo(c.ref) {
				t.Errorf("kustomize reaches out for %s %q; kubeward lets it through", field, c.ref)
			}
		}
	}
}

func FuzzRemoteSuperset(f *testing.F) {
	for _, c := range remoteCases {
		f.Add(c.ref)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		if strings.ContainsAny(ref, "\n\x00") {
			return
		}
		err, ok := rawBuild(t, "resources", ref)
		if !ok || !reached(err) {
			return
		}
		if !isRepo(ref) {
			t.Fatalf("kustomize reaches out for %q (%v); kubeward lets it through", ref, err)
		}
		// And the renderer refuses it before kustomize sees it.
		dir, _ := kustomization(t, "resources", ref)
		_, err = New().Render(dir, "x")
		var re *RemoteError
		if !errors.As(err, &re) {
			t.Fatalf("Render: %v, want a RemoteError", err)
		}
	})
}

func TestWithBuildAnnotations(t *testing.T) {
	cases := []struct {
		in    string
		added []string
		want  []any
	}{
		{"resources: [a.yaml]\n", []string{"originAnnotations", "transformerAnnotations"}, []any{"originAnnotations", "transformerAnnotations"}},
		{"buildMetadata: [managedByLabel]\n", []string{"originAnnotations", "transformerAnnotations"}, []any{"managedByLabel", "originAnnotations", "transformerAnnotations"}},
		{"buildMetadata: [originAnnotations]\n", []string{"transformerAnnotations"}, []any{"originAnnotations", "transformerAnnotations"}},
		{"buildMetadata: [transformerAnnotations, originAnnotations]\n", nil, nil},
		{"buildMetadata: nope\n", nil, nil},
		{"resources: [\n", nil, nil},
		{"", nil, nil},
	}
	for _, c := range cases {
		out, added := withBuildAnnotations([]byte(c.in))
		if !reflect.DeepEqual(added, c.added) {
			t.Errorf("%q: added %v, want %v", c.in, added, c.added)
			continue
		}
		if len(added) == 0 {
			if string(out) != c.in {
				t.Errorf("%q changed to %q", c.in, out)
			}
			continue
		}
		var doc map[string]any
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(doc["buildMetadata"], c.want) {
			t.Errorf("%q: buildMetadata %v, want %v", c.in, doc["buildMetadata"], c.want)
		}
	}
}

func FuzzWithBuildAnnotations(f *testing.F) {
	f.Add([]byte("resources: [a.yaml]\nbuildMetadata: [managedByLabel]\n"))
	f.Add([]byte("a: &x {b: 1}\nc: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, added := withBuildAnnotations(data)
		if len(added) == 0 {
			if !bytes.Equal(out, data) {
				t.Fatalf("changed without adding")
			}
			return
		}
		var before, after map[string]any
		if err := yaml.Unmarshal(data, &before); err != nil {
			t.Fatalf("added to a file that does not parse: %v", err)
		}
		if err := yaml.Unmarshal(out, &after); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		bm, _ := after["buildMetadata"].([]any)
		for _, a := range buildAnnotations {
			if !slices.Contains(bm, a) {
				t.Fatalf("buildMetadata %v lacks %v", after["buildMetadata"], a)
			}
		}
		delete(before, "buildMetadata")
		delete(after, "buildMetadata")
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("other fields changed:\n%v\n%v", before, after)
		}
	})
}

func TestClaims(t *testing.T) {
	r := New()
	cases := []struct {
		path  string
		isDir bool
		want  bool
	}{
		{"testdata/base", true, true},
		{"testdata/components/hardening", true, true},
		{"testdata/overlays", true, false},
		{"testdata/base/kustomization.yaml", false, false},
	}
	for _, c := range cases {
		if got := r.Claims(c.path, c.isDir); got != c.want {
			t.Errorf("Claims(%q, %v) = %v", c.path, c.isDir, got)
		}
	}
	// The other recognised names.
	for _, name := range []string{"kustomization.yml", "Kustomization"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("resources: []\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if !r.Claims(dir, true) {
			t.Errorf("%s not claimed", name)
		}
	}
}

// TestErrorsHideSecrets: kustomize quotes a malformed generator input or
// patch in its errors; it may be a secret and is not shown.
func TestErrorsHideSecrets(t *testing.T) {
	for _, c := range []struct{ file, content, gen string }{
		{"", "", "secretGenerator: [{name: s, literals: [hunter2-SECRET]}]\n"},
		{"", "", "secretGenerator: [{name: s, literals: ['=hunter2-SECRET']}]\n"},
		{"app.env", "PASSWORD=hunter2-SECRET\xff\n", "secretGenerator: [{name: s, envs: [app.env]}]\n"},
		// A patch that does not fit the object: kyaml shows the node.
		{"s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {pw: aHVudGVy}\n",
			"resources: [s.yaml]\npatches:\n- patch: |\n    apiVersion: v1\n    kind: Secret\n    metadata: {name: s}\n    data: hunter2-SECRET\n"},
	} {
		dir := t.TempDir()
		if c.file != "" {
			if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(c.gen), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := New().Render(dir, "overlay")
		if err == nil {
			t.Errorf("%q: no error", c.gen)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "104 117 110") {
			t.Errorf("%q: error shows the secret: %v", c.gen, err)
		}
		t.Log(err)
		if !strings.Contains(err.Error(), "(not shown)") {
			t.Errorf("%q: error %v", c.gen, err)
		}
	}
}

// TestConcurrentRenders: builds may be asked for in parallel; each gets
// the same output (run with -race).
func TestConcurrentRenders(t *testing.T) {
	want := render(t, "testdata/overlays/prod")
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			got, err := New().Render("testdata/overlays/prod", "testdata/overlays/prod")
			if err == nil && !reflect.DeepEqual(got, want) {
				err = errors.New("output differs")
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

// TestProblemsInSourceFiles: a bad value in a resource is reported at its
// line in the file it was written in, not in the build's output.
func TestProblemsInSourceFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"kustomization.yaml": "namePrefix: x-\nresources: [pod.yaml]\n",
		"pod.yaml":           "# a comment\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n    ports:\n    - containerPort: not-a-number\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	log := &diag.Log{}
	dec := &manifest.Decoder{Log: log}
	for _, in := range render(t, dir) {
		dec.Decode(in, func(*inventory.Object) {})
	}
	p := log.Problems()
	if len(p) != 1 || p[0].File != filepath.ToSlash(filepath.Join(dir, "pod.yaml")) || p[0].Line != 11 || p[0].Path != "spec.containers[0].ports[0].containerPort" {
		t.Errorf("problems %+v, want one at pod.yaml:11", p)
	}
}

// FuzzOriginLocator feeds arbitrary resource, patch and built documents to
// the locator: nothing may panic, and a position is in the file it names.
func FuzzOriginLocator(f *testing.F) {
	f.Add([]byte("spec:\n  containers:\n  - name: a\n    image: x\n"), []byte("- op: add\n  path: /spec/containers/0/image\n  value: y\n"), []byte("spec: {containers: [{name: a, image: y}]}\n"))
	f.Add([]byte("a: &x [*x]\n"), []byte("spec: {containers: [{name: a}]}\n"), []byte("[1, 2]\n"))
	f.Fuzz(func(t *testing.T, res, pt, built []byte) {
		resDocs, _ := parseDocuments(res)
		ptDocs, _ := parseDocuments(pt)
		l := &originLocator{built: built, resource: place{file: "res.yaml"}}
		if len(resDocs) > 0 {
			l.resource.node = resDocs[0]
		}
		for _, d := range ptDocs {
			l.patches = append(l.patches, patch{place: place{file: "patch.yaml", node: d}, json6902: d.Kind == yaml3.SequenceNode})
		}
		pos, err := l.Locate([]*fieldpath.Path{
			fieldpath.New("spec", "containers").Index(0).Child("image"),
			fieldpath.New("spec", "containers").Index(3),
			fieldpath.New("a").Index(0).Index(0),
		})
		if err != nil {
			t.Fatal(err)
		}
		// YAML breaks lines at \r too.
		count := func(b []byte) int { return bytes.Count(b, []byte("\n")) + bytes.Count(b, []byte("\r")) + 1 }
		lines := map[string]int{"": count(res), "patch.yaml": count(pt)}
		for _, p := range pos {
			if p.Line < 0 || p.Line > lines[p.File] {
				t.Fatalf("position %+v outside its file", p)
			}
		}
	})
}
