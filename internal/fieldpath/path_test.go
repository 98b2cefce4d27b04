package fieldpath

import (
	"strconv"
	"testing"
)

func TestStringAndParse(t *testing.T) {
	tests := []struct {
		path *Path
		want string
	}{
		{nil, ""},
		{New("spec"), "spec"},
		{New("spec", "containers").Index(0).Child("securityContext", "privileged"), "spec.containers[0].securityContext.privileged"},
		{New("metadata", "annotations").Key("kubeward.dev/suppress"), "metadata.annotations[kubeward.dev/suppress]"},
		{New("items").Index(3).Child("spec"), "items[3].spec"},
	}
	for _, tt := range tests {
		if got := tt.path.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		if got := Parse(tt.want).String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q", tt.want, got)
		}
	}
}

func TestJoinAndParent(t *testing.T) {
	base := New("spec", "template", "spec")
	rel := New("containers").Index(2).Child("image")
	got := base.Join(rel)
	if got.String() != "spec.template.spec.containers[2].image" {
		t.Fatalf("Join = %s", got)
	}
	if got.Parent().String() != "spec.template.spec.containers[2]" {
		t.Fatalf("Parent = %s", got.Parent())
	}
	if last, ok := got.Last(); !ok || last.Name != "image" {
		t.Fatalf("Last = %+v", last)
	}
	if base.String() != "spec.template.spec" {
		t.Fatalf("Join mutated its receiver: %s", base)
	}
}

// FuzzParse: any string parses without panicking, and what Parse prints
// parses back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"spec.containers[0].image", "metadata.annotations[a.b/c]", "[", "a..b", "x[1", "]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := Parse(s).String()
		if twice := Parse(once).String(); twice != once {
			t.Fatalf("Parse(%q) prints %q, which parses to %q", s, once, twice)
		}
	})
}

// TestStringShapes: String prints as the elements say, for paths deeper
// than its stack, negative and large indexes, and keys anywhere, in one
// allocation.
func TestStringShapes(t *testing.T) {
	deep := New("spec")
	want := "spec"
	for i := range 40 {
		deep = deep.Child("items").Index(i).Key("a.b")
		want += ".items[" + strconv.Itoa(i) + "][a.b]"
	}
	tests := []struct {
		path *Path
		want string
	}{
		{deep, want},
		{New().Index(-1), "[-1]"},
		{New().Key("k").Child("x"), "[k].x"},
		{New("a").Index(1 << 62).Child("b"), "a[4611686018427387904].b"},
		{New(""), ""},
		{New("", "x"), ".x"},
	}
	for _, tt := range tests {
		if got := tt.path.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	p := New("spec", "template", "spec", "containers").Index(12).Child("securityContext").Key("x")
	if n := testing.AllocsPerRun(100, func() { _ = p.String() }); n != 1 {
		t.Errorf("String allocates %v times, want 1", n)
	}
}
