package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/apiversion"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/kubeward/kubeward/internal/source/helm"
	"github.com/spf13/cobra"
)

// inputFlags are how every command that reads manifests reads them (scan,
// rbac, netpol, policy): the options charts render with, the render
// deadline, and the configuration file whose path exclusions apply.
type inputFlags struct {
	configPath       string
	values           []string
	set, setString   []string
	setFile, setJSON []string
	setLiteral       []string
	releaseName      string
	releaseNamespace string
	kubeVersion      string
	apiVersions      []string
	renderTimeout    time.Duration
	// inputErrors counts the input errors of a command that answers a
	// question (rbac, netpol): it answers, then exits 2.
	inputErrors int
}

func (f *inputFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: "+config.DefaultFile+" in the working directory or the nearest parent up to the repository root)")
	fl.StringArrayVar(&f.values, "values", nil, "Helm values file for the charts read (repeatable; later files win)")
	fl.StringArrayVar(&f.set, "set", nil, "Helm value for the charts read, KEY=VALUE[,KEY=VALUE] (repeatable)")
	fl.StringArrayVar(&f.setString, "set-string", nil, "Helm value kept a string, KEY=VALUE (repeatable)")
	fl.StringArrayVar(&f.setFile, "set-file", nil, "Helm value read from a file, KEY=PATH (repeatable)")
	fl.StringArrayVar(&f.setJSON, "set-json", nil, "Helm value as JSON, KEY=JSON (repeatable)")
	fl.StringArrayVar(&f.setLiteral, "set-literal", nil, "Helm value taken verbatim, KEY=VALUE (repeatable)")
	fl.StringVar(&f.releaseName, "release-name", "", "Helm release name, .Release.Name (default release-name, as helm template)")
	fl.StringVar(&f.releaseNamespace, "release-namespace", "", "Helm release namespace, .Release.Namespace, where a chart's objects without a namespace go (default "+helm.DefaultNamespace+")")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes release to judge API versions for and to render charts for (.Capabilities.KubeVersion), 1.N (default kubeVersion of the configuration, else "+apiversion.LibraryVersion()+", the release kubeward was built for)")
	fl.StringArrayVar(&f.apiVersions, "api-versions", nil, "API version charts may use, GROUP/VERSION or GROUP/VERSION/KIND, added to .Capabilities.APIVersions (repeatable)")
	fl.DurationVar(&f.renderTimeout, "render-timeout", loader.DefaultRenderTimeout, "longest a chart or overlay may take to render; past it kubeward stops (exit 2)")
}

// registerQuery registers the input flags of a command that answers a
// question from the objects read (rbac, netpol): input errors are printed
// on stderr and, after the answer, make it exit 2, since the answer may
// miss what the unreadable input held.
func (f *inputFlags) registerQuery(cmd *cobra.Command) {
	f.register(cmd)
	cmd.PostRunE = func(*cobra.Command, []string) error {
		if f.inputErrors > 0 {
			return &exitError{code: ExitError, err: fmt.Errorf("%d input error(s): the answer may be incomplete", f.inputErrors)}
		}
		return nil
	}
}

// query reads paths for registerQuery's commands: the kinds c reads in
// full, others by their metadata.
func (f *inputFlags) query(s Streams, paths []string, c *check.Check) (*inventory.Inventory, error) {
	found, err := loadConfig(s.Err, f.configPath)
	if err != nil {
		return nil, err
	}
	l, err := f.loader(s, found)
	if err != nil {
		return nil, err
	}
	engine := scan.New(scan.Options{Checks: []*check.Check{c}})
	res, inv, err := engine.Files(l, paths)
	if err != nil {
		return nil, loadError(s.Err, engine.Log, err)
	}
	for _, p := range res.Problems {
		if p.Level == diag.Error {
			f.inputErrors++
			fmt.Fprintf(s.Err, "%s\n", p)
		}
	}
	return inv, nil
}

// foundConfig is the configuration file of a run: its path ("" without
// one) and contents (empty without one).
type foundConfig struct {
	path string
	file *config.File
}

// loadConfig reads --config, or else the file found by findConfig, and says
// on stderr which one it found. Every command that reads the file reads it
// here.
func loadConfig(stderr io.Writer, path string) (foundConfig, error) {
	if path == "" {
		found, err := findConfig()
		if err != nil {
			return foundConfig{}, &exitError{code: ExitError, err: err}
		}
		if found == "" {
			return foundConfig{file: &config.File{}}, nil
		}
		path = found
		fmt.Fprintf(stderr, "kubeward: configuration %s\n", source.Display(path))
	}
	cfg, err := config.Load(path)
	if err != nil {
		return foundConfig{}, usageErr("%v", err)
	}
	return foundConfig{path: path, file: cfg}, nil
}

// findConfig looks for config.DefaultFile in the working directory, then in
// each parent up to the repository root (the directory holding .git);
// outside a repository only the working directory counts, so that a file
// in a home directory does not apply to every checkout below it.
func findConfig() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	root := gitRoot(wd)
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, config.DefaultFile)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if root == "" || dir == root || dir == filepath.Dir(dir) {
			return "", nil
		}
	}
}

// gitRoot returns the nearest directory at or above dir holding .git (a
// directory, or a file in a worktree), or "".
func gitRoot(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// loader builds the loader of a run from the flags and the configuration:
// the .kubewardignore files apply from the repository root (or the working
// directory outside one), the configuration's paths.exclude from the
// configuration file's directory.
func (f *inputFlags) loader(s Streams, cfg foundConfig) (*loader.Loader, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, &exitError{code: ExitError, err: fmt.Errorf("working directory: %w", err)}
	}
	root := gitRoot(wd)
	if root == "" {
		root = wd
	}
	// Charts render for the release whose API versions are judged, so
	// that they pick the API versions they would pick on that cluster.
	kubeVersion := f.kubeVersion
	if kubeVersion == "" {
		kubeVersion = cfg.file.KubeVersion
	}
	if kubeVersion == "" {
		kubeVersion = apiversion.LibraryVersion()
	}
	target, err := apiversion.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, usageErr("--kube-version: %v", err)
	}
	library, err := apiversion.ParseKubeVersion(apiversion.LibraryVersion())
	if err != nil {
		return nil, &exitError{code: ExitError, err: err}
	}
	opts := loader.Options{
		Helm: helm.Options{ValuesFiles: f.values, Set: f.set, SetString: f.setString, SetFile: f.setFile, SetJSON: f.setJSON,
			SetLiteral: f.setLiteral, ReleaseName: f.releaseName, Namespace: f.releaseNamespace, KubeVersion: kubeVersion,
			APIVersions: f.apiVersions},
		Stdin:       s.In,
		Limits:      loader.Limits{RenderTimeout: f.renderTimeout},
		IgnoreRoot:  root,
		OlderTarget: target.LessThan(library),
	}
	if cfg.path != "" && len(cfg.file.Paths.Exclude) > 0 {
		opts.Exclude, opts.ExcludeBase, opts.ExcludeOrigin = cfg.file.Paths.Exclude, filepath.Dir(cfg.path), source.Display(cfg.path)
	}
	l, err := loader.New(opts)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return l, nil
}

// maxSkippedShown bounds the skipped inputs listed when nothing was read.
const maxSkippedShown = 10

// loadError turns the loader's errors into exit code 2 with one sentence.
// For a load with nothing to judge, the skipped inputs that explain it come
// first on stderr; no report is written.
func loadError(stderr io.Writer, log *diag.Log, err error) error {
	if _, ok := errors.AsType[*loader.NothingError](err); ok {
		skipped := log.Skipped()
		for i, sk := range skipped {
			if i == maxSkippedShown {
				fmt.Fprintf(stderr, "... and %d more skipped\n", len(skipped)-i)
				break
			}
			fmt.Fprintf(stderr, "%s: skipped: %s\n", sk.Path, sk.Reason)
		}
	}
	return &exitError{code: ExitError, err: err}
}
