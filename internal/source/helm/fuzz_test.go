package helm

import (
	"strings"
	"testing"
)

// FuzzSet feeds --set, --set-string and --set-json items holding a marker
// value to New and renders the test chart with them: nothing panics, and no
// error repeats the value.
func FuzzSet(f *testing.F) {
	for _, s := range []string{"a.b", "image.tag", "list[0]", "x[2].y", "name\\,a", "a.b.c.d.e", "{", "sub.greeting", "replicaCount"} {
		f.Add(s, "", uint8(0))
		f.Add(s, ",c", uint8(1))
		f.Add(s, "]x", uint8(2))
	}
	const marker = "XSECRETX"
	f.Fuzz(func(t *testing.T, key, rest string, which uint8) {
		item := key + "=" + marker + rest
		var o Options
		switch which % 3 {
		case 0:
			o.Set = []string{item}
		case 1:
			o.SetString = []string{item}
		case 2:
			o.SetJSON = []string{key + `="` + marker + `"` + rest}
		}
		r, err := New(o)
		if err != nil {
			if strings.Contains(err.Error(), marker) && !strings.Contains(key, marker) {
				t.Fatalf("error shows the value: %v", err)
			}
			return
		}
		if _, err := r.Render("testdata/app", "app"); err != nil && strings.HasPrefix(err.Error(), "rendering failed:") {
			t.Fatalf("Helm panicked on values from %q: %v", item, err)
		}
	})
}
