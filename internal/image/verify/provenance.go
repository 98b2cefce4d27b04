package verify

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/httpguard"
)

// provenance reads the builder id and the source repository of SLSA
// provenance, v1 or v0.2; "" for what the statement does not say.
func provenance(st *statement) (builder, source string) {
	if !strings.HasPrefix(st.PredicateType, "https://slsa.dev/provenance/") {
		return "", ""
	}
	var p struct {
		// v1
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
		} `json:"runDetails"`
		BuildDefinition struct {
			ExternalParameters struct {
				Workflow struct {
					Repository string `json:"repository"`
				} `json:"workflow"`
				Source json.RawMessage `json:"source"`
			} `json:"externalParameters"`
			ResolvedDependencies []struct {
				URI string `json:"uri"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		// v0.2
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
		Invocation struct {
			ConfigSource struct {
				URI string `json:"uri"`
			} `json:"configSource"`
		} `json:"invocation"`
		Materials []struct {
			URI string `json:"uri"`
		} `json:"materials"`
	}
	if json.Unmarshal(st.Predicate, &p) != nil {
		return "", ""
	}
	builder = first(p.RunDetails.Builder.ID, p.Builder.ID)
	var src string
	if len(p.BuildDefinition.ExternalParameters.Source) > 0 {
		// A string, or an object with a uri (Google Cloud Build, Tekton).
		var uri string
		var obj struct {
			URI string `json:"uri"`
		}
		if json.Unmarshal(p.BuildDefinition.ExternalParameters.Source, &uri) != nil {
			_ = json.Unmarshal(p.BuildDefinition.ExternalParameters.Source, &obj)
			uri = obj.URI
		}
		src = uri
	}
	var dep, mat string
	if len(p.BuildDefinition.ResolvedDependencies) > 0 {
		dep = p.BuildDefinition.ResolvedDependencies[0].URI
	}
	if len(p.Materials) > 0 {
		mat = p.Materials[0].URI
	}
	return builder, repository(first(p.BuildDefinition.ExternalParameters.Workflow.Repository, src, dep, p.Invocation.ConfigSource.URI, mat))
}

// repository normalises a source URI to its repository: git+https://github.com/acme/app@refs/heads/main
// is https://github.com/acme/app.
func repository(uri string) string {
	uri = strings.TrimPrefix(uri, "git+")
	if i := strings.LastIndex(uri, "@"); i > strings.Index(uri, "://")+2 && !strings.Contains(uri[i:], "/") || strings.Contains(uri, "@refs/") {
		uri = uri[:strings.LastIndex(uri, "@")]
	}
	return strings.TrimSuffix(strings.TrimSuffix(uri, "/"), ".git")
}

func first(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// failures lists the rule's conditions the statement does not meet.
func (a *attestationRule) failures(builder, source string) []string {
	var out []string
	if !a.builder.match(builder) {
		out = append(out, fmt.Sprintf("builder id %q is not %s", httpguard.Truncate(builder, 200), a.builder.desc))
	}
	if !a.sourceRepo.match(source) {
		out = append(out, fmt.Sprintf("source repository %q is not %s", httpguard.Truncate(source, 200), a.sourceRepo.desc))
	}
	return out
}
