package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

func (f *File) validateCustomChecks() error {
	for i, p := range f.CustomChecks {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("customChecks[%d]: empty path", i)
		}
	}
	return nil
}

// CustomCheckPaths are the custom check files and directories, relative
// ones read from the configuration file's directory (so a repository's
// .kubeward.yaml works from any working directory). Load them with
// custom.Load.
func (f *File) CustomCheckPaths() []string {
	out := make([]string, 0, len(f.CustomChecks))
	for _, p := range f.CustomChecks {
		if !filepath.IsAbs(p) && f.Path != "" {
			p = filepath.Join(filepath.Dir(f.Path), p)
		}
		out = append(out, p)
	}
	return out
}
