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
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

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
func CheckFiles(files []string, help string) []string {
	p := &problems{}
	helpVars := map[string]bool{}
	for _, m := range regexp.MustCompile(`OTUSERVER_[A-Z_]+`).FindAllString(help, -1) {
		helpVars[m] = true
	}
	if len(helpVars) == 0 {
		p.list = append(p.list, "the --help text names no OTUSERVER_ variable")
	}
	patches := patchFiles(files)
	for _, path := range files {
		p.file = path
		data, err := os.ReadFile(path)
		if err != nil {
			p.add("file", "%v", err)
			continue
		}
		patch := patches[filepath.Clean(path)]
		for i, doc := range splitDocuments(data) {
			checkDocument(p, doc, i, patch, helpVars)
		}
	}
	return p.list
}

func checkDocument(p *problems, doc []byte, index int, patch bool, helpVars map[string]bool) {
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
		strict(&kustomization{})
	case "Deployment":
		var d appsv1.Deployment
		if strict(&d) && !patch {
			checkDeployment(p, &d, helpVars)
		}
	case "Job":
		var j batchv1.Job
		if strict(&j) {
			checkPodSpec(p, "spec.template.spec", &j.Spec.Template.Spec, false, helpVars)
		}
	case "Service":
		var s corev1.Service
		if strict(&s) {
			checkService(p, &s)
		}
	case "ConfigMap":
		strict(&corev1.ConfigMap{})
	case "PodDisruptionBudget":
		if tm.APIVersion != "policy/v1" {
			p.add("apiVersion", "PodDisruptionBudget must use policy/v1, not %q", tm.APIVersion)
		}
		strict(&policyv1.PodDisruptionBudget{})
	case "HorizontalPodAutoscaler":
		if tm.APIVersion != "autoscaling/v2" {
			p.add("apiVersion", "HorizontalPodAutoscaler must use autoscaling/v2, not %q", tm.APIVersion)
		}
		var h autoscalingv2.HorizontalPodAutoscaler
		if strict(&h) && len(h.Spec.Metrics) == 0 {
			p.add("spec.metrics", "no metric to scale on")
		}
	case "":
		p.add(fmt.Sprintf("document %d", index), "no kind")
	default:
		p.add("kind", "%q is not a kind this project uses; add it to k8scheck", tm.Kind)
	}
}

func checkDeployment(p *problems, d *appsv1.Deployment, helpVars map[string]bool) {
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		p.add("spec.replicas", "must be at least 2")
	}
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
	for name, probe := range map[string]*corev1.Probe{"readinessProbe": c.ReadinessProbe,
		"livenessProbe": c.LivenessProbe, "startupProbe": c.StartupProbe} {
		if probe == nil {
			p.add(at+"."+name, "missing")
		} else if probe.HTTPGet == nil {
			p.add(at+"."+name, "must be an httpGet probe")
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
