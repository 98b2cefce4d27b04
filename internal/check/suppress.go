package check

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/distribution/reference"
)

// AnnotationPrefix starts the annotation that suppresses one check on one
// object (or pod template): suppress.kubeward.dev/<check-id>. Its value is
// the reason, optionally led by an expiry date: "2027-03-01: reason".
const AnnotationPrefix = "suppress.kubeward.dev/"

const dateLayout = "2006-01-02"

// SuppressionRule is a config-file entry. Check is required (an id or a
// glob); Kind, Namespace and Name narrow it (globs); Path matches the source
// file (a glob where ** spans directories); Image matches the image
// reference of an image check's finding (a glob where ** spans path
// segments). Reason is required.
type SuppressionRule struct {
	Check     string `json:"check" yaml:"check"`
	Kind      string `json:"kind,omitempty" yaml:"kind"`
	Namespace string `json:"namespace,omitempty" yaml:"namespace"`
	Name      string `json:"name,omitempty" yaml:"name"`
	Path      string `json:"path,omitempty" yaml:"path"`
	Image     string `json:"image,omitempty" yaml:"image"`
	Reason    string `json:"reason" yaml:"reason"`
	Expires   string `json:"expires,omitempty" yaml:"expires"`
	// Origin names where a rule made from another section came from (an
	// image policy's exception); "" for the suppressions section.
	Origin string `json:"-" yaml:"-"`
}

// Validate reports a rule that would match nothing or suppress without a reason.
func (r *SuppressionRule) Validate() error {
	if strings.TrimSpace(r.Check) == "" {
		return fmt.Errorf("suppression needs a check (an id or a glob)")
	}
	if strings.TrimSpace(r.Reason) == "" {
		return fmt.Errorf("suppression of %s needs a reason", r.Check)
	}
	if r.Expires != "" {
		if _, err := time.Parse(dateLayout, r.Expires); err != nil {
			return fmt.Errorf("suppression of %s: expires %q is not a date like 2027-01-31", r.Check, r.Expires)
		}
	}
	for _, g := range []string{r.Check, r.Kind, r.Namespace, r.Name, r.Image} {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("suppression of %s: bad pattern %q", r.Check, g)
		}
	}
	return nil
}

// Suppressions are the config-file rules of a run and the day they are
// judged on (a suppression expires at the end of its expiry date, UTC).
type Suppressions struct {
	Rules  []SuppressionRule
	Origin string // config file name, for reports
	Now    time.Time
}

func expired(expires string, now time.Time) bool {
	if expires == "" {
		return false
	}
	t, err := time.Parse(dateLayout, expires)
	return err != nil || !now.Before(t.AddDate(0, 0, 1))
}

// ParseAnnotation reads the value of a suppression annotation.
func ParseAnnotation(value string) (reason, expires string, err error) {
	value = strings.TrimSpace(value)
	if d, rest, ok := strings.Cut(value, ":"); ok && len(d) == len(dateLayout) && d[4] == '-' {
		if _, perr := time.Parse(dateLayout, d); perr != nil {
			return "", "", fmt.Errorf("expiry %q is not a date like 2027-01-31", d)
		}
		expires, value = d, strings.TrimSpace(rest)
	}
	if value == "" {
		return "", "", fmt.Errorf("a suppression needs a reason")
	}
	return value, expires, nil
}

// annotationSuppression looks for a suppression of checkID in annotations.
func (s *Suppressions) annotation(annotations map[string]string, checkID string) *SuppressionStatus {
	if len(annotations) == 0 {
		return nil
	}
	// The key is built in a buffer on the stack: a lookup through
	// string(bytes) does not allocate, and nearly every finding misses.
	var buf [128]byte
	v, ok := annotations[string(append(append(buf[:0], AnnotationPrefix...), checkID...))]
	if !ok {
		return nil
	}
	key := AnnotationPrefix + checkID
	reason, expires, err := ParseAnnotation(v)
	if err != nil {
		return nil // reported once per object by the runner
	}
	return &SuppressionStatus{Reason: reason, Expires: expires, Origin: "annotation " + key, Expired: expired(expires, s.now())}
}

func (s *Suppressions) now() time.Time {
	if s == nil || s.Now.IsZero() {
		return time.Now().UTC()
	}
	return s.Now
}

// Match finds the suppression of a finding: the object's annotation first,
// then the pod template's, then the config rules in order.
func (s *Suppressions) Match(f *Finding, objAnnotations, podAnnotations map[string]string) *SuppressionStatus {
	if st := s.annotation(objAnnotations, f.CheckID); st != nil {
		return st
	}
	if st := s.annotation(podAnnotations, f.CheckID); st != nil {
		return st
	}
	if s == nil {
		return nil
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		if r.matches(f) {
			origin := fmt.Sprintf("config suppressions[%d]", i)
			switch {
			case r.Origin != "":
				origin = r.Origin
			case s.Origin != "":
				origin = fmt.Sprintf("%s suppressions[%d]", s.Origin, i)
			}
			return &SuppressionStatus{Reason: r.Reason, Expires: r.Expires, Origin: origin, Expired: expired(r.Expires, s.now())}
		}
	}
	return nil
}

func (r *SuppressionRule) matches(f *Finding) bool {
	glob := func(pattern, s string) bool {
		if pattern == "" {
			return true
		}
		ok, _ := path.Match(pattern, s)
		return ok
	}
	return glob(r.Check, f.CheckID) && glob(r.Kind, f.Object.Kind) &&
		glob(r.Namespace, f.Object.Namespace) && glob(r.Name, f.Object.Name) &&
		(r.Path == "" || MatchPathGlob(r.Path, f.Source.File)) &&
		(r.Image == "" || MatchImageGlob(r.Image, f.Image))
}

// MatchImageGlob matches an image reference against a glob over its
// registry and repository, with or without its tag or digest:
// "ghcr.io/acme/**" matches every image under ghcr.io/acme,
// "docker.io/library/nginx" every tag of nginx, "docker.io/library/nginx:1.*"
// its 1.x tags. A reference without a registry is read as Docker Hub's
// (nginx is docker.io/library/nginx), as the kubelet reads it.
func MatchImageGlob(pattern, image string) bool {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return MatchPathGlob(pattern, image)
	}
	return MatchPathGlob(pattern, reference.TrimNamed(named).String()) || MatchPathGlob(pattern, named.String())
}

// MatchPathGlob matches a slash-separated path against a glob in which "**"
// stands for any number of directories.
func MatchPathGlob(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegments(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// annotationProblems lists malformed suppression annotations of an object.
func annotationProblems(annotations map[string]string, known func(string) bool) []string {
	var out []string
	for k, v := range annotations {
		id, ok := strings.CutPrefix(k, AnnotationPrefix)
		if !ok {
			continue
		}
		if _, _, err := ParseAnnotation(v); err != nil {
			out = append(out, fmt.Sprintf("annotation %s does not suppress: %v", k, err))
		} else if !known(id) {
			out = append(out, fmt.Sprintf("annotation %s names no known check", k))
		}
	}
	return out
}
