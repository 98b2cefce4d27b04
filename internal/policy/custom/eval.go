package custom

import (
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/policy/redact"
	"k8s.io/apiserver/pkg/cel/common"
)

// compiled is a check ready to run.
type compiled struct {
	title        string
	expr, msg    cel.Program
	message      string
	path         *fieldpath.Path // from the object, or from the pod spec
	ignoreErrors bool            // failurePolicy: Ignore
}

// objectVal is the object as a CEL value, the way the API server hands an
// object to a ValidatingAdmissionPolicy: typed objects through the
// schemaless reflection adapter (no copy), custom resources as their maps.
func objectVal(o *inventory.Object) ref.Val {
	switch {
	case o.Typed != nil:
		return common.SchemalessTypedToVal(o.Typed)
	case o.Raw != nil:
		return types.DefaultTypeAdapter.NativeToValue(o.Raw.Object)
	}
	return nil // known by its metadata only
}

func (c *compiled) object(_ *check.Context, o *inventory.Object) []check.Result {
	v := objectVal(o)
	if v == nil {
		return nil
	}
	return c.run(&activation{object: v}, c.path, o)
}

func (c *compiled) pod(_ *check.Context, p *inventory.Pod) []check.Result {
	a := &activation{object: objectVal(p.Object), podSpec: common.SchemalessTypedToVal(p.Spec), podMeta: common.SchemalessTypedToVal(p.Meta)}
	if a.object == nil {
		a.object = types.NullValue
	}
	path := p.SpecPath
	if c.path != nil {
		path = p.SpecPath.Join(c.path)
	}
	return c.run(a, path, p.Object)
}

func (c *compiled) run(a *activation, path *fieldpath.Path, o *inventory.Object) []check.Result {
	v, err := eval(c.expr, a)
	if err == nil {
		ok, isBool := v.Value().(bool)
		if !isBool {
			err = fmt.Errorf("the expression returned %s, not a bool", v.Type().TypeName())
		} else if ok {
			return nil
		}
	}
	if err != nil {
		// As a policy with failurePolicy Fail denies what it cannot judge,
		// a check that cannot be evaluated reports, unless told to ignore.
		if c.ignoreErrors {
			return nil
		}
		return []check.Result{{Path: path, Message: redacted(o, "the check's expression could not be evaluated: "+err.Error()+
			" (failurePolicy: Ignore skips objects the expression cannot judge)")}}
	}
	msg := c.message
	if c.msg != nil {
		// As for a policy: a messageExpression that fails, is empty or
		// spans lines falls back to the message.
		if mv, err := eval(c.msg, a); err == nil {
			if s, ok := mv.Value().(string); ok && strings.TrimSpace(s) != "" && !strings.ContainsAny(s, "\r\n") {
				msg = strings.TrimSpace(s)
			}
		}
	}
	if msg == "" {
		msg = c.title
	}
	return []check.Result{{Path: path, Message: redacted(o, msg)}}
}

// redacted keeps a Secret's values out of a message that quotes them; for
// other objects the redactor is nil and leaves the message as it is.
func redacted(o *inventory.Object, msg string) string {
	return (*redact.Redactor)(nil).With(o).String(msg)
}
