package exposure

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestAdminUIExposed(t *testing.T) {
	checktest.RunFixtures(t, AdminUIExposed, nil, []checktest.Fixture{{
		Name: "ClusterIP interfaces, agents and other apps pass",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: grafana, namespace: mon}
spec:
  template:
    metadata: {labels: {app: grafana}}
    spec: {containers: [{name: g, image: grafana/grafana:11.0.0}]}
---
apiVersion: v1
kind: Service
metadata: {name: grafana, namespace: mon}
spec: {selector: {app: grafana}, ports: [{port: 3000}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: grafana-agent, namespace: mon}
spec:
  template:
    metadata: {labels: {app: grafana-agent}}
    spec: {containers: [{name: a, image: grafana/agent:v0.40.0}]}
---
apiVersion: v1
kind: Service
metadata: {name: agent, namespace: mon}
spec: {type: NodePort, selector: {app: grafana-agent}, ports: [{port: 12345}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: mon, labels: {app: web}}
spec: {containers: [{name: a, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: mon}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}`,
	}, {
		Name: "the dashboard on a NodePort, Jupyter and Kibana behind load balancers",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: ui, namespace: kube-system}
spec:
  template:
    metadata: {labels: {k8s-app: ui}}
    spec: {containers: [{name: d, image: "kubernetesui/dashboard:v2.7.0"}]}
---
apiVersion: v1
kind: Service
metadata: {name: ui, namespace: kube-system}
spec: {type: NodePort, selector: {k8s-app: ui}, ports: [{port: 443, nodePort: 30443}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: notebook, namespace: ds}
spec:
  template:
    metadata: {labels: {app.kubernetes.io/name: jupyterlab}}
    spec: {containers: [{name: j, image: quay.io/example/lab:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: notebook, namespace: ds}
spec: {type: LoadBalancer, selector: {app.kubernetes.io/name: jupyterlab}, ports: [{port: 8888}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: kibana, namespace: logs}
spec:
  template:
    metadata: {labels: {app: kibana}}
    spec: {containers: [{name: k, image: docker.elastic.co/kibana/kibana:8.14.0}]}
---
apiVersion: v1
kind: Service
metadata: {name: kibana, namespace: logs}
spec: {type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/8], selector: {app: kibana}, ports: [{port: 5601}]}`,
		Want: []string{"Service/ui spec.type", "Service/notebook spec.type", "Service/kibana spec.type"},
	}})
}
