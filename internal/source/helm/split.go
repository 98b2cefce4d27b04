package helm

import "strings"

// segment is a piece of a template's output that the manifest decoder can
// read as Helm does, with the number of lines before it in the output.
type segment struct {
	text       string
	lineOffset int
}

// splitLikeHelm cuts a template's output where Helm starts a document but
// the decoder, which follows YAML, would not: Helm splits at every line
// beginning with "---" (releaseutil.SplitManifests), so "---# comment"
// and "---apiVersion: v1", which templates trimming whitespace with "{{-"
// often produce (cert-manager's rbac.yaml does), start documents. Lines
// keep their numbers: a comment after the marker is dropped from its line,
// and content after it starts a new segment on the same line.
func splitLikeHelm(text string) []segment {
	if !strings.Contains(text, "---") {
		return []segment{{text: text}}
	}
	var out []segment
	var cur strings.Builder
	start := 0
	for i, l := range strings.SplitAfter(text, "\n") {
		rest, ok := strings.CutPrefix(l, "---")
		body := strings.TrimRight(strings.TrimLeft(rest, " \t"), "\r\n")
		switch {
		case !ok || body == "":
			cur.WriteString(l)
		case strings.HasPrefix(body, "#"):
			cur.WriteString("---" + l[len(strings.TrimRight(l, "\r\n")):])
		default:
			out = append(out, segment{text: cur.String(), lineOffset: start})
			cur.Reset()
			cur.WriteString(strings.TrimLeft(rest, " \t"))
			start = i
		}
	}
	return append(out, segment{text: cur.String(), lineOffset: start})
}
