{{/* Names and labels of the chart's objects. */}}
{{- define "kubeward-scanner.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubeward-scanner.selectorLabels" -}}
app.kubernetes.io/name: kubeward-scanner
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kubeward-scanner.labels" -}}
{{ include "kubeward-scanner.selectorLabels" . }}
app.kubernetes.io/component: scanner
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kubeward-scanner.image" -}}
{{- printf "%s:%s@%s" .Values.image.repository .Values.image.tag .Values.image.digest -}}
{{- end -}}

{{/*
Disk of image reading (values imageDisk: cacheGi, maxImageGi, analyses):
the emptyDir's sizeLimit, in GiB, holds the image cache's budget and, for
each image analysed at once, its unpacked files and its largest
compressed layer (each at most maxImageGi), and 1 GiB more (manifests,
configurations, a store's temporary file): the kubelet evicts a pod whose
emptyDir passes its sizeLimit. The flags that keep within it are
"kubeward-scanner.imageDiskArgs".
*/}}
{{- define "kubeward-scanner.imageDiskGi" -}}
{{- range $k := list "cacheGi" "maxImageGi" "analyses" }}
{{- $v := get $.disk $k }}
{{- if or (lt (int $v) 1) (ne (toString (int $v)) (toString $v)) }}
{{- fail (printf "%s.imageDisk.%s: %v is not a whole number of at least 1" $.where $k $v) }}
{{- end }}
{{- end }}
{{- add .disk.cacheGi (mul 2 .disk.analyses .disk.maxImageGi) 1 }}Gi
{{- end }}

{{- define "kubeward-scanner.imageDiskArgs" -}}
- --image-cache-max-size={{ .disk.cacheGi }}Gi
- --max-image-size={{ .disk.maxImageGi }}Gi
- --image-analyses={{ .disk.analyses }}
{{- end }}
