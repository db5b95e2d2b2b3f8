package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// helpText is the real `otuserver --help` output; make k8s-check provides it.
func helpText(t *testing.T) string {
	t.Helper()
	path := os.Getenv("OTU_HELP_FILE")
	if path == "" {
		t.Fatal("OTU_HELP_FILE is not set: run through make k8s-check")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// opts are the real help text and the version make k8s-check passes.
func opts(t *testing.T) Options {
	t.Helper()
	v := os.Getenv("OTU_VERSION")
	if v == "" {
		t.Fatal("OTU_VERSION is not set: run through make k8s-check")
	}
	return Options{Help: helpText(t), Version: v}
}

func manifestFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../../../k8s", func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && isChart(p) {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) < 6 {
		t.Fatalf("manifests not found (%v, %d files)", err, len(files))
	}
	return files
}

func TestRealManifestsPass(t *testing.T) {
	if problems := CheckFiles(manifestFiles(t), opts(t)); len(problems) > 0 {
		t.Fatalf("problems in k8s/: %s", strings.Join(problems, "\n"))
	}
}

// mutated writes the real deployment with one change into a temp dir and checks it.
func mutated(t *testing.T, file, old, new string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../../k8s", file))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return CheckFiles([]string{path}, opts(t))
}

func expectProblem(t *testing.T, problems []string, want ...string) {
	t.Helper()
	for _, p := range problems {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(p, w)
		}
		if ok {
			return
		}
	}
	t.Fatalf("no problem mentioning %q among:\n%s", want, strings.Join(problems, "\n"))
}

func TestUnknownFieldIsCaught(t *testing.T) {
	p := mutated(t, "base/deployment.yaml", "  replicas: 2\n", "  replicas: 2\n  replcas: 3\n")
	expectProblem(t, p, "deployment.yaml", "unknown field", "replcas")
}

func TestWrongTypeIsCaught(t *testing.T) {
	p := mutated(t, "base/deployment.yaml", "  replicas: 2\n", "  replicas: two\n")
	expectProblem(t, p, "deployment.yaml", "replicas")
}

func TestWrongTypeInContainerIsCaught(t *testing.T) {
	p := mutated(t, "base/deployment.yaml", "containerPort: 8080", "containerPort: \"eight\"")
	expectProblem(t, p, "deployment.yaml", "containerPort")
}

func TestMissingProbeIsCaught(t *testing.T) {
	p := mutated(t, "base/deployment.yaml", "          readinessProbe:\n", "          readinessProbeX:\n")
	expectProblem(t, p, "unknown field")
	p = mutated(t, "base/deployment.yaml", `          readinessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
`, "")
	expectProblem(t, p, "deployment.yaml", "readinessProbe", "missing")
}

func TestRootIsCaught(t *testing.T) {
	p := mutated(t, "base/deployment.yaml", "        runAsUser: 65532\n", "        runAsUser: 0\n")
	expectProblem(t, p, "runAsUser", "root")
	p = mutated(t, "base/deployment.yaml", "            runAsNonRoot: true\n", "            runAsNonRoot: false\n")
	expectProblem(t, p, "runAsNonRoot", "may run as root")
}

func TestLatestTagIsCaught(t *testing.T) {
	p := mutated(t, "base/deployment.yaml", "image: otuserver:1.0.0", "image: otuserver:latest")
	expectProblem(t, p, "deployment.yaml", "image", "latest")
	p = mutated(t, "base/deployment.yaml", "image: otuserver:1.0.0", "image: registry.example:5000/otuserver")
	expectProblem(t, p, "image", "no tag")
	p = mutated(t, "loadtest-job.yaml", "image: otuserver-loadtest:1.0.0", "image: otuserver-loadtest:latest")
	expectProblem(t, p, "loadtest-job.yaml", "latest")
}

func TestSecurityContextItemsAreChecked(t *testing.T) {
	cases := map[string][2]string{
		"allowPrivilegeEscalation":      {"allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"},
		"readOnlyRootFilesystem":        {"readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"},
		"capabilities.drop":             {`drop: ["ALL"]`, `drop: ["NET_RAW"]`},
		"seccompProfile":                {"type: RuntimeDefault", "type: Unconfined"},
		"automountServiceAccountToken":  {"automountServiceAccountToken: false", "automountServiceAccountToken: true"},
		"enableServiceLinks":            {"enableServiceLinks: false", "enableServiceLinks: true"},
		"resources.limits.memory":       {"              memory: 64Mi\n", ""},
		"terminationGracePeriodSeconds": {"terminationGracePeriodSeconds: 20", "terminationGracePeriodSeconds: 12"},
		"maxUnavailable":                {"maxUnavailable: 0", "maxUnavailable: 1"},
	}
	for field, change := range cases {
		field := field
		p := mutated(t, "base/deployment.yaml", change[0], change[1])
		if field == "maxUnavailable" {
			field = "spec.strategy"
		}
		expectProblem(t, p, "deployment.yaml", field)
	}
}

func TestEnvAndPortAgreeWithHelp(t *testing.T) {
	p := mutated(t, "base/deployment.yaml", "            - name: OTUSERVER_LOG_LEVEL\n",
		"            - name: OTUSERVER_LOGLEVEL\n")
	expectProblem(t, p, "OTUSERVER_LOGLEVEL", "--help")
	p = mutated(t, "base/deployment.yaml", "containerPort: 8080", "containerPort: 9090")
	expectProblem(t, p, "OTUSERVER_PORT", "does not match containerPort 9090")
	p = mutated(t, "base/deployment.yaml", "containerPort: 8937", "containerPort: 8938")
	expectProblem(t, p, "OTUSERVER_METRICS_PORT", "metrics")
	// and the other way: a help text that lost a variable the manifests use
	help := strings.ReplaceAll(helpText(t), "OTUSERVER_GRACE_PERIOD", "OTUSERVER_GRACE")
	problems := CheckFiles(manifestFiles(t), Options{Help: help, Version: opts(t).Version})
	expectProblem(t, problems, "OTUSERVER_GRACE_PERIOD", "--help")
}

func TestLabelsAreRequired(t *testing.T) {
	for _, file := range []string{"base/deployment.yaml", "base/service.yaml", "base/pdb.yaml", "base/hpa.yaml",
		"loadtest-job.yaml", "monitoring/podmonitor.yaml", "monitoring/servicemonitor.yaml"} {
		p := mutated(t, file, "    app.kubernetes.io/managed-by: kustomize\n", "")
		expectProblem(t, p, filepath.Base(file), "metadata.labels", "app.kubernetes.io/managed-by is missing")
	}
	p := mutated(t, "base/deployment.yaml", "        app.kubernetes.io/component: server\n", "")
	expectProblem(t, p, "spec.template.metadata.labels", "app.kubernetes.io/component is missing")
}

func TestSelectorsUseNameAndInstanceOnly(t *testing.T) {
	p := mutated(t, "base/service.yaml", "  selector:\n", "  selector:\n    app.kubernetes.io/version: \"1.0.0\"\n")
	expectProblem(t, p, "service.yaml", "spec.selector", "app.kubernetes.io/version")
	p = mutated(t, "base/pdb.yaml", "      app.kubernetes.io/instance: otuserver\n", "")
	expectProblem(t, p, "pdb.yaml", "does not select on app.kubernetes.io/instance")
	p = mutated(t, "base/deployment.yaml", "    matchLabels:\n      app.kubernetes.io/name: otuserver\n",
		"    matchLabels:\n      app.kubernetes.io/name: other\n")
	expectProblem(t, p, "spec.selector", "does not select the pod template")
	p = mutated(t, "monitoring/podmonitor.yaml", "      app.kubernetes.io/instance: otuserver\n", "")
	expectProblem(t, p, "podmonitor.yaml", "spec.selector")
}

func TestMetricsPortIsTheProjects(t *testing.T) {
	p := mutated(t, "base/deployment.yaml", "value: \"8937\"", "value: \"9100\"")
	expectProblem(t, p, "OTUSERVER_METRICS_PORT", "node_exporter")
	p = mutated(t, "base/deployment.yaml", "prometheus.io/port: \"8937\"", "prometheus.io/port: \"9100\"")
	expectProblem(t, p, "prometheus.io/port", "node_exporter")
	p = mutated(t, "monitoring/podmonitor.yaml", "    - port: metrics\n", "    - port: http\n")
	expectProblem(t, p, "podMetricsEndpoints.port", "metrics")
	p = mutated(t, "monitoring/servicemonitor.yaml", "      path: /metrics\n", "      path: /stats\n")
	expectProblem(t, p, "endpoints.path")
}

func TestProbeTargets(t *testing.T) {
	// the first probe (startup) moved to the metrics port, then to a number
	p := mutated(t, "base/deployment.yaml", "              port: http\n", "              port: metrics\n")
	expectProblem(t, p, "startupProbe.httpGet.port", "site's port")
	p = mutated(t, "base/deployment.yaml", "              port: http\n", "              port: 8080\n")
	expectProblem(t, p, "startupProbe.httpGet.port")
	p = mutated(t, "base/deployment.yaml", "              path: /healthz\n", "              path: /other\n")
	expectProblem(t, p, "probes", "share one")
	p = mutated(t, "base/deployment.yaml", "              path: /healthz\n", "              path: healthz\n")
	expectProblem(t, p, "startupProbe.httpGet.path", "absolute")
}

func TestProbesAskTheHealthPath(t *testing.T) {
	// every probe on "/" (the site), the health path still set
	p := mutated(t, "base/deployment.yaml", "              path: /healthz\n", "              path: /\n")
	expectProblem(t, p, "probes", "not the health path")
	// the health path variable gone: nothing answers /healthz but the site
	p = mutated(t, "base/deployment.yaml", "            - name: OTUSERVER_HEALTH_PATH\n              value: /healthz\n", "")
	expectProblem(t, p, "env", "OTUSERVER_HEALTH_PATH")
}

func TestImageReferences(t *testing.T) {
	p := mutated(t, "base/deployment.yaml", "image: otuserver:1.0.0", "image: otuserver:0.9.0")
	expectProblem(t, p, "image", "not the server's version")
	p = mutated(t, "base/deployment.yaml", "image: otuserver:1.0.0", "image: nginx:1.27")
	expectProblem(t, p, "image", "not one of the project's images")
	p = mutated(t, "base/deployment.yaml", "image: otuserver:1.0.0", "image: someone/otuserver:1.0.0")
	expectProblem(t, p, "image", "name the registry")
	p = mutated(t, "base/deployment.yaml", "        app.kubernetes.io/version: \"1.0.0\"\n",
		"        app.kubernetes.io/version: \"2.0.0\"\n")
	expectProblem(t, p, "app.kubernetes.io/version", "differs from the image tag")
	p = mutated(t, "base/deployment.yaml", "imagePullPolicy: IfNotPresent", "imagePullPolicy: Always")
	expectProblem(t, p, "imagePullPolicy")
	p = mutated(t, "overlays/ghcr/kustomization.yaml", "    newTag: \"1.0.0\"\n", "    newTag: latest\n")
	expectProblem(t, p, "images", "not the server's version")
	p = mutated(t, "overlays/ghcr/kustomization.yaml", "newName: ghcr.io/otuserver/otuserver\n",
		"newName: ghcr.io/otuserver/nginx\n")
	expectProblem(t, p, "images", "REGISTRY/OWNER/otuserver")
}

func TestMonitorsAreDecodedStrictly(t *testing.T) {
	p := mutated(t, "monitoring/podmonitor.yaml", "      interval: 30s\n", "      intervall: 30s\n")
	expectProblem(t, p, "podmonitor.yaml", "unknown field", "intervall")
	p = mutated(t, "monitoring/servicemonitor.yaml", "  endpoints:\n", "  endpoint:\n")
	expectProblem(t, p, "servicemonitor.yaml", "unknown field")
}

func TestReplicasMayBeLeftToAnHPA(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"base/deployment.yaml", "base/hpa.yaml"} {
		data, err := os.ReadFile(filepath.Join("../../../k8s", f))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(data), "  replicas: 2\n", "", 1)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	both := []string{filepath.Join(dir, "deployment.yaml"), filepath.Join(dir, "hpa.yaml")}
	if p := CheckFiles(both, opts(t)); len(p) > 0 {
		t.Fatalf("a Deployment scaled by an HPA needs no replicas: %s", strings.Join(p, "\n"))
	}
	expectProblem(t, CheckFiles(both[:1], opts(t)), "spec.replicas", "no HorizontalPodAutoscaler")
}

func TestServiceAccountMountsNoToken(t *testing.T) {
	dir := t.TempDir()
	sa := `apiVersion: v1
kind: ServiceAccount
metadata:
  name: otuserver
  labels:
    app.kubernetes.io/name: otuserver
    app.kubernetes.io/instance: otuserver
    app.kubernetes.io/version: "%s"
    app.kubernetes.io/component: server
    app.kubernetes.io/part-of: otuserver
    app.kubernetes.io/managed-by: Helm
automountServiceAccountToken: %s
`
	write := func(automount string) []string {
		path := filepath.Join(dir, "sa.yaml")
		if err := os.WriteFile(path, []byte(fmt.Sprintf(sa, os.Getenv("OTU_VERSION"), automount)), 0o644); err != nil {
			t.Fatal(err)
		}
		return CheckFiles([]string{path}, opts(t))
	}
	if p := write("false"); len(p) != 0 {
		t.Fatalf("a ServiceAccount without a token was refused:\n%s", strings.Join(p, "\n"))
	}
	expectProblem(t, write("true"), "automountServiceAccountToken", "must be false")
}
