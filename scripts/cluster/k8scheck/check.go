package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)

// MetricsPort is the project's metrics port: clear of node_exporter's 9100 and
// of the 9100-9999 range Prometheus exporters take their defaults from.
const MetricsPort = 8937

// Options are what the checks compare the manifests with.
type Options struct {
	Help    string // `otuserver --help`
	Version string // the server's version: image tags and version labels
}

// recommendedLabels are the app.kubernetes.io labels every object carries.
var recommendedLabels = []string{"name", "instance", "version", "component", "part-of", "managed-by"}

// selectorLabels are the only labels a selector may use: they never change
// between releases, and a Deployment's selector is immutable.
var selectorLabels = map[string]bool{"app.kubernetes.io/name": true, "app.kubernetes.io/instance": true}

// projectImages are the images this project builds; a pod runs nothing else.
var projectImages = map[string]bool{"otuserver": true, "otuserver-loadtest": true}

// typeMeta is read first to pick the Go type of a document.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// kustomization is the subset of kustomize's file format the project uses;
// decoding strictly into it still catches misspelled keys.
type kustomization struct {
	APIVersion         string               `json:"apiVersion"`
	Kind               string               `json:"kind"`
	Resources          []string             `json:"resources,omitempty"`
	Labels             []kustomizeLabel     `json:"labels,omitempty"`
	ConfigMapGenerator []kustomizeGenerator `json:"configMapGenerator,omitempty"`
	Patches            []kustomizePatch     `json:"patches,omitempty"`
	Images             []kustomizeImage     `json:"images,omitempty"`
	Namespace          string               `json:"namespace,omitempty"`
}

type kustomizeLabel struct {
	Pairs            map[string]string `json:"pairs"`
	IncludeSelectors bool              `json:"includeSelectors,omitempty"`
}

type kustomizeGenerator struct {
	Name     string   `json:"name"`
	Files    []string `json:"files,omitempty"`
	Literals []string `json:"literals,omitempty"`
}

type kustomizePatch struct {
	Path  string `json:"path,omitempty"`
	Patch string `json:"patch,omitempty"`
}

type kustomizeImage struct {
	Name    string `json:"name"`
	NewName string `json:"newName,omitempty"`
	NewTag  string `json:"newTag,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

// problems collects messages that name the file and the field.
type problems struct {
	list []string
	file string
}

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf("%s: %s: %s", p.file, field, fmt.Sprintf(format, args...)))
}

// splitDocuments cuts a YAML stream at "---" lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, part := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(part)) != "" {
			docs = append(docs, []byte(part))
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(line)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// patchFiles returns the files that kustomizations name under patches: they
// hold partial objects, so they are decoded strictly but not held to policy.
func patchFiles(files []string) map[string]bool {
	patches := map[string]bool{}
	for _, path := range files {
		if filepath.Base(path) != "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var k kustomization
		if yaml.Unmarshal(data, &k) != nil {
			continue
		}
		for _, patch := range k.Patches {
			if patch.Path != "" {
				patches[filepath.Join(filepath.Dir(path), patch.Path)] = true
			}
		}
	}
	return patches
}

// CheckFiles validates every file and returns the problems found.
func CheckFiles(files []string, opts Options) []string {
	p := &problems{}
	helpVars := map[string]bool{}
	if opts.Version == "" {
		p.list = append(p.list, "no version given to compare image tags and labels with")
	}
	for _, m := range regexp.MustCompile(`OTUSERVER_[A-Z_]+`).FindAllString(opts.Help, -1) {
		helpVars[m] = true
	}
	if len(helpVars) == 0 {
		p.list = append(p.list, "the --help text names no OTUSERVER_ variable")
	}
	patches := patchFiles(files)
	ck := &checker{helpVars: helpVars, version: opts.Version, hpaMin: hpaTargets(files)}
	for _, path := range files {
		p.file = path
		data, err := os.ReadFile(path)
		if err != nil {
			p.add("file", "%v", err)
			continue
		}
		patch := patches[filepath.Clean(path)]
		for i, doc := range splitDocuments(data) {
			checkDocument(p, doc, i, patch, ck)
		}
	}
	return p.list
}

// checker holds what the checks of one document compare with.
type checker struct {
	helpVars map[string]bool
	version  string
	hpaMin   map[string]int32 // Deployment name -> minReplicas of the HPA that scales it
}

// hpaTargets finds the Deployments an HPA scales: those may leave replicas to it.
func hpaTargets(files []string) map[string]int32 {
	targets := map[string]int32{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for _, doc := range splitDocuments(data) {
			var h autoscalingv2.HorizontalPodAutoscaler
			if yaml.Unmarshal(doc, &h) == nil && h.Kind == "HorizontalPodAutoscaler" &&
				h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.MinReplicas != nil {
				targets[h.Spec.ScaleTargetRef.Name] = *h.Spec.MinReplicas
			}
		}
	}
	return targets
}

func checkDocument(p *problems, doc []byte, index int, patch bool, ck *checker) {
	helpVars := ck.helpVars
	var tm typeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		p.add(fmt.Sprintf("document %d", index), "not YAML: %v", err)
		return
	}
	strict := func(obj any) bool {
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			p.add(tm.Kind, "%v", err)
			return false
		}
		return true
	}
	switch tm.Kind {
	case "Kustomization":
		var k kustomization
		if strict(&k) {
			checkKustomization(p, &k, ck.version)
		}
	case "Deployment":
		var d appsv1.Deployment
		if strict(&d) && !patch {
			checkLabels(p, "metadata.labels", d.Labels)
			checkDeployment(p, &d, ck)
		}
	case "Job":
		var j batchv1.Job
		if strict(&j) {
			checkLabels(p, "metadata.labels", j.Labels)
			checkLabels(p, "spec.template.metadata.labels", j.Spec.Template.Labels)
			checkPodSpec(p, "spec.template.spec", &j.Spec.Template.Spec, false, helpVars)
			checkImageVersions(p, "spec.template", &j.Spec.Template, ck.version)
		}
	case "Service":
		var s corev1.Service
		if strict(&s) {
			checkLabels(p, "metadata.labels", s.Labels)
			checkSelector(p, "spec.selector", s.Spec.Selector)
			checkService(p, &s)
		}
	case "ServiceAccount":
		var sa corev1.ServiceAccount
		if strict(&sa) {
			checkLabels(p, "metadata.labels", sa.Labels)
			// the server never talks to the API: no token, on the account as on the pod
			if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				p.add("automountServiceAccountToken", "must be false")
			}
		}
	case "ConfigMap":
		var c corev1.ConfigMap
		if strict(&c) && !patch {
			checkLabels(p, "metadata.labels", c.Labels)
		}
	case "PodDisruptionBudget":
		if tm.APIVersion != "policy/v1" {
			p.add("apiVersion", "PodDisruptionBudget must use policy/v1, not %q", tm.APIVersion)
		}
		var b policyv1.PodDisruptionBudget
		if strict(&b) {
			checkLabels(p, "metadata.labels", b.Labels)
			checkLabelSelector(p, "spec.selector", b.Spec.Selector)
		}
	case "HorizontalPodAutoscaler":
		if tm.APIVersion != "autoscaling/v2" {
			p.add("apiVersion", "HorizontalPodAutoscaler must use autoscaling/v2, not %q", tm.APIVersion)
		}
		var h autoscalingv2.HorizontalPodAutoscaler
		if strict(&h) {
			checkLabels(p, "metadata.labels", h.Labels)
			if len(h.Spec.Metrics) == 0 {
				p.add("spec.metrics", "no metric to scale on")
			}
		}
	case "Ingress":
		var in networkingv1.Ingress
		if strict(&in) {
			checkLabels(p, "metadata.labels", in.Labels)
			checkIngress(p, &in)
		}
	case "NetworkPolicy":
		var np networkingv1.NetworkPolicy
		if strict(&np) {
			checkLabels(p, "metadata.labels", np.Labels)
			checkLabelSelector(p, "spec.podSelector", &np.Spec.PodSelector)
		}
	case "PodMonitor":
		var pm monitoringv1.PodMonitor
		if strict(&pm) {
			checkLabels(p, "metadata.labels", pm.Labels)
			checkLabelSelector(p, "spec.selector", &pm.Spec.Selector)
			if len(pm.Spec.PodMetricsEndpoints) == 0 {
				p.add("spec.podMetricsEndpoints", "none")
			}
			for _, e := range pm.Spec.PodMetricsEndpoints {
				checkScrapeEndpoint(p, "spec.podMetricsEndpoints", e.Port, e.Path)
			}
		}
	case "ServiceMonitor":
		var sm monitoringv1.ServiceMonitor
		if strict(&sm) {
			checkLabels(p, "metadata.labels", sm.Labels)
			checkLabelSelector(p, "spec.selector", &sm.Spec.Selector)
			if len(sm.Spec.Endpoints) == 0 {
				p.add("spec.endpoints", "none")
			}
			for _, e := range sm.Spec.Endpoints {
				checkScrapeEndpoint(p, "spec.endpoints", &e.Port, e.Path)
			}
		}
	case "":
		p.add(fmt.Sprintf("document %d", index), "no kind")
	default:
		p.add("kind", "%q is not a kind this project uses; add it to k8scheck", tm.Kind)
	}
}

func checkDeployment(p *problems, d *appsv1.Deployment, ck *checker) {
	helpVars := ck.helpVars
	if d.Spec.Replicas == nil {
		if ck.hpaMin[d.Name] < 2 {
			p.add("spec.replicas", "missing, and no HorizontalPodAutoscaler with minReplicas >= 2 scales it")
		}
	} else if *d.Spec.Replicas < 2 {
		p.add("spec.replicas", "must be at least 2")
	}
	checkLabels(p, "spec.template.metadata.labels", d.Spec.Template.Labels)
	checkLabelSelector(p, "spec.selector", d.Spec.Selector)
	if d.Spec.Selector != nil {
		for k, v := range d.Spec.Selector.MatchLabels {
			if d.Spec.Template.Labels[k] != v {
				p.add("spec.selector", "%s=%s does not select the pod template's labels", k, v)
			}
		}
	}
	checkImageVersions(p, "spec.template", &d.Spec.Template, ck.version)
	checkMetricsAnnotations(p, &d.Spec.Template)
	if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || d.Spec.Strategy.RollingUpdate == nil ||
		d.Spec.Strategy.RollingUpdate.MaxUnavailable == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		p.add("spec.strategy", "must be RollingUpdate with maxUnavailable: 0")
	}
	checkPodSpec(p, "spec.template.spec", &d.Spec.Template.Spec, true, helpVars)
}

// checkPodSpec holds a pod to the restricted profile and the project's rules.
// server is true for the otuserver pod (probes, ports, graceful stop).
func checkPodSpec(p *problems, at string, s *corev1.PodSpec, server bool, helpVars map[string]bool) {
	if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
		p.add(at+".automountServiceAccountToken", "must be false")
	}
	if s.EnableServiceLinks == nil || *s.EnableServiceLinks {
		p.add(at+".enableServiceLinks", "must be false (a Service named otuserver would set OTUSERVER_PORT=tcp://...)")
	}
	psc := s.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
		p.add(at+".securityContext.runAsUser", "must be 65532")
	}
	if psc.RunAsGroup == nil || *psc.RunAsGroup != 65532 {
		p.add(at+".securityContext.runAsGroup", "must be 65532")
	}
	if len(s.Containers) == 0 {
		p.add(at+".containers", "no container")
	}
	for i := range s.Containers {
		c := &s.Containers[i]
		cat := fmt.Sprintf("%s.containers[%s]", at, c.Name)
		checkContainer(p, cat, c, psc, server, helpVars)
		if server {
			checkServerContainer(p, cat, c, s)
		}
	}
	// init containers (a site copied from an image) are held to the same profile
	for i := range s.InitContainers {
		c := &s.InitContainers[i]
		checkContainer(p, fmt.Sprintf("%s.initContainers[%s]", at, c.Name), c, psc, false, helpVars)
	}
}

func checkContainer(p *problems, at string, c *corev1.Container, psc *corev1.PodSecurityContext, server bool,
	helpVars map[string]bool) {
	checkImage(p, at+".image", c.Image)
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) ||
		(sc.RunAsNonRoot == nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot)
	if !nonRoot {
		p.add(at+".securityContext.runAsNonRoot", "must be true (the container may run as root)")
	}
	if (sc.RunAsUser != nil && *sc.RunAsUser == 0) || (psc.RunAsUser != nil && *psc.RunAsUser == 0) {
		p.add(at+".securityContext.runAsUser", "must not be 0 (root)")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		p.add(at+".securityContext.allowPrivilegeEscalation", "must be false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		p.add(at+".securityContext.privileged", "must not be true")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		p.add(at+".securityContext.readOnlyRootFilesystem", "must be true")
	}
	dropsAll := false
	if sc.Capabilities != nil {
		for _, d := range sc.Capabilities.Drop {
			dropsAll = dropsAll || d == "ALL"
		}
		for _, a := range sc.Capabilities.Add {
			if a != "NET_BIND_SERVICE" {
				p.add(at+".securityContext.capabilities.add", "%s is not allowed (only NET_BIND_SERVICE)", a)
			}
		}
	}
	if !dropsAll {
		p.add(at+".securityContext.capabilities.drop", "must contain ALL")
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
		p.add(at+".securityContext.seccompProfile", "must be RuntimeDefault (pod or container)")
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			p.add(at+".resources.requests."+string(res), "missing")
		}
		if _, ok := c.Resources.Limits[res]; !ok {
			p.add(at+".resources.limits."+string(res), "missing")
		}
	}
	if server {
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "OTUSERVER_") && !helpVars[e.Name] {
				p.add(at+".env."+e.Name, "not a variable otuserver --help knows")
			}
		}
	}
}

// checkImage requires an explicit tag (or digest) other than latest.
func checkImage(p *problems, at, image string) {
	if image == "" {
		p.add(at, "missing")
		return
	}
	if strings.Contains(image, "@sha256:") {
		return
	}
	name := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(name, ":")
	if i < 0 {
		p.add(at, "%q has no tag (that means latest); pin a version", image)
		return
	}
	if tag := name[i+1:]; tag == "latest" || tag == "" {
		p.add(at, "%q uses the latest tag; pin a version", image)
	}
}

func envValue(c *corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func checkServerContainer(p *problems, at string, c *corev1.Container, s *corev1.PodSpec) {
	probePaths := map[string]bool{}
	for _, name := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
		probe := map[string]*corev1.Probe{"readinessProbe": c.ReadinessProbe,
			"livenessProbe": c.LivenessProbe, "startupProbe": c.StartupProbe}[name]
		if probe == nil {
			p.add(at+"."+name, "missing")
		} else if probe.HTTPGet == nil {
			p.add(at+"."+name, "must be an httpGet probe")
		} else {
			checkProbeTarget(p, at+"."+name+".httpGet", probe.HTTPGet)
			probePaths[probe.HTTPGet.Path] = true
		}
	}
	if len(probePaths) > 1 {
		p.add(at+".probes", "the three probes ask different paths; they must share one (one value to change)")
	}
	// The probes ask the server's health path, which the worker answers itself:
	// a site without an index.html at / must not keep a pod from becoming Ready.
	health, _ := envValue(c, "OTUSERVER_HEALTH_PATH")
	if health == "" {
		p.add(at+".env", "OTUSERVER_HEALTH_PATH is not set: the probes need the server's health path")
	}
	for path := range probePaths {
		if health != "" && path != health {
			p.add(at+".probes", "the probes ask %q, not the health path %q (OTUSERVER_HEALTH_PATH)", path, health)
		}
	}
	named := map[string]int32{}
	for _, port := range c.Ports {
		if port.Name != "" {
			named[port.Name] = port.ContainerPort
		}
	}
	containerPort, ok := named["http"]
	if !ok {
		p.add(at+".ports", "needs a container port named http")
	}
	if v, set := envValue(c, "OTUSERVER_METRICS_PORT"); set && v != "0" {
		if mp, ok := named["metrics"]; !ok || strconv.Itoa(int(mp)) != v {
			p.add(at+".env.OTUSERVER_METRICS_PORT", "%q needs a container port named metrics with that number", v)
		}
		if v != strconv.Itoa(MetricsPort) {
			p.add(at+".env.OTUSERVER_METRICS_PORT", "%q is not the project's metrics port %d%s", v, MetricsPort,
				commonPortNote(v))
		}
	} else if _, ok := named["metrics"]; ok {
		p.add(at+".ports", "a port named metrics, but OTUSERVER_METRICS_PORT does not turn metrics on")
	}
	portEnv, set := envValue(c, "OTUSERVER_PORT")
	if !set {
		p.add(at+".env.OTUSERVER_PORT", "missing (the image's default port 80 needs privileges in a restricted pod)")
	} else if n, err := strconv.Atoi(portEnv); err != nil || int32(n) != containerPort {
		p.add(at+".env.OTUSERVER_PORT", "%q does not match containerPort %d", portEnv, containerPort)
	} else if n < 1024 {
		p.add(at+".env.OTUSERVER_PORT", "%d needs NET_BIND_SERVICE; use a port >= 1024", n)
	}
	if v, _ := envValue(c, "OTUSERVER_WORKERS"); v != "auto" {
		p.add(at+".env.OTUSERVER_WORKERS", "must be auto (follow the CPU limit)")
	}
	if v, _ := envValue(c, "OTUSERVER_LOG_FILE"); v != "-" {
		p.add(at+".env.OTUSERVER_LOG_FILE", "must be - (log to standard output)")
	}
	grace := 10 * time.Second
	if v, ok := envValue(c, "OTUSERVER_GRACE_PERIOD"); ok {
		if d, err := parseDuration(v); err == nil {
			grace = d
		} else {
			p.add(at+".env.OTUSERVER_GRACE_PERIOD", "%q is not a duration", v)
		}
	}
	var preStop time.Duration
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		p.add(at+".lifecycle.preStop", "missing: a preStop sleep lets endpoints go before the drain")
	} else if c.Lifecycle.PreStop.Sleep != nil {
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	if s.TerminationGracePeriodSeconds == nil ||
		time.Duration(*s.TerminationGracePeriodSeconds)*time.Second <= preStop+grace {
		p.add("spec.template.spec.terminationGracePeriodSeconds",
			"must be longer than the preStop sleep (%v) plus the server's grace period (%v)", preStop, grace)
	}
}

// parseDuration reads otuserver's duration syntax: N, Ns, Nms or Nm.
func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

func checkService(p *problems, s *corev1.Service) {
	if s.Spec.Type != "" && s.Spec.Type != corev1.ServiceTypeClusterIP {
		p.add("spec.type", "must be ClusterIP")
	}
	for _, port := range s.Spec.Ports {
		if port.TargetPort.StrVal == "" {
			p.add("spec.ports.targetPort", "must name the container port (http), not a number")
		}
	}
}

// commonPortNote says why a port is a poor choice when it is a well-known one.
func commonPortNote(v string) string {
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return ""
	case n == 9100:
		return " (9100 is node_exporter's default: the two collide on a host network and in scrape configs)"
	case n >= 9100 && n <= 9999:
		return " (9100-9999 is the Prometheus exporters' default range)"
	case n == 8080 || n == 9090 || n == 10250:
		return " (a port other software commonly listens on)"
	}
	return ""
}

// checkLabels requires the app.kubernetes.io set on an object or a pod template.
func checkLabels(p *problems, at string, labels map[string]string) {
	for _, l := range recommendedLabels {
		if labels["app.kubernetes.io/"+l] == "" {
			p.add(at, "app.kubernetes.io/%s is missing", l)
		}
	}
}

// checkSelector: name and instance, nothing that changes between releases.
func checkSelector(p *problems, at string, sel map[string]string) {
	for k := range sel {
		if !selectorLabels[k] {
			p.add(at, "selects on %s; selectors use app.kubernetes.io/name and instance only", k)
		}
	}
	for k := range selectorLabels {
		if sel[k] == "" {
			p.add(at, "does not select on %s", k)
		}
	}
}

func checkLabelSelector(p *problems, at string, sel *metav1.LabelSelector) {
	if sel == nil {
		p.add(at, "missing")
		return
	}
	if len(sel.MatchExpressions) > 0 {
		p.add(at, "matchExpressions: select with matchLabels name and instance")
	}
	checkSelector(p, at+".matchLabels", sel.MatchLabels)
}

// imageParts splits REGISTRY/PATH/NAME:TAG into the path before the name, the name and the tag.
func imageParts(image string) (prefix, name, tag string) {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	slash := strings.LastIndex(image, "/")
	name = image[slash+1:]
	if slash >= 0 {
		prefix = image[:slash]
	}
	if i := strings.LastIndex(name, ":"); i >= 0 {
		name, tag = name[:i], name[i+1:]
	}
	return prefix, name, tag
}

// checkImageVersions: a pod runs the project's images only, at the project's
// version, and says so in its version label.
func checkImageVersions(p *problems, at string, t *corev1.PodTemplateSpec, version string) {
	for _, c := range t.Spec.Containers {
		prefix, name, tag := imageParts(c.Image)
		if !projectImages[name] {
			p.add(at+".spec.containers["+c.Name+"].image", "%q is not one of the project's images (%s)", c.Image,
				"otuserver, otuserver-loadtest")
			continue
		}
		if prefix != "" && !strings.Contains(prefix, ".") && !strings.Contains(prefix, ":") && prefix != "localhost" {
			p.add(at+".spec.containers["+c.Name+"].image", "%q: name the registry (ghcr.io/OWNER/%s) or none", c.Image, name)
		}
		if tag != "" && tag != version {
			p.add(at+".spec.containers["+c.Name+"].image", "%q: tag %s is not the server's version %s", c.Image, tag,
				version)
		}
		if v := t.Labels["app.kubernetes.io/version"]; v != "" && tag != "" && v != tag {
			p.add(at+".metadata.labels", "app.kubernetes.io/version %q differs from the image tag %q", v, tag)
		}
		if c.ImagePullPolicy == corev1.PullAlways {
			p.add(at+".spec.containers["+c.Name+"].imagePullPolicy", "Always: a pinned tag needs IfNotPresent "+
				"(and a local cluster has no registry)")
		}
	}
}

// checkProbeTarget: the site's named port, plain HTTP, an absolute path.
func checkProbeTarget(p *problems, at string, g *corev1.HTTPGetAction) {
	if g.Port.StrVal != "http" {
		p.add(at+".port", "%q: probes must ask the site's port by its name, http (not metrics, not a number)",
			g.Port.String())
	}
	if !strings.HasPrefix(g.Path, "/") {
		p.add(at+".path", "%q is not an absolute path", g.Path)
	}
	if g.Scheme != "" && g.Scheme != corev1.URISchemeHTTP {
		p.add(at+".scheme", "%s: the server speaks plain HTTP", g.Scheme)
	}
}

// checkMetricsAnnotations: prometheus.io/port names the project's metrics port.
func checkMetricsAnnotations(p *problems, t *corev1.PodTemplateSpec) {
	a := t.Annotations
	if a["prometheus.io/scrape"] == "" {
		return
	}
	if a["prometheus.io/port"] != strconv.Itoa(MetricsPort) {
		p.add("spec.template.metadata.annotations", "prometheus.io/port %q is not the metrics port %d%s",
			a["prometheus.io/port"], MetricsPort, commonPortNote(a["prometheus.io/port"]))
	}
	if a["prometheus.io/path"] != "/metrics" {
		p.add("spec.template.metadata.annotations", "prometheus.io/path must be /metrics")
	}
}

// checkScrapeEndpoint: a PodMonitor or ServiceMonitor scrapes the port named metrics at /metrics.
func checkScrapeEndpoint(p *problems, at string, port *string, path string) {
	if port == nil || *port != "metrics" {
		p.add(at+".port", "must be the port named metrics")
	}
	if path != "" && path != "/metrics" {
		p.add(at+".path", "%q: the server serves /metrics", path)
	}
}

func checkIngress(p *problems, in *networkingv1.Ingress) {
	for _, r := range in.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, path := range r.HTTP.Paths {
			if path.Backend.Service == nil || path.Backend.Service.Port.Name != "http" {
				p.add("spec.rules.http.paths.backend", "must be a Service port named http")
			}
		}
	}
}

// checkKustomization: images are renamed to a registry, never to another
// image, and pinned to the server's version.
func checkKustomization(p *problems, k *kustomization, version string) {
	for _, img := range k.Images {
		if !projectImages[img.Name] {
			p.add("images", "%q is not one of the project's images", img.Name)
			continue
		}
		if img.NewName != "" {
			if _, name, tag := imageParts(img.NewName); name != img.Name || tag != "" {
				p.add("images", "newName %q must be REGISTRY/OWNER/%s (the tag goes in newTag)", img.NewName, img.Name)
			}
		}
		if img.Digest == "" && img.NewTag != version {
			p.add("images", "%s: newTag %q is not the server's version %s", img.Name, img.NewTag, version)
		}
	}
}
