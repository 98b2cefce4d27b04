package manifest

import "bytes"

// span is one YAML document of a stream.
type span struct {
	start, end int // byte offsets in the stream
	line       int // 1-based line of start
}

// splitDocuments cuts a YAML stream at document separators ("---" at the
// start of a line, followed by nothing or a space) and document end markers
// ("..."), as k8s.io/apimachinery's YAML reader does. Content after a marker
// on its line belongs to the next document, as YAML and Kustomize read it
// (apimachinery's reader refuses it; dropping it would hide a document). Cutting before parsing
// lets one bad document fail alone and lets documents parse in parallel.
func splitDocuments(data []byte) []span {
	var out []span
	start, startLine, line := 0, 1, 1
	for off := 0; off < len(data); {
		nl := bytes.IndexByte(data[off:], '\n')
		end := len(data)
		if nl >= 0 {
			end = off + nl + 1
		}
		l := data[off:end]
		if isMarker(l, "---") || isMarker(l, "...") {
			out = append(out, span{start, off, startLine})
			start, startLine = end, line+1
			if !blank(l[3:]) {
				// "--- {apiVersion: v1, ...}": the document starts on the
				// marker's line, which the parser reads as its start (and
				// reports, after "...", as an error at that line).
				start, startLine = off, line
			}
		}
		off = end
		line++
	}
	out = append(out, span{start, len(data), startLine})
	return out
}

func isMarker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	rest := line[len(m):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

// blank reports whether a document holds only white space and comments.
func blank(doc []byte) bool {
	for len(doc) > 0 {
		nl := bytes.IndexByte(doc, '\n')
		l := doc
		if nl >= 0 {
			l, doc = doc[:nl], doc[nl+1:]
		} else {
			doc = nil
		}
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' {
			return false
		}
	}
	return true
}

// CountDocuments returns the number of documents in a stream that hold
// more than white space and comments.
func CountDocuments(data []byte) int {
	n := 0
	for _, sp := range splitDocuments(data) {
		if !blank(data[sp.start:sp.end]) {
			n++
		}
	}
	return n
}

// Document is one document of a stream, numbered as the decoder numbers
// them (inventory.Source.Document is its index): Data[Start:End], whose
// first line is Line (1-based).
type Document struct {
	Start, End, Line int
}

// Documents cuts a stream into documents as Decode does, so that a
// command that edits a file finds the document a finding names.
func Documents(data []byte) []Document {
	spans := splitDocuments(data)
	out := make([]Document, len(spans))
	for i, s := range spans {
		out[i] = Document{Start: s.start, End: s.end, Line: s.line}
	}
	return out
}
