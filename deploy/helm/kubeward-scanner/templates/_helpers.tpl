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
