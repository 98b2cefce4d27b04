// Package manifest turns YAML and JSON manifests into inventory objects with
// the line and column of every field, reporting bad documents precisely and
// going on with the rest.
package manifest

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/placeholder"
	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
)

// Decoder turns streams into objects. It holds no state between calls and
// is safe for concurrent use.
type Decoder struct {
	// Reads reports whether some check reads the contents of a kind. Other
	// kinds are parsed for their metadata only: in real repositories most
	// bytes are CustomResourceDefinitions that no check reads.
	Reads  func(schema.GroupKind) bool
	Limits Limits
	Log    *diag.Log
	// Scheme decodes built-in kinds to Go types; nil means client-go's.
	// Its groups are Kubernetes' own: a kind or version it does not know
	// in them is one the API server would reject.
	Scheme *runtime.Scheme
	// OlderTarget says that the Kubernetes release judged for is older
	// than the libraries: an API version of a built-in group that they no
	// longer carry (autoscaling/v2beta2) may be served there, so such an
	// object is read for its metadata with a warning instead of refused.
	OlderTarget bool
}

// Input is one stream of documents.
type Input struct {
	Name     string // file name shown in reports
	Data     []byte
	Template string // Helm template, when rendered
	// LineOffset is the number of lines before Data in the file Name.
	LineOffset int
	// Reread returns n bytes at off of the stream again, to find positions
	// after the parse tree was released; nil keeps a copy of each document.
	Reread func(off, n int) ([]byte, error)
	// Namespace is where namespaced objects that name none are created: a
	// chart's release namespace, as Helm installs them. "" leaves them
	// without (the deployer's context decides).
	Namespace string
	// Origin, when set, locates the fields of the input's one object in
	// the files it was written in (a Kustomize resource and its patches):
	// positions and problems then count there, not in Data.
	Origin inventory.Locator
}

// Decode reports each object to emit while its parse tree is alive (its
// Locator is then exact and cheap); afterwards the object keeps a locator
// that re-reads its document on demand. It returns the number of objects.
func (d *Decoder) Decode(in Input, emit func(*inventory.Object)) int {
	type notObject struct {
		doc, line int
		reason    string
	}
	var skipped []notObject
	n, docs := 0, 0
	for i, sp := range splitDocuments(in.Data) {
		doc := in.Data[sp.start:sp.end]
		if blank(doc) {
			continue
		}
		docs++
		dd := docDecoder{Decoder: d, in: in, index: i, span: sp, doc: doc}
		objs, reason := dd.decode()
		if reason != "" {
			skipped = append(skipped, notObject{i, sp.line + in.LineOffset, reason})
		}
		for _, o := range objs {
			emit(o.obj)
			o.release()
			n++
		}
	}
	if len(skipped) > 0 && len(skipped) == docs {
		// A whole file of something else (values.yaml, a CI workflow): say
		// so once, not per document.
		d.Log.Skip(in.Name, "not a Kubernetes manifest: "+skipped[0].reason)
		return n
	}
	for _, s := range skipped {
		d.Log.Skip(fmt.Sprintf("%s document %d (line %d)", in.Name, s.doc, s.line), s.reason)
	}
	return n
}

type docDecoder struct {
	*Decoder
	in    Input
	index int
	span  span
	doc   []byte
}

type decoded struct {
	obj     *inventory.Object
	release func()
}

func (d *docDecoder) lineOffset() int { return d.span.line - 1 + d.in.LineOffset }

func (d *docDecoder) source(item int) inventory.Source {
	return inventory.Source{File: d.in.Name, Document: d.index, Line: d.span.line + d.in.LineOffset, Template: d.in.Template, ListItem: item}
}

func (d *docDecoder) problem(level diag.Level, line, col int, object, path, msg string) {
	file := d.in.Name
	switch {
	case d.in.Origin != nil:
		// Lines of the built output mean nothing to the reader: the
		// field's place where it was written, else the object's.
		line, col = d.span.line+d.in.LineOffset, 0
		if path != "" {
			if pos, err := d.in.Origin.Locate([]*fieldpath.Path{fieldpath.Parse(path)}); err == nil && len(pos) == 1 && pos[0].Line > 0 {
				line, col = pos[0].Line, pos[0].Column
				if pos[0].File != "" {
					file = pos[0].File
				}
			}
		}
	case line > 0:
		line += d.lineOffset()
	}
	d.Log.Problem(diag.Problem{Level: level, File: file, Template: d.in.Template, Line: line, Column: col, Object: object, Path: path, Message: msg})
}

func (d *docDecoder) reads(gk schema.GroupKind) bool { return d.Reads == nil || d.Reads(gk) }

func (d *docDecoder) limits() Limits {
	if d.Limits == (Limits{}) {
		return DefaultLimits
	}
	return d.Limits
}

// text returns a function that yields the document again later.
func (d *docDecoder) text() func() ([]byte, error) {
	if d.in.Reread == nil {
		cp := bytes.Clone(d.doc)
		return func() ([]byte, error) { return cp, nil }
	}
	reread, off, n := d.in.Reread, d.span.start, d.span.end-d.span.start
	return func() ([]byte, error) { return reread(off, n) }
}

// decode returns the objects of the document, or why it holds none.
func (d *docDecoder) decode() ([]decoded, string) {
	if len(d.doc) > d.limits().MaxDocumentBytes {
		d.problem(diag.Error, 1, 0, "", "", fmt.Sprintf("document of %d bytes is over the limit of %d bytes; not scanned", len(d.doc), d.limits().MaxDocumentBytes))
		return nil, ""
	}
	if t, ok := prescan(d.doc); ok && !t.hasItems && !isList(t.kind) {
		if isKubeconfig(t.apiVersion, t.kind) {
			return nil, kubeconfigReason
		}
		// A kind the API server would reject is parsed in full, to be
		// reported with its name.
		gvk := schema.FromAPIVersionAndKind(t.apiVersion, t.kind)
		if gk := inventory.GroupKindOf(t.apiVersion, t.kind); !d.reads(gk) && d.rejects(gvk) == "" {
			return d.metadataOnly(t, gk)
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(d.doc, &root); err != nil {
		line, msg := yamlError(err)
		if line == 0 {
			line = 1 // the parser did not say: the document's first line
		}
		d.problem(diag.Error, line, 0, "", "", "invalid YAML: "+msg)
		return nil, ""
	}
	if len(root.Content) == 0 {
		// Bytes that hold no YAML node though they are not blank: a
		// UTF-16 byte-order mark alone.
		return nil, "no YAML content"
	}
	top := deref(root.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, "not a mapping"
	}
	apiVersion, kind := scalarField(top, "apiVersion"), scalarField(top, "kind")
	if apiVersion == "" || kind == "" {
		return nil, "no apiVersion and kind"
	}
	if isKubeconfig(apiVersion, kind) {
		return nil, kubeconfigReason
	}
	if p := scalarField(top, "$patch"); p != "" {
		// No object carries a strategic-merge directive: this is a
		// Kustomize patch, judged in the object it patches.
		return nil, "a strategic-merge patch ($patch: " + p + "), not an object; scan the overlay that applies it"
	}
	// A document with items is a list, whatever its kind, as client-go's
	// unstructured decoder reads it (so a custom resource whose kind ends
	// in "List" is an object); a typed list without items is empty.
	items, _ := lookup(top, "items")
	if items == nil && isList(kind) {
		if _, err := d.scheme().New(schema.FromAPIVersionAndKind(apiVersion, kind)); err == nil || kind == "List" {
			return nil, kind + " without items"
		}
	}
	if items != nil {
		if items = deref(items); items.Kind != yaml.SequenceNode && items.ShortTag() != "!!null" {
			d.problem(diag.Error, items.Line, items.Column, kind, "items", "items is not a list")
			return nil, ""
		}
		// Items of a typed list (PodList, as the API server writes them)
		// carry no apiVersion and kind: they are the list's kind without
		// "List", in the list's apiVersion (k8s.io/apimachinery's
		// UnstructuredList does the same). A List's items must say.
		itemKind := strings.TrimSuffix(kind, "List")
		var out []decoded
		for i, it := range items.Content {
			it = deref(it)
			var fill *schema.GroupVersionKind
			if itemKind != "" && it.Kind == yaml.MappingNode && scalarField(it, "apiVersion") == "" && scalarField(it, "kind") == "" {
				gvk := schema.FromAPIVersionAndKind(apiVersion, itemKind)
				fill = &gvk
			}
			if o, ok := d.object(&root, it, fieldpath.New("items").Index(i), i+1, fill); ok {
				out = append(out, o)
			}
		}
		return out, ""
	}
	o, ok := d.object(&root, top, nil, 0, nil)
	if !ok {
		return nil, ""
	}
	return []decoded{o}, ""
}

func isList(kind string) bool { return strings.HasSuffix(kind, "List") }

func (d *Decoder) scheme() *runtime.Scheme {
	if d.Scheme != nil {
		return d.Scheme
	}
	return scheme.Scheme
}

// clientGoKinds indexes client-go's scheme once, after every package
// (Helm among them) has registered its kinds in it.
var clientGoKinds = sync.OnceValue(func() *kindIndex { return newKindIndex(scheme.Scheme) })

func (d *Decoder) served() *kindIndex {
	if d.Scheme != nil {
		return newKindIndex(d.Scheme)
	}
	return clientGoKinds()
}

// rejects says why the API server would refuse an object of this kind
// (kindIndex.rejects), "" when it would not. OpenShift's legacy
// DeploymentConfig (inventory.GroupKindOf), in the core group's v1, is
// served by OpenShift.
func (d *docDecoder) rejects(gvk schema.GroupVersionKind) string {
	if inventory.GroupKindOf(gvk.GroupVersion().String(), gvk.Kind) != gvk.GroupKind() {
		return ""
	}
	return d.served().rejects(gvk)
}

// kubeconfigReason skips a kubeconfig file: "apiVersion: v1" and "kind:
// Config" look like a core object the API server does not serve.
const kubeconfigReason = "a kubeconfig file (kind Config), not a Kubernetes object"

func isKubeconfig(apiVersion, kind string) bool { return apiVersion == "v1" && kind == "Config" }

func scalarField(m *yaml.Node, key string) string {
	v, _ := lookup(m, key)
	if v == nil {
		return ""
	}
	if v = deref(v); v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlError splits "yaml: line 4: found a tab" into its line and message.
func yamlError(err error) (int, string) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, msg[len(m[0]):]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// object decodes one object node (the document, or an item of a List);
// fill is the kind of an item of a typed list that names none.
func (d *docDecoder) object(root, node *yaml.Node, prefix *fieldpath.Path, item int, fill *schema.GroupVersionKind) (decoded, bool) {
	apiVersion, kind := scalarField(node, "apiVersion"), scalarField(node, "kind")
	if fill != nil {
		apiVersion, kind = fill.GroupVersion().String(), fill.Kind
	}
	name := scalarField(deref(orEmpty(lookup(node, "metadata"))), "name")
	label := kind + "/" + name
	if apiVersion == "" || kind == "" {
		d.problem(diag.Error, node.Line, node.Column, "", prefix.String(), "object without apiVersion and kind")
		return decoded{}, false
	}
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	gk := inventory.GroupKindOf(apiVersion, kind)
	rejected := d.rejects(gvk)
	if rejected != "" && !d.OlderTarget {
		line, col := node.Line, node.Column
		if _, k := lookup(node, "kind"); k != nil {
			line, col = k.Line, k.Column
		}
		d.problem(diag.Error, line, col, label, prefix.String(), rejected+"; the API server would reject the object, so no check judged it")
		return decoded{}, false
	}
	sch := d.scheme()
	conv := &converter{limits: d.limits(), null: map[*yaml.Node]bool{}, lineOffset: d.lineOffset()}
	conv.warn = func(n *yaml.Node, p *fieldpath.Path, msg string) {
		d.problem(diag.Warning, n.Line, n.Column, label, p.String(), msg)
	}
	var (
		obj *inventory.Object
		err error
	)
	_, nerr := sch.New(gvk)
	switch {
	case rejected != "":
		d.problem(diag.Warning, node.Line, node.Column, label, prefix.String(),
			rejected+"; the target release may serve it, so only its metadata is checked")
		obj, err = d.metaFromNode(conv, node, apiVersion, kind, label, item)
	case nerr == nil && d.reads(gk):
		fresh := func() any { t, _ := sch.New(gvk); return t }
		var out any
		out, err = d.decodeInto(conv, node, fresh, label)
		if err == nil {
			t := out.(runtime.Object)
			t.GetObjectKind().SetGroupVersionKind(gvk)
			obj, err = inventory.New(t, d.source(item))
		}
	case d.reads(gk):
		// A custom resource that a check reads: keep it as a map, and read
		// the pod template of a workload custom resource.
		var out any
		out, err = d.decodeInto(conv, node, func() any { return &map[string]any{} }, label)
		if err == nil {
			u := &unstructured.Unstructured{Object: *(out.(*map[string]any))}
			if fill != nil {
				u.SetGroupVersionKind(gvk)
			}
			obj = inventory.NewUnstructured(u, d.source(item))
			if w, ok := inventory.CustomWorkloadOf(gk); ok {
				d.podTemplates(node, w, obj, label)
			}
		}
	default:
		obj, err = d.metaFromNode(conv, node, apiVersion, kind, label, item)
	}
	if err != nil {
		d.problem(diag.Error, node.Line, node.Column, label, prefix.String(), err.Error())
		return decoded{}, false
	}
	d.placeIn(obj)
	for _, pr := range inventory.ImageTriggerProblems(obj) {
		line, col := locateIn(node, pr.Path)
		d.problem(diag.Warning, line, col, label, prefix.Join(pr.Path).String(), pr.Message)
	}
	if d.in.Origin != nil {
		obj.Locator = d.in.Origin
		return decoded{obj: obj, release: func() {}}, true
	}
	lazy := &lazyLocator{text: d.text(), prefix: prefix, lineOffset: d.lineOffset()}
	obj.Locator = &nodeLocator{root: root, prefix: prefix, lineOffset: d.lineOffset()}
	return decoded{obj: obj, release: func() { obj.Locator = lazy }}, true
}

// placeIn puts a namespaced object that names no namespace in the input's.
func (d *docDecoder) placeIn(o *inventory.Object) {
	if d.in.Namespace != "" && o.Namespace == "" && o.Namespaced() {
		o.SetNamespace(d.in.Namespace)
	}
}

func orEmpty(v, _ *yaml.Node) *yaml.Node {
	if v == nil {
		return &yaml.Node{}
	}
	return v
}

// podTemplates reads the pod templates of a workload custom resource as
// its project's API types hold them (a PodTemplateSpec, or a PodSpec
// inline), decoded like a built-in kind: unknown fields are warnings and a
// value of the wrong type is reported at its line and ignored. A template
// of the wrong shape is an error at its line, once; the rest of the object
// is still checked.
func (d *docDecoder) podTemplates(node *yaml.Node, w *inventory.CustomWorkload, obj *inventory.Object, label string) {
	reported := map[*yaml.Node]bool{}
	for _, at := range w.Templates {
		d.podTemplate(node, w, at, obj, label, reported)
	}
}

func (d *docDecoder) podTemplate(node *yaml.Node, w *inventory.CustomWorkload, template *fieldpath.Path, obj *inventory.Object, label string, reported map[*yaml.Node]bool) {
	bad := func(n *yaml.Node, at *fieldpath.Path, msg string) {
		if n.ShortTag() != "!!null" && !reported[n] {
			reported[n] = true
			d.problem(diag.Error, n.Line, n.Column, label, at.String(), msg)
		}
	}
	n := node
	var at *fieldpath.Path
	for _, e := range template.Elems() {
		if n = deref(n); n.Kind != yaml.MappingNode {
			bad(n, at, fmt.Sprintf("not a mapping, so %s holds no %s; no pod check judged it", template, w.What()))
			return
		}
		if n, _ = lookup(n, e.Name); n == nil {
			return // none (an Argo Rollout with a workloadRef): nothing to judge here
		}
		at = at.Child(e.Name)
	}
	if n = deref(n); n.Kind != yaml.MappingNode {
		bad(n, at, fmt.Sprintf("not a %s (a mapping); no pod check judged it", w.What()))
		return
	}
	conv := &converter{limits: d.limits(), null: map[*yaml.Node]bool{}, lineOffset: d.lineOffset(), root: template}
	// The fields the holder of the PodSpec adds beside it: in the
	// template's spec, or in the node itself when the PodSpec is inline.
	known := func(p *fieldpath.Path) bool {
		elems := p.Elems()
		if !w.Inline {
			if len(elems) != 2 || elems[0].Name != "spec" {
				return false
			}
			elems = elems[1:]
		}
		return len(elems) == 1 && slices.Contains(w.SpecFields, elems[0].Name)
	}
	out, err := d.decode1(conv, n, w.NewTarget, label, strictness{unknown: true, known: known})
	if err != nil {
		d.problem(diag.Error, n.Line, n.Column, label, at.String(), err.Error()+"; no pod check judged the "+w.What())
		return
	}
	obj.AddPod(w, template, out)
}

type metaOnly struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
}

func (d *docDecoder) metaFromNode(conv *converter, node *yaml.Node, apiVersion, kind, label string, item int) (*inventory.Object, error) {
	m, _ := lookup(node, "metadata")
	var meta metav1.ObjectMeta
	if m != nil {
		wrapper := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "metadata"}, m}}
		out, err := d.decodeIntoLoose(conv, wrapper, func() any { return &metaOnly{} }, label)
		if err != nil {
			return nil, err
		}
		meta = out.(*metaOnly).Metadata
	}
	return inventory.NewMeta(apiVersion, kind, meta, d.source(item)), nil
}

// metadataOnly parses just the metadata block of a document no check reads.
func (d *docDecoder) metadataOnly(t topLevel, gk schema.GroupKind) ([]decoded, string) {
	label := t.kind + "/?"
	var meta metav1.ObjectMeta
	if t.hasMeta {
		var root yaml.Node
		block := d.doc[t.metaStart:t.metaEnd]
		if err := yaml.Unmarshal(block, &root); err != nil {
			line, msg := yamlError(err)
			d.problem(diag.Error, line+t.metaLine-1, 0, label, "metadata", "invalid YAML: "+msg)
			return nil, ""
		}
		shift := t.metaLine - 1
		conv := &converter{limits: d.limits(), null: map[*yaml.Node]bool{}, lineOffset: d.lineOffset() + shift}
		conv.warn = func(n *yaml.Node, p *fieldpath.Path, msg string) {
			d.problem(diag.Warning, n.Line+shift, n.Column, label, p.String(), msg)
		}
		sub := &docDecoder{Decoder: d.Decoder, in: d.in, index: d.index, span: d.span, doc: block}
		sub.span.line += shift
		out, err := sub.decodeIntoLoose(conv, root.Content[0], func() any { return &metaOnly{} }, label)
		if err != nil {
			d.problem(diag.Error, t.metaLine, 0, label, "metadata", err.Error())
			return nil, ""
		}
		meta = out.(*metaOnly).Metadata
	}
	obj := inventory.NewMeta(t.apiVersion, t.kind, meta, d.source(0))
	d.placeIn(obj)
	obj.Locator = &lazyLocator{text: d.text(), lineOffset: d.lineOffset()}
	if d.in.Origin != nil {
		obj.Locator = d.in.Origin
	}
	return []decoded{{obj: obj, release: func() {}}}, ""
}

const maxRepairs = 32

// decodeInto decodes the node into a fresh target, reporting unknown
// fields. A value of the wrong type is reported at its line and replaced by
// null, and decoding starts again, so one bad field does not hide the
// findings of the rest of the object.
func (d *docDecoder) decodeInto(conv *converter, node *yaml.Node, fresh func() any, label string) (any, error) {
	return d.decode1(conv, node, fresh, label, strictness{unknown: true})
}

// decodeIntoLoose is decodeInto without unknown-field warnings, for the
// metadata of objects whose contents are not checked.
func (d *docDecoder) decodeIntoLoose(conv *converter, node *yaml.Node, fresh func() any, label string) (any, error) {
	return d.decode1(conv, node, fresh, label, strictness{})
}

// strictness says which fields the target type lacks are reported.
type strictness struct {
	unknown bool // report them
	// known, when set, excuses fields (from the node converted) that the
	// resource's own type has beside the target's (Knative's RevisionSpec
	// beside its PodSpec).
	known func(*fieldpath.Path) bool
}

func (d *docDecoder) decode1(conv *converter, node *yaml.Node, fresh func() any, label string, strict strictness) (any, error) {
	for attempt := 0; ; attempt++ {
		conv.buf, conv.spans = conv.buf[:0], nil
		if err := conv.emit(node, conv.root, 0); err != nil {
			return nil, err
		}
		target := fresh()
		var strictErrs []error
		var err error
		if strict.unknown {
			strictErrs, err = kjson.UnmarshalStrict(conv.buf, target, kjson.DisallowUnknownFields)
		} else {
			err = kjson.UnmarshalCaseSensitivePreserveInts(conv.buf, target)
		}
		if err == nil {
			for _, se := range strictErrs {
				d.unknownField(conv.root, node, se, label, strict.known)
			}
			return target, nil
		}
		if attempt == maxRepairs {
			return nil, fmt.Errorf("too many invalid values; object not scanned: %w", err)
		}
		bad, cause := d.culprit(conv, node, fresh, err)
		if bad == nil {
			return nil, fmt.Errorf("cannot decode: %s", quoted.ReplaceAllString(err.Error(), `"(value not shown)"`))
		}
		level, msg := diag.Error, withoutValue(describe(cause), bad.node)
		if bad.node.Kind == yaml.ScalarNode && placeholder.Documentation(bad.node.Value) {
			// Written to be replaced ("...base64 encoded data..."): the
			// example is not broken input, and the rest of it is judged.
			level, msg = diag.Warning, msg+": the value is a documentation placeholder, to be replaced before use"
		}
		d.problem(level, bad.node.Line, bad.node.Column, label, bad.path.String(), msg+"; the value is ignored and the rest of the object is checked")
		conv.null[bad.node] = true
	}
}

// culprit finds the node behind a decoding error, and the error it causes:
// from the byte offset the JSON decoder reports when it has one, otherwise by
// bisection over the scalar values (replacing values by null never adds an
// error).
func (d *docDecoder) culprit(conv *converter, node *yaml.Node, fresh func() any, err error) (*nodeSpan, error) {
	var spans []nodeSpan
	conv.buf, conv.spans = conv.buf[:0], &spans
	if conv.emit(node, conv.root, 0) != nil {
		return nil, nil
	}
	conv.spans = nil
	if off, ok := errorOffset(err); ok {
		var best *nodeSpan
		for i := range spans {
			s := &spans[i]
			if s.start < int(off) && int(off) <= s.end && s.node.Kind != yaml.DocumentNode && !conv.null[s.node] {
				if best == nil || s.depth > best.depth {
					best = s
				}
			}
		}
		if best != nil && best.depth > 0 {
			return best, err
		}
	}
	// Candidates are every value below the root, in document order (a
	// list or mapping before what it holds): an error may come from a
	// scalar or from a structure, such as a list where a string belongs.
	var leaves []*nodeSpan
	for i := range spans {
		if spans[i].depth > 0 && spans[i].node.Kind != yaml.DocumentNode && !conv.null[spans[i].node] {
			leaves = append(leaves, &spans[i])
		}
	}
	sort.SliceStable(leaves, func(i, j int) bool {
		if leaves[i].start != leaves[j].start {
			return leaves[i].start < leaves[j].start
		}
		return leaves[i].depth < leaves[j].depth
	})
	var lastErr error
	fails := func(keep int) bool {
		saved := make([]*yaml.Node, 0, len(leaves)-keep)
		for _, l := range leaves[keep:] {
			if !conv.null[l.node] {
				conv.null[l.node] = true
				saved = append(saved, l.node)
			}
		}
		conv.buf = conv.buf[:0]
		emitErr := conv.emit(node, conv.root, 0)
		for _, n := range saved {
			delete(conv.null, n)
		}
		if emitErr != nil {
			return false
		}
		if e := kjson.UnmarshalCaseSensitivePreserveInts(conv.buf, fresh()); e != nil {
			lastErr = e
			return true
		}
		return false
	}
	lo, hi := 0, len(leaves) // find the smallest number of kept values that fails
	if fails(0) || !fails(hi) {
		return nil, nil
	}
	cause := lastErr
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi, cause = mid, lastErr
		} else {
			lo = mid
		}
	}
	return leaves[hi-1], cause
}

// errorOffset reads the byte offset of a JSON type error. sigs.k8s.io/json
// does not export its error type, so the field is read by reflection.
func errorOffset(err error) (int64, bool) {
	if ok, off := kjson.SyntaxErrorOffset(err); ok {
		return off, true
	}
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return 0, false
	}
	f := v.FieldByName("Offset")
	if !f.IsValid() || f.Kind() != reflect.Int64 {
		return 0, false
	}
	return f.Int(), true
}

// describe rewords a JSON type error ("cannot unmarshal bool into Go struct
// field EnvVar.spec...value of type string") for people.
func describe(err error) string {
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		val, typ := v.FieldByName("Value"), v.FieldByName("Type")
		if val.IsValid() && val.Kind() == reflect.String && typ.IsValid() {
			if t, ok := typ.Interface().(reflect.Type); ok && t != nil {
				return fmt.Sprintf("a %s where %s is expected", val.String(), goTypeName(t))
			}
		}
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// quoted matches what decoding errors quote, which may be a value.
var quoted = regexp.MustCompile(`"[^"]*"`)

// withoutValue removes the bad value from a decoding message: type errors
// quote numbers and custom decoders (times, quantities) quote their input,
// and the value may be a credential. The message says where it is instead.
func withoutValue(msg string, n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		return msg
	}
	return strings.ReplaceAll(msg, n.Value, "(value not shown)")
}

func goTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// unknownField reports a field the API would drop: often a typo such as
// "securityContex" that silently disables a security setting.
// root is the path of node in the object; known excuses fields.
func (d *docDecoder) unknownField(root *fieldpath.Path, node *yaml.Node, err error, label string, known func(*fieldpath.Path) bool) {
	fe, ok := err.(kjson.FieldError)
	if !ok {
		d.problem(diag.Warning, node.Line, node.Column, label, root.String(), err.Error())
		return
	}
	p := fieldpath.Parse(fe.FieldPath())
	if known != nil && known(p) {
		return
	}
	line, col := locateIn(node, p)
	d.problem(diag.Warning, line, col, label, root.Join(p).String(), "unknown field; the API server drops it (a typo?)")
}
