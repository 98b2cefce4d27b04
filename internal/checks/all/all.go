// Package all links every built-in check family into the binary; importing
// it registers their checks.
package all

import (
	_ "github.com/kubeward/kubeward/internal/checks/apiversion"
	_ "github.com/kubeward/kubeward/internal/checks/controlplane"
	_ "github.com/kubeward/kubeward/internal/checks/exposure"
	_ "github.com/kubeward/kubeward/internal/checks/image"
	_ "github.com/kubeward/kubeward/internal/checks/mesh"
	_ "github.com/kubeward/kubeward/internal/checks/network"
	_ "github.com/kubeward/kubeward/internal/checks/node"
	_ "github.com/kubeward/kubeward/internal/checks/pss"
	_ "github.com/kubeward/kubeward/internal/checks/rbac"
	_ "github.com/kubeward/kubeward/internal/checks/secrets"
	_ "github.com/kubeward/kubeward/internal/checks/workload"
)
