package vulndb

import (
	"strings"

	"github.com/kubeward/kubeward/internal/image/vuln"
	osvpb "github.com/ossf/osv-schema/bindings/go/osvschema"
	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
	"google.golang.org/protobuf/types/known/structpb"
)

// rating is an advisory's severity as the advisory states it.
type rating struct {
	severity vuln.Severity
	score    float64 // CVSS base score; 0 when the rating is qualitative
	vector   string
}

// better reports whether r should replace o: a CVSS rating beats a word,
// and between two of a kind the higher wins (two sources rating one CVE
// differently are both plausible; the policy errs towards the graver).
func (r rating) better(o rating) bool {
	if (r.vector != "") != (o.vector != "") {
		return r.vector != ""
	}
	if r.vector != "" {
		return r.score > o.score
	}
	return r.severity > o.severity
}

// rate reads an advisory's rating as osv-scanner does: the highest score of
// its CVSS vectors (v2, v3.x and v4.0, scored by go-cvss), else a word some
// databases give (GitHub's database_specific.severity, Ubuntu's priority,
// Debian's urgency, Red Hat's and SUSE's severity). affected narrows the
// per-package severities to the affected entries that matched.
func rate(v *osvpb.Vulnerability, affected []*osvpb.Affected) rating {
	sevs := append([]*osvpb.Severity(nil), v.GetSeverity()...)
	for _, a := range affected {
		sevs = append(sevs, a.GetSeverity()...)
	}
	best := rating{}
	for _, s := range sevs {
		if r, ok := cvss(s); ok && (best.vector == "" || r.score > best.score) {
			best = r
		}
	}
	if best.vector != "" {
		return best
	}
	// Words: Ubuntu's priority is a severity of type "Ubuntu" (types newer
	// than the bindings read as UNSPECIFIED), the others free-form fields.
	words := []string{}
	for _, s := range sevs {
		if t := s.GetType(); t == osvpb.Severity_Ubuntu || t == osvpb.Severity_UNSPECIFIED {
			words = append(words, s.GetScore())
		}
	}
	words = append(words, field(v.GetDatabaseSpecific(), "severity"))
	for _, a := range affected {
		for _, st := range []*structpb.Struct{a.GetEcosystemSpecific(), a.GetDatabaseSpecific()} {
			words = append(words, field(st, "severity"), field(st, "urgency"))
		}
	}
	for _, w := range words {
		if s, err := vuln.ParseSeverity(w); err == nil && s > best.severity {
			best.severity = s
		}
	}
	return best
}

func field(s *structpb.Struct, name string) string {
	if s == nil {
		return ""
	}
	return s.GetFields()[name].GetStringValue()
}

// cvss parses one CVSS vector with go-cvss.
func cvss(s *osvpb.Severity) (rating, bool) {
	vec := strings.TrimSpace(s.GetScore())
	var score float64
	bands := gocvss31.Rating
	switch s.GetType() {
	case osvpb.Severity_CVSS_V2:
		v, err := gocvss20.ParseVector(strings.TrimPrefix(vec, "CVSS:2.0/"))
		if err != nil {
			return rating{}, false
		}
		// CVSS v2 has no bands of its own: osv-scanner rates its scores in
		// v3.0's (so 9.0 and above is critical, where NVD said high).
		score, bands = v.BaseScore(), gocvss30.Rating
	case osvpb.Severity_CVSS_V3:
		switch {
		case strings.HasPrefix(vec, "CVSS:3.0/"):
			v, err := gocvss30.ParseVector(vec)
			if err != nil {
				return rating{}, false
			}
			score, bands = v.BaseScore(), gocvss30.Rating
		case strings.HasPrefix(vec, "CVSS:3.1/"):
			v, err := gocvss31.ParseVector(vec)
			if err != nil {
				return rating{}, false
			}
			score = v.BaseScore()
		default:
			return rating{}, false
		}
	case osvpb.Severity_CVSS_V4:
		v, err := gocvss40.ParseVector(vec)
		if err != nil {
			return rating{}, false
		}
		score, bands = v.Score(), gocvss40.Rating
	default:
		return rating{}, false
	}
	return rating{severity: band(bands, score), score: score, vector: vec}, true
}

// band is go-cvss's qualitative rating of a score ("NONE" is Unrated).
func band(rate func(float64) (string, error), score float64) vuln.Severity {
	word, err := rate(score)
	if err != nil {
		return vuln.Unrated
	}
	s, _ := vuln.ParseSeverity(word)
	return s
}
