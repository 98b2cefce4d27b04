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
		_, err = r.Render("testdata/app", "app")
		if err != nil && strings.HasPrefix(err.Error(), "rendering failed:") {
			t.Fatalf("Helm panicked on values from %q: %v", item, err)
		}
		if err != nil && strings.Contains(err.Error(), marker) && !strings.Contains(key, marker) {
			t.Fatalf("render error shows the value from %q: %v", item, err)
		}
	})
}

// FuzzSplit checks the two rewrites of a template's output for the
// property positions rely on: every line keeps its number.
func FuzzSplit(f *testing.F) {
	f.Add("a: 1\n---# c\nb: 2\n---c: 3\n")
	f.Add("kind: A\nmetadata:\n  annotations:\n    helm.sh/hook: crd-install\n---\nkind: B\n")
	f.Add("------\n--- \n...\n---\tx\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		segs := splitLikeHelm(text)
		lines := 0
		for i, s := range segs {
			if s.lineOffset != lines {
				t.Fatalf("segment %d starts after line %d, want %d: %+v", i, s.lineOffset, lines, segs)
			}
			lines += strings.Count(s.text, "\n")
			if i > 0 && len(s.text) > 0 && s.text[0] == ' ' {
				t.Fatalf("segment %d starts with the marker's spaces: %q", i, s.text)
			}
		}
		if want := strings.Count(text, "\n"); lines != want {
			t.Fatalf("%d lines after splitting, %d before", lines, want)
		}
		out := dropUnknownHooks(text)
		in, got := strings.Split(text, "\n"), strings.Split(out, "\n")
		if len(in) != len(got) {
			t.Fatalf("dropUnknownHooks changed the number of lines: %q -> %q", text, out)
		}
		for i := range in {
			if got[i] != in[i] && got[i] != "" {
				t.Fatalf("line %d rewritten to %q", i+1, got[i])
			}
		}
	})
}
