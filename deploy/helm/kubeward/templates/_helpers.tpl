{{/* Names and labels of the chart's objects. */}}
{{- define "kubeward.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubeward.controller.name" -}}
{{- printf "%s-controller" (include "kubeward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubeward.controller.selectorLabels" -}}
app.kubernetes.io/name: kubeward
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "kubeward.labels" -}}
app.kubernetes.io/name: kubeward
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kubeward.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository .Values.image.tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{- define "kubeward.agent.name" -}}
{{- printf "%s-agent" (include "kubeward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubeward.agent.selectorLabels" -}}
app.kubernetes.io/name: kubeward
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end -}}

{{- define "kubeward.webhook.name" -}}
{{- printf "%s-webhook" (include "kubeward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubeward.webhook.selectorLabels" -}}
app.kubernetes.io/name: kubeward
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: admission-webhook
{{- end -}}

{{- define "kubeward.webhook.tlsSecret" -}}
{{- if eq .Values.webhook.tls.mode "certManager" -}}
{{ include "kubeward.webhook.name" . }}-tls
{{- else -}}
{{ required "webhook.tls.secretName is required with webhook.tls.mode=secret" .Values.webhook.tls.secretName }}
{{- end -}}
{{- end -}}

{{- /* The webhook and the audit backend take connections from the API
       server. lookup answers only when the chart is installed into a
       cluster: offline renders (helm template, kubeward scan) show the
       policy as is. */ -}}
{{- define "kubeward.requireAPIServerCIDRs" -}}
{{- if and .Values.networkPolicy.enabled (not .Values.networkPolicy.apiServerCIDRs) (not .Values.networkPolicy.reviewsFromAnywhere) (lookup "v1" "Namespace" "" "kube-system") -}}
{{- fail "networkPolicy.apiServerCIDRs is empty: every pod in the cluster could reach the webhook's review port (or the audit backend). Set it to the addresses the API server calls from (see values.yaml), or set networkPolicy.reviewsFromAnywhere=true to accept that, or networkPolicy.enabled=false." -}}
{{- end -}}
{{- end -}}

{{- /* A CA of the part's own (self-signed, ten years) signs its serving
       certificate (90 days, renewed 30 days before); the part reloads the
       renewed files itself. Called with (list $ name). */ -}}
{{- define "kubeward.certManager" -}}
{{- $ := index . 0 -}}
{{- $name := index . 1 -}}
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: {{ $name }}-selfsigned
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "kubeward.labels" $ | nindent 4 }}
spec:
  selfSigned: {}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {{ $name }}-ca
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "kubeward.labels" $ | nindent 4 }}
spec:
  isCA: true
  commonName: {{ $name }}-ca
  secretName: {{ $name }}-ca
  duration: 87600h
  privateKey:
    algorithm: ECDSA
    size: 256
  issuerRef:
    name: {{ $name }}-selfsigned
    kind: Issuer
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: {{ $name }}-ca
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "kubeward.labels" $ | nindent 4 }}
spec:
  ca:
    secretName: {{ $name }}-ca
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {{ $name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "kubeward.labels" $ | nindent 4 }}
spec:
  secretName: {{ $name }}-tls
  duration: 2160h
  renewBefore: 720h
  privateKey:
    algorithm: ECDSA
    size: 256
    rotationPolicy: Always
  dnsNames:
    - {{ $name }}.{{ $.Release.Namespace }}.svc
    - {{ $name }}.{{ $.Release.Namespace }}.svc.cluster.local
  issuerRef:
    name: {{ $name }}-ca
    kind: Issuer
{{- end -}}

{{- /* Egress rules of a part that talks to the API server: DNS and the
       API server's addresses and ports. */ -}}
{{- define "kubeward.egressAPIServer" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
- ports:
    {{- range .Values.networkPolicy.apiServerPorts }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with .Values.networkPolicy.apiServerCIDRs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- end -}}

{{- define "kubeward.audit.name" -}}
{{- printf "%s-audit" (include "kubeward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubeward.audit.selectorLabels" -}}
app.kubernetes.io/name: kubeward
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: audit
{{- end -}}

{{- define "kubeward.node.name" -}}
{{- printf "%s-node" (include "kubeward.fullname" .) | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{/*
Disk of image reading (values imageDisk: cacheGi, maxImageGi, analyses):
the emptyDir's sizeLimit, in GiB, holds the image cache's budget and, for
each image analysed at once, its unpacked files and its largest
compressed layer (each at most maxImageGi), and 1 GiB more (manifests,
configurations, a store's temporary file): the kubelet evicts a pod whose
emptyDir passes its sizeLimit. The flags that keep within it are
"kubeward.imageDiskArgs".
*/}}
{{- define "kubeward.imageDiskGi" -}}
{{- range $k := list "cacheGi" "maxImageGi" "analyses" }}
{{- $v := get $.disk $k }}
{{- if or (lt (int $v) 1) (ne (toString (int $v)) (toString $v)) }}
{{- fail (printf "%s.imageDisk.%s: %v is not a whole number of at least 1" $.where $k $v) }}
{{- end }}
{{- end }}
{{- add .disk.cacheGi (mul 2 .disk.analyses .disk.maxImageGi) 1 }}Gi
{{- end }}

{{- define "kubeward.imageDiskArgs" -}}
- --image-cache-max-size={{ .disk.cacheGi }}Gi
- --max-image-size={{ .disk.maxImageGi }}Gi
- --image-analyses={{ .disk.analyses }}
{{- end }}
