package inventory

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/kubeward/kubeward/internal/fieldpath"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ImageTriggersAnnotation asks OpenShift to write the image of a
// workload's containers from an ImageStreamTag (openshift/library-go
// pkg/image/trigger, TriggerAnnotationKey).
const ImageTriggersAnnotation = "image.openshift.io/triggers"

// imageStreamTag is the only kind OpenShift resolves a trigger from.
const imageStreamTag = "ImageStreamTag"

// ImageTrigger is an OpenShift image trigger that writes a container's
// image: the ImageStreamTag it resolves, and where it is declared.
type ImageTrigger struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"` // the workload's when the trigger names none
	Name      string `json:"name"`                // stream:tag
	// Field is where the trigger is declared: spec.triggers[i] of a
	// DeploymentConfig, or the annotation.
	Field *fieldpath.Path `json:"-"`
}

// String names the trigger's source: ImageStreamTag shop/web:latest.
func (t *ImageTrigger) String() string {
	if t.Namespace == "" {
		return t.Kind + " " + t.Name
	}
	return t.Kind + " " + t.Namespace + "/" + t.Name
}

// TriggerProblem is a trigger OpenShift cannot act on, at its field.
type TriggerProblem struct {
	Path    *fieldpath.Path
	Message string
}

// podTriggers is what the image triggers of an object do to one pod.
type podTriggers struct {
	pending  map[*corev1.Container]*ImageTrigger
	problems []TriggerProblem
}

// PendingImageTrigger returns the trigger that will write container c's
// image, or nil. OpenShift then runs the ImageStreamTag's image, by digest,
// not the value written in the manifest (often a placeholder: " ", "",
// the stream's name). A container whose image already holds a digest
// (written by OpenShift, read from a cluster) has none pending: that
// digest is what runs, and is judged.
func (p *Pod) PendingImageTrigger(c *corev1.Container) *ImageTrigger {
	return p.imageTriggers().pending[c]
}

// imageTriggers reads the pod's image triggers once, for the checks and
// the decoder's warnings alike.
func (p *Pod) imageTriggers() *podTriggers {
	p.triggersOnce.Do(func() { p.triggers = imageTriggers(p) })
	return &p.triggers
}

// ImageTriggerProblems lists the image triggers of an object that
// OpenShift cannot act on (the annotation is not the JSON its controller
// reads, a field path it cannot follow): their containers are judged by
// what is written, and the decoder warns at the trigger's line.
func ImageTriggerProblems(o *Object) []TriggerProblem {
	if len(o.pods) == 0 {
		return nil
	}
	return o.pods[0].imageTriggers().problems
}

var (
	annotationTriggerKinds = []schema.GroupKind{
		{Group: "apps", Kind: "Deployment"}, {Group: "apps", Kind: "DaemonSet"}, {Group: "apps", Kind: "StatefulSet"},
		{Group: "extensions", Kind: "Deployment"}, {Group: "extensions", Kind: "DaemonSet"},
		{Group: "batch", Kind: "CronJob"},
	}
	deploymentConfig = schema.GroupKind{Group: "apps.openshift.io", Kind: "DeploymentConfig"}
	triggersPath     = fieldpath.New("metadata", "annotations").Key(ImageTriggersAnnotation)
	dcTriggersPath   = fieldpath.New("spec", "triggers")
)

func imageTriggers(p *Pod) podTriggers {
	var out podTriggers
	gk := p.Object.GroupKind()
	switch {
	case gk == deploymentConfig:
		out.problems = dcTriggers(p, out.own)
	case slices.Contains(annotationTriggerKinds, gk):
		if v, ok := p.Object.Meta.Annotations[ImageTriggersAnnotation]; ok {
			out.problems = annotationTriggers(p, v, out.own)
		}
	}
	return out
}

// own records that t writes c's image, unless c already holds a digest.
func (pt *podTriggers) own(c *corev1.Container, t *ImageTrigger) {
	if named, err := reference.ParseNormalizedNamed(c.Image); err == nil {
		if _, ok := named.(reference.Digested); ok {
			return
		}
	}
	if pt.pending == nil {
		pt.pending = map[*corev1.Container]*ImageTrigger{}
	}
	pt.pending[c] = t
}

// dcTrigger is a DeploymentConfig's trigger as openshift/api apps/v1
// declares it (DeploymentTriggerPolicy).
type dcTrigger struct {
	Type              string `json:"type"`
	ImageChangeParams *struct {
		Automatic          bool                   `json:"automatic"`
		ContainerNames     []string               `json:"containerNames"`
		From               corev1.ObjectReference `json:"from"`
		LastTriggeredImage string                 `json:"lastTriggeredImage"`
	} `json:"imageChangeParams"`
}

// dcTriggers reads a DeploymentConfig's ImageChange triggers as OpenShift
// acts on them (openshift-controller-manager's deploymentconfigs trigger
// and openshift-apiserver's instantiate): each writes the image of the
// init and regular containers it names from an ImageStreamTag. One that is
// not automatic still does on a forced rollout, and a DeploymentConfig
// with a trigger never resolved (no lastTriggeredImage) cannot roll out
// ("contains unresolved images"), so its written image never runs. Only a
// non-automatic trigger that was resolved before leaves the written image
// to run.
func dcTriggers(p *Pod, own func(*corev1.Container, *ImageTrigger)) []TriggerProblem {
	var spec struct {
		Spec struct {
			Triggers []dcTrigger `json:"triggers"`
		} `json:"spec"`
	}
	if p.Object.Raw == nil {
		return nil
	}
	if err := p.Object.DecodeRaw(&spec); err != nil {
		return []TriggerProblem{{dcTriggersPath, fmt.Sprintf("not DeploymentConfig triggers (%v), so no image they write is known; the images written in the template are judged", boundedErr(err))}}
	}
	for i, t := range spec.Spec.Triggers {
		ic := t.ImageChangeParams
		if t.Type != "ImageChange" || ic == nil || ic.From.Kind != imageStreamTag || ic.From.Name == "" {
			continue
		}
		if !ic.Automatic && ic.LastTriggeredImage != "" {
			continue
		}
		tr := &ImageTrigger{Kind: imageStreamTag, Namespace: ic.From.Namespace, Name: ic.From.Name, Field: dcTriggersPath.Index(i)}
		if tr.Namespace == "" {
			tr.Namespace = p.Object.Namespace
		}
		for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
			for j := range cs {
				if slices.Contains(ic.ContainerNames, cs[j].Name) {
					own(&cs[j], tr)
				}
			}
		}
	}
	return nil
}

// objectFieldTrigger is an entry of the annotation, as library-go's
// ObjectFieldTrigger declares it and encoding/json reads it (keys matched
// case-insensitively; paused a JSON boolean: "false" as a string makes the
// controller fail on the whole annotation, OpenShift bug 1975846).
type objectFieldTrigger struct {
	From struct {
		Kind      string `json:"kind"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"from"`
	FieldPath string `json:"fieldPath"`
	Paused    bool   `json:"paused"`
}

// annotationTriggers reads the annotation as library-go's
// CalculateAnnotationTriggers and UpdateObjectFromImages do: JSON that does
// not decode, two triggers of one field, or a field path into the pod
// template that names no container's image make the controller give up on
// the whole annotation; a trigger that is paused, or whose path is not in
// the pod template, is skipped. OpenShift resolves triggers on Deployments,
// DaemonSets, StatefulSets and CronJobs (openshift-controller-manager's
// trigger sources), not on Jobs or Pods.
func annotationTriggers(p *Pod, value string, own func(*corev1.Container, *ImageTrigger)) []TriggerProblem {
	var ts []objectFieldTrigger
	if err := json.Unmarshal([]byte(value), &ts); err != nil {
		return []TriggerProblem{{triggersPath, fmt.Sprintf("OpenShift cannot read the image triggers (%v), so none fires; the images written in the template are judged", boundedErr(err))}}
	}
	base := p.SpecPath.String() + "."
	type hit struct {
		c *corev1.Container
		t *ImageTrigger
	}
	var (
		hits     []hit
		problems []TriggerProblem
		seen     = map[string]bool{}
	)
	for _, t := range ts {
		if seen[t.FieldPath] {
			return []TriggerProblem{{triggersPath, fmt.Sprintf("two image triggers write %s, which OpenShift refuses, so none fires; the images written in the template are judged", bounded(t.FieldPath))}}
		}
		seen[t.FieldPath] = true
		if t.Paused {
			continue
		}
		rest, ok := strings.CutPrefix(t.FieldPath, base)
		if !ok {
			problems = append(problems, TriggerProblem{triggersPath, fmt.Sprintf("image trigger field %q is not in the pod template (%s...), so OpenShift skips it", bounded(t.FieldPath), base)})
			continue
		}
		c := containerAt(p.Spec, rest)
		if c == nil {
			return []TriggerProblem{{triggersPath, fmt.Sprintf("image trigger field %q names no container's image, so OpenShift fails on the annotation and none fires; the images written in the template are judged", bounded(t.FieldPath))}}
		}
		if t.From.Kind != imageStreamTag || t.From.Name == "" {
			problems = append(problems, TriggerProblem{triggersPath, fmt.Sprintf("image trigger of %s is not from a named ImageStreamTag, the only source OpenShift resolves; the image written in the template is judged", bounded(t.FieldPath))})
			continue
		}
		tr := &ImageTrigger{Kind: imageStreamTag, Namespace: t.From.Namespace, Name: t.From.Name, Field: triggersPath}
		if tr.Namespace == "" {
			tr.Namespace = p.Object.Namespace
		}
		hits = append(hits, hit{c, tr})
	}
	for _, h := range hits {
		own(h.c, h.t)
	}
	return problems
}

// containerAt follows the rest of a trigger's field path below the pod
// spec as library-go does: containers[...] or initContainers[...], a
// selector that is an index or exactly ?(@.name=="NAME") (a name is
// looked up among init containers first), then "image".
func containerAt(s *corev1.PodSpec, path string) *corev1.Container {
	var (
		cs   []corev1.Container
		rest string
		ok   bool
	)
	if rest, ok = strings.CutPrefix(path, "containers["); ok {
		cs = s.Containers
	} else if rest, ok = strings.CutPrefix(path, "initContainers["); ok {
		cs = s.InitContainers
	} else {
		return nil
	}
	sel, rest, ok := strings.Cut(rest, "]")
	if !ok || strings.TrimPrefix(rest, ".") != "image" {
		return nil
	}
	if i, err := strconv.Atoi(sel); err == nil {
		if i < 0 || i >= len(cs) {
			return nil
		}
		return &cs[i]
	}
	name := strings.TrimSuffix(strings.TrimPrefix(sel, `?(@.name=="`), `")`)
	if name == sel {
		return nil
	}
	for _, list := range [][]corev1.Container{s.InitContainers, s.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// bounded shortens a value from the manifest for a message.
func bounded(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

func boundedErr(err error) string { return bounded(err.Error()) }

// DeployerImage is the image of a DeploymentConfig's custom deployment
// strategy (spec.strategy.customParams.image), which OpenShift runs as the
// deployer pod of each rollout; "" when there is none.
func (o *Object) DeployerImage() (string, *fieldpath.Path) {
	if o.GroupKind() != deploymentConfig || o.Raw == nil {
		return "", nil
	}
	var dc struct {
		Spec struct {
			Strategy struct {
				CustomParams *struct {
					Image string `json:"image"`
				} `json:"customParams"`
			} `json:"strategy"`
		} `json:"spec"`
	}
	if o.DecodeRaw(&dc) != nil || dc.Spec.Strategy.CustomParams == nil {
		return "", nil
	}
	return dc.Spec.Strategy.CustomParams.Image, deployerImagePath
}

var deployerImagePath = fieldpath.New("spec", "strategy", "customParams", "image")
