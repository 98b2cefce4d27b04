package workload

// resourceFixture holds one container per way of getting (or missing)
// resources, in namespace ns unless a test adds a LimitRange.
const resourceFixture = `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: ns}
spec:
  template:
    spec:
      initContainers:
      - {name: init, image: x}
      - {name: sidecar, image: x, restartPolicy: Always}
      containers:
      - name: full
        image: x
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {cpu: 500m, memory: 128Mi}
      - name: limits-only
        image: x
        resources: {limits: {cpu: 500m, memory: 128Mi}}
      - name: requests-only
        image: x
        resources: {requests: {cpu: 100m, memory: 64Mi}}
      - {name: none, image: x}
      ephemeralContainers:
      - {name: debug, image: x}
`
