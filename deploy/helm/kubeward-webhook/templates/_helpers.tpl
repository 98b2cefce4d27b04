{{/* Names and labels of the chart's objects. */}}
{{- define "kubeward-webhook.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubeward-webhook.selectorLabels" -}}
app.kubernetes.io/name: kubeward-webhook
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kubeward-webhook.labels" -}}
{{ include "kubeward-webhook.selectorLabels" . }}
app.kubernetes.io/component: admission-webhook
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kubeward-webhook.image" -}}
{{- printf "%s:%s@%s" .Values.image.repository .Values.image.tag .Values.image.digest -}}
{{- end -}}

{{- define "kubeward-webhook.tlsSecret" -}}
{{- if eq .Values.tls.mode "certManager" -}}
{{ include "kubeward-webhook.fullname" . }}-tls
{{- else -}}
{{ required "tls.secretName is required with tls.mode=secret" .Values.tls.secretName }}
{{- end -}}
{{- end -}}
