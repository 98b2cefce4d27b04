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
