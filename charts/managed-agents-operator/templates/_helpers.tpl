{{/*
The chart's name, truncated to the 63 characters that Kubernetes names and labels allow.
*/}}
{{- define "managed-agents-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of this release's objects: RELEASE-CHART, or RELEASE when it already
contains the chart name.
*/}}
{{- define "managed-agents-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "managed-agents-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "managed-agents-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
Labels that select the operator's pods. They never change across upgrades.
*/}}
{{- define "managed-agents-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "managed-agents-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the operator runs as.
*/}}
{{- define "managed-agents-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "managed-agents-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: repository@digest when a digest is set, else repository:tag (tag defaults to
the chart's appVersion).
*/}}
{{- define "managed-agents-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The Secret holding the default API key (key "api-key"), or "" when none is configured and every
object must set spec.apiKeySecretRef.
*/}}
{{- define "managed-agents-operator.apiKeySecretName" -}}
{{- if and .Values.apiKey.existingSecret .Values.apiKey.value }}
{{- fail "set apiKey.existingSecret or apiKey.value, not both" }}
{{- end }}
{{- if .Values.apiKey.existingSecret }}
{{- .Values.apiKey.existingSecret }}
{{- else if .Values.apiKey.value }}
{{- printf "%s-api-key" (include "managed-agents-operator.fullname" .) }}
{{- end }}
{{- end }}

{{/*
"true" when leader election is on: asked for, or implied by more than one replica.
*/}}
{{- define "managed-agents-operator.leaderElection" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}

{{/*
The watched namespaces, de-duplicated and in the order given.
*/}}
{{- define "managed-agents-operator.watchNamespaces" -}}
{{- .Values.watchNamespaces | uniq | join "," }}
{{- end }}

{{/*
The sandbox runner's image: the operator's image unless sandbox.runnerImage names another
repository; the tag comes from sandbox.runnerImage.tag, else image.tag, else the appVersion.
*/}}
{{- define "managed-agents-operator.runnerImage" -}}
{{- $r := .Values.sandbox.runnerImage }}
{{- $digest := $r.digest }}
{{- if and (not $r.repository) (not $digest) }}
{{- $digest = .Values.image.digest }}
{{- end }}
{{- $repository := default .Values.image.repository $r.repository }}
{{- if $digest }}
{{- printf "%s@%s" $repository $digest }}
{{- else }}
{{- printf "%s:%s" $repository (default (default .Chart.AppVersion .Values.image.tag) $r.tag) }}
{{- end }}
{{- end }}

{{/*
The Managed Agents API's ports, comma-separated: networkPolicy.managedAgentsAPI.ports as given
(the list in the dict's "ports"), else baseURL's port, else 443 (80 for a plain http:// baseURL).
Called with a dict: "ports" and "baseURL".
*/}}
{{- define "managed-agents-operator.apiPorts" -}}
{{- $ports := .ports }}
{{- if not $ports }}
{{- $ports = list 443 }}
{{- with .baseURL }}
{{- $u := urlParse . }}
{{- if regexMatch ":[0-9]+$" $u.host }}
{{- $ports = list (regexFind "[0-9]+$" $u.host | int) }}
{{- else if eq $u.scheme "http" }}
{{- $ports = list 80 }}
{{- end }}
{{- end }}
{{- end }}
{{- join "," $ports }}
{{- end }}
