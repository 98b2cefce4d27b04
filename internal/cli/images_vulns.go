package cli

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/image/vulndb"
	"github.com/kubeward/kubeward/internal/image/vulnscan"
)

// vulnerabilityPolicy sets opts.Vulnerabilities when known vulnerabilities
// are asked for (an images.vulnerabilities section, or --vuln-db): the
// check image-vulnerable is then active, and a scan without registry
// access reports it as not run rather than leaving it out.
func vulnerabilityPolicy(cfg foundConfig, dbFlag bool, opts *check.Options) error {
	if !dbFlag && cfg.file.Images.Vulnerabilities.IsZero() {
		return nil
	}
	p, err := cfg.file.VulnerabilityPolicy()
	if err != nil {
		return usageErr("%v", err)
	}
	opts.Vulnerabilities = p
	return nil
}

// vulnerabilityAnalysis prepares the known-vulnerability analysis of a run
// that reads registries (scan --images, the webhook): registry access
// judges vulnerabilities too, under the configured policy or the default
// one. The database is opened, never fetched; when it cannot be, the run
// goes on without the analysis and gap says why image-vulnerable did not
// run (the scan's coverage).
func vulnerabilityAnalysis(cfg foundConfig, db vulnDBFlags, opts *check.Options) (an *vulnscan.Analyzer, gap string, err error) {
	if opts.Vulnerabilities == nil {
		opts.Vulnerabilities = vuln.DefaultPolicy()
	}
	dir, _, err := db.resolve(cfg.file)
	if err != nil {
		return nil, "", err
	}
	if len(vulndb.Ecosystems(dir)) == 0 {
		return nil, fmt.Sprintf("not run: no vulnerability database in %s (kubeward images db update, or --vuln-db DIR)", dir), nil
	}
	d, err := vulndb.Open(dir)
	if err != nil {
		return nil, "not run: " + err.Error(), nil
	}
	return &vulnscan.Analyzer{DB: d}, "", nil
}
