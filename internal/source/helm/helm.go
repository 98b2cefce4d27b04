// Package helm renders Helm charts in process, offline, as `helm template`
// would, keeping each template's output apart so that findings name the
// template and the line in its rendered output.
package helm

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/source"
	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
)

// Options are the `helm template` flags that change what a chart renders.
type Options struct {
	ValuesFiles []string // -f/--values, later files win
	Set         []string // --set a.b=c,x=y
	SetString   []string // --set-string, values stay strings
	SetFile     []string // --set-file key=path, the value is the file's content
	SetJSON     []string // --set-json key=<json>
	SetLiteral  []string // --set-literal key=value, taken verbatim
	// ReleaseName is .Release.Name; "" means "release-name" as in `helm template`.
	ReleaseName string
	// Namespace is .Release.Namespace. "" means DefaultNamespace, not
	// `helm template`'s "default": without -n the deployer, not the chart,
	// picks the namespace, and charts that do the right thing
	// (namespace: {{ .Release.Namespace }}) must not look as if they
	// deployed to "default".
	Namespace string
	// KubeVersion is .Capabilities.KubeVersion, e.g. "1.33" or "v1.33.4";
	// "" means Helm's default. Charts whose kubeVersion excludes it fail.
	KubeVersion string
	// APIVersions are added to .Capabilities.APIVersions (--api-versions).
	APIVersions []string
	// SkipSchemaValidation does not check values against values.schema.json.
	SkipSchemaValidation bool
	// MaxValuesBytes bounds each values file and --set-file file; 0 means
	// DefaultMaxValuesBytes. Rendering copies values several times over.
	MaxValuesBytes int64
	// MaxOutputBytes bounds what a chart renders (0: no bound), checked
	// before the output is split and copied into documents.
	MaxOutputBytes int64
}

// DefaultMaxValuesBytes bounds a values file when Options say nothing.
const DefaultMaxValuesBytes = 16 << 20

// DefaultNamespace is .Release.Namespace when none is given, a placeholder
// like `helm template`'s release name "release-name".
const DefaultNamespace = "release-namespace"

// Renderer renders chart directories (holding Chart.yaml) and chart
// archives (.tgz). It never reaches the network: dependencies must be in
// the chart's charts/ directory, `lookup` returns nothing and
// `getHostByName` returns "".
type Renderer struct {
	values  map[string]any
	hidden  []string // the user's values, as render errors may quote them
	release common.ReleaseOptions
	caps    *common.Capabilities
	opts    Options
}

var _ source.Renderer = (*Renderer)(nil)

// New reads the values files and parses the --set flags once for all the
// charts of a scan.
func New(opts Options) (*Renderer, error) {
	vals, err := userValues(opts)
	if err != nil {
		return nil, err
	}
	r := &Renderer{values: vals, hidden: hiddenValues(vals), opts: opts}
	r.release = common.ReleaseOptions{Name: opts.ReleaseName, Namespace: opts.Namespace, Revision: 1, IsInstall: true}
	if r.release.Name == "" {
		r.release.Name = "release-name"
	}
	if r.release.Namespace == "" {
		r.release.Namespace = DefaultNamespace
	}
	r.caps = common.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version %q: %w", opts.KubeVersion, err)
		}
		r.caps.KubeVersion = *kv
	}
	if len(opts.APIVersions) > 0 {
		r.caps.APIVersions = append(append(common.VersionSet{}, r.caps.APIVersions...), opts.APIVersions...)
	}
	return r, nil
}

// Name implements source.Renderer.
func (r *Renderer) Name() string { return "helm" }

// Claims implements source.Renderer: a directory holding Chart.yaml, or a
// file named *.tgz (what `helm package` writes).
func (r *Renderer) Claims(p string, isDir bool) bool {
	if isDir {
		info, err := os.Stat(filepath.Join(p, chartutil.ChartfileName))
		return err == nil && info.Mode().IsRegular()
	}
	return strings.EqualFold(filepath.Ext(p), ".tgz")
}

// helmVersion is the Helm SDK in go.mod, for messages.
const helmVersion = "4.3"

// notesSuffix marks the text Helm prints after an install; not a manifest.
const notesSuffix = "NOTES.txt"

// Render implements source.Renderer. Each template's output is one input
// named display, with Template set to the path Helm prints after
// "# Source:" (chart/templates/x.yaml, chart/charts/sub/templates/y.yaml)
// and lines counted in that output. CRDs in crds/ come first, as Helm
// installs them first; hooks are included since they run in the cluster,
// except documents with a hook type Helm does not know, which it skips.
// Errors never repeat a string value of the user's (see hiddenValues).
func (r *Renderer) Render(p, display string) (out []manifest.Input, err error) {
	defer func() {
		if x := recover(); x != nil {
			out, err = nil, fmt.Errorf("rendering failed: %v", x)
		}
		if err != nil {
			err = r.hide(err, p, display)
		}
	}()
	c, err := loader.Load(p)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	if c.Metadata == nil {
		return nil, fmt.Errorf("load chart: Chart.yaml has no metadata")
	}
	switch c.Metadata.APIVersion {
	case chart.APIVersionV1, chart.APIVersionV2, "":
	default:
		// Helm 4.3 installs only v1 and v2 charts.
		return nil, fmt.Errorf("chart apiVersion %q is not supported (Helm %s renders v1 and v2 charts)", c.Metadata.APIVersion, helmVersion)
	}
	if c.Metadata.Type == "library" {
		return nil, &source.SkipError{Reason: "library chart: not installable on its own; rendered as part of the charts that depend on it"}
	}
	if c.Metadata.Type != "" && c.Metadata.Type != "application" {
		return nil, fmt.Errorf("chart type %q is not installable", c.Metadata.Type)
	}
	if c.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(c.Metadata.KubeVersion, r.caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion %s, which is incompatible with Kubernetes %s (set the Kubernetes version to render for)", c.Metadata.KubeVersion, r.caps.KubeVersion.Version)
	}
	vals, _ := deepCopy(r.values).(map[string]any)
	if err := processDependencies(c, vals, display); err != nil {
		return nil, err
	}
	top, err := commonutil.ToRenderValuesWithSchemaValidation(c, vals, r.release, r.caps, true)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	if !r.opts.SkipSchemaValidation {
		coalesced, _ := top["Values"].(common.Values)
		if err := validateSchema(c, map[string]any(coalesced)); err != nil {
			return nil, err
		}
	}
	var e engine.Engine // no client: lookup finds nothing; no DNS
	files, err := e.RenderWithContext(context.Background(), c, top)
	if err != nil {
		return nil, err
	}
	if max := r.opts.MaxOutputBytes; max > 0 {
		size := 0
		for _, f := range files {
			size += len(f)
		}
		if int64(size) > max {
			return nil, fmt.Errorf("rendered output of %d bytes is over the limit of %d bytes; not scanned", size, max)
		}
	}

	for _, crd := range c.CRDObjects() {
		if crd.File == nil || strings.TrimSpace(string(crd.File.Data)) == "" {
			continue
		}
		out = append(out, manifest.Input{Name: display, Template: filepath.ToSlash(crd.Filename), Data: crd.File.Data, Namespace: r.release.Namespace})
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasSuffix(name, notesSuffix) || strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		for _, seg := range splitLikeHelm(files[name]) {
			text := dropUnknownHooks(seg.text)
			if strings.TrimSpace(text) == "" {
				continue
			}
			out = append(out, manifest.Input{Name: display, Template: name, Data: []byte(text), LineOffset: seg.lineOffset, Namespace: r.release.Namespace})
		}
	}
	return out, nil
}
