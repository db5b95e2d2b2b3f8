{{/* The chart's name, or nameOverride. */}}
{{- define "otuserver.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object names: the release name, with the chart's name added unless it holds it already. */}}
{{- define "otuserver.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "otuserver.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "otuserver.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* The pods' service account: serviceAccount.name, else the full name when the chart makes it, else default. */}}
{{- define "otuserver.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "otuserver.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image tag: values.image.tag, or the chart's appVersion (the server's version). */}}
{{- define "otuserver.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* What selectors use: name and instance, which never change between releases. */}}
{{- define "otuserver.selectorLabels" -}}
app.kubernetes.io/name: {{ include "otuserver.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The app.kubernetes.io set on every object and pod. */}}
{{- define "otuserver.labels" -}}
{{ include "otuserver.selectorLabels" . }}
app.kubernetes.io/version: {{ include "otuserver.tag" . | quote }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: otuserver
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* The OTUSERVER_* variables: values.config, each set only when not empty. */}}
{{- define "otuserver.env" -}}
{{- $vars := dict
  "OTUSERVER_WORKERS" .Values.config.workers
  "OTUSERVER_LOG_LEVEL" .Values.config.logLevel
  "OTUSERVER_LOG_FORMAT" .Values.config.logFormat
  "OTUSERVER_LOG_FILE" .Values.config.logFile
  "OTUSERVER_ROOT" .Values.config.root
  "OTUSERVER_BIND" .Values.config.bind
  "OTUSERVER_GRACE_PERIOD" .Values.config.gracePeriod
  "OTUSERVER_MAX_HEAD_SIZE" .Values.config.maxHeadSize
  "OTUSERVER_MAX_HEADERS" .Values.config.maxHeaders
  "OTUSERVER_HEADER_TIMEOUT" .Values.config.headerTimeout
  "OTUSERVER_KEEPALIVE_TIMEOUT" .Values.config.keepaliveTimeout
  "OTUSERVER_KEEPALIVE_REQUESTS" .Values.config.keepaliveRequests
  "OTUSERVER_SEND_TIMEOUT" .Values.config.sendTimeout
  "OTUSERVER_MAX_CONNECTIONS" .Values.config.maxConnections
  "OTUSERVER_FILE_CACHE" .Values.config.fileCache
  "OTUSERVER_SERVE_DOTFILES" .Values.config.serveDotfiles
  "OTUSERVER_CACHE_CONTROL" .Values.config.cacheControl
  "OTUSERVER_FALLBACK" .Values.config.fallback
  "OTUSERVER_ERROR_PAGE" .Values.config.errorPages
  "OTUSERVER_HEALTHCHECK_PATH" .Values.config.healthcheckPath
  "OTUSERVER_HEALTH_PATH" .Values.probes.path
  "OTUSERVER_SERVER_TOKENS" .Values.config.serverTokens
  "OTUSERVER_MIME" .Values.config.mimeTypes
  "OTUSERVER_INDEX" .Values.config.index
  "OTUSERVER_CHARSET" .Values.config.charset
  "OTUSERVER_CORS_ORIGINS" .Values.config.corsOrigins
  "OTUSERVER_CORS_HEADERS" .Values.config.corsHeaders
  "OTUSERVER_CORS_MAX_AGE" .Values.config.corsMaxAge
  "OTUSERVER_REDIRECT" .Values.config.redirects
  "OTUSERVER_AUTOINDEX" .Values.config.autoindex
  "OTUSERVER_BASIC_AUTH_FILE" .Values.config.basicAuthFile
  "OTUSERVER_BASIC_AUTH_REALM" .Values.config.basicAuthRealm
  "OTUSERVER_COMPRESS" .Values.config.compress
  "OTUSERVER_COMPRESS_TYPES" .Values.config.compressTypes
  "OTUSERVER_COMPRESS_MIN_SIZE" .Values.config.compressMinSize
  "OTUSERVER_COMPRESS_MAX_SIZE" .Values.config.compressMaxSize
  "OTUSERVER_COMPRESS_CACHE_SIZE" .Values.config.compressCacheSize
  "OTUSERVER_COMPRESS_LEVEL" .Values.config.compressLevel
  "OTUSERVER_COMPRESS_CACHE_DIR" .Values.config.compressCacheDir
  "OTUSERVER_TRUSTED_PROXIES" .Values.config.trustedProxies
  "OTUSERVER_REAL_IP_HEADER" .Values.config.realIpHeader
  "OTUSERVER_PROXY_PROTOCOL" .Values.config.proxyProtocol
  "OTUSERVER_REQUEST_ID" .Values.config.requestId
  "OTUSERVER_HEADER" .Values.config.headers
  "OTUSERVER_CONFIG" (ternary "/etc/otuserver/config.yaml" "" (not (empty .Values.configFile)))
-}}
- name: OTUSERVER_PORT
  value: {{ .Values.port | quote }}
{{- if .Values.metrics.enabled }}
- name: OTUSERVER_METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
{{- end }}
{{- range $name := keys $vars | sortAlpha }}
{{- $v := get $vars $name }}
{{- if ne (toString $v) "" }}
- name: {{ $name }}
  value: {{ toString $v | quote }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* A duration in otuserver's syntax (N, Ns, Nms, Nm) in whole seconds, rounded up. */}}
{{- define "otuserver.seconds" -}}
{{- $v := toString . -}}
{{- if hasSuffix "ms" $v }}{{ div (add (trimSuffix "ms" $v | int) 999) 1000 }}
{{- else if hasSuffix "m" $v }}{{ mul (trimSuffix "m" $v | int) 60 }}
{{- else }}{{ trimSuffix "s" $v | int }}
{{- end }}
{{- end }}

{{/* The configuration file's text (values: configFile), as the ConfigMap holds it. */}}
{{- define "otuserver.configFile" -}}
{{ toYaml .Values.configFile }}
{{- end -}}
