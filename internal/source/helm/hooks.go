package helm

import (
	"strings"

	"sigs.k8s.io/yaml"
)

// hookEvents are the helm.sh/hook values Helm 4 runs
// (helm.sh/helm/v4/pkg/release/v1/util); a document naming any other is
// never installed, so it is not scanned either.
var hookEvents = map[string]bool{
	"pre-install": true, "post-install": true, "pre-delete": true, "post-delete": true,
	"pre-upgrade": true, "post-upgrade": true, "pre-rollback": true, "post-rollback": true,
	"test": true, "test-success": true,
}

const hookAnnotation = "helm.sh/hook"

// dropUnknownHooks blanks the documents that Helm skips as unknown hooks
// (Helm 2's crd-install, typos), keeping every other line where it is so
// that positions stay those of the rendered template.
func dropUnknownHooks(text string) string {
	if !strings.Contains(text, hookAnnotation) {
		return text
	}
	lines := strings.SplitAfter(text, "\n")
	var b strings.Builder
	start := 0
	flush := func(end int) {
		doc := strings.Join(lines[start:end], "")
		if unknownHook(doc) {
			b.WriteString(strings.Repeat("\n", strings.Count(doc, "\n")))
		} else {
			b.WriteString(doc)
		}
	}
	for i, l := range lines {
		if isSeparator(l) {
			flush(i)
			b.WriteString(l)
			start = i + 1
		}
	}
	flush(len(lines))
	return b.String()
}

// isSeparator matches the document markers the manifest decoder splits on.
func isSeparator(l string) bool {
	for _, m := range []string{"---", "..."} {
		if rest, ok := strings.CutPrefix(l, m); ok && (rest == "" || strings.ContainsAny(rest[:1], " \t\r\n")) {
			return true
		}
	}
	return false
}

func unknownHook(doc string) bool {
	if !strings.Contains(doc, hookAnnotation) {
		return false
	}
	var head struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	// A document that does not parse is left to the decoder to report.
	if yaml.Unmarshal([]byte(doc), &head) != nil {
		return false
	}
	types, ok := head.Metadata.Annotations[hookAnnotation]
	if !ok {
		return false
	}
	for t := range strings.SplitSeq(types, ",") {
		if !hookEvents[strings.ToLower(strings.TrimSpace(t))] {
			return true
		}
	}
	return false
}
