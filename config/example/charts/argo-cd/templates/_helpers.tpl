{{- define "argo-cd.labels" -}}
app.kubernetes.io/name: argocd-server
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: argocd
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}
