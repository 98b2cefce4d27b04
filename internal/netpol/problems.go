package netpol

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Problem is something wrong in a policy: a value the API server rejects
// (Rejected), or one it accepts that does not do what it appears to.
type Problem struct {
	Policy   PolicyRef
	Path     *fieldpath.Path
	Value    string
	Message  string
	Rejected bool
}

func (p Problem) String() string {
	v := ""
	if p.Value != "" {
		v = fmt.Sprintf(" %q", p.Value)
	}
	return fmt.Sprintf("NetworkPolicy %s: %s%s: %s", p.Policy, p.Path, v, p.Message)
}

// Effect says how the engine evaluated a field it could not take at face
// value; it is appended to messages so a reader knows what the matrix assumes.
const (
	effectIgnored = "; kubeward treats this entry as matching nothing"
)

type problems struct {
	ref  PolicyRef
	list *[]Problem
}

func (ps problems) reject(path *fieldpath.Path, value, format string, args ...any) {
	*ps.list = append(*ps.list, Problem{Policy: ps.ref, Path: path, Value: value, Message: fmt.Sprintf(format, args...), Rejected: true})
}

func (ps problems) warn(path *fieldpath.Path, value, format string, args ...any) {
	*ps.list = append(*ps.list, Problem{Policy: ps.ref, Path: path, Value: value, Message: fmt.Sprintf(format, args...)})
}

// validPortName returns why s is not an IANA_SVC_NAME, or "".
func validPortName(s string) string {
	return strings.Join(validation.IsValidPortName(s), "; ")
}
