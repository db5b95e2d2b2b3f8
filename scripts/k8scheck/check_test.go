package main

import (
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

func manifestFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../../k8s", func(p string, d os.DirEntry, err error) error {
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
	if problems := CheckFiles(manifestFiles(t), helpText(t)); len(problems) > 0 {
		t.Fatalf("problems in k8s/: %s", strings.Join(problems, "\n"))
	}
}

// mutated writes the real deployment with one change into a temp dir and checks it.
func mutated(t *testing.T, file, old, new string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../k8s", file))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	path := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return CheckFiles([]string{path}, helpText(t))
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
	p := mutated(t, "deployment.yaml", "  replicas: 2\n", "  replicas: 2\n  replcas: 3\n")
	expectProblem(t, p, "deployment.yaml", "unknown field", "replcas")
}

func TestWrongTypeIsCaught(t *testing.T) {
	p := mutated(t, "deployment.yaml", "  replicas: 2\n", "  replicas: two\n")
	expectProblem(t, p, "deployment.yaml", "replicas")
}

func TestWrongTypeInContainerIsCaught(t *testing.T) {
	p := mutated(t, "deployment.yaml", "containerPort: 8080", "containerPort: \"eight\"")
	expectProblem(t, p, "deployment.yaml", "containerPort")
}

func TestMissingProbeIsCaught(t *testing.T) {
	p := mutated(t, "deployment.yaml", "          readinessProbe:\n", "          readinessProbeX:\n")
	expectProblem(t, p, "unknown field")
	p = mutated(t, "deployment.yaml", `          readinessProbe:
            httpGet:
              path: /
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
`, "")
	expectProblem(t, p, "deployment.yaml", "readinessProbe", "missing")
}

func TestRootIsCaught(t *testing.T) {
	p := mutated(t, "deployment.yaml", "        runAsUser: 65532\n", "        runAsUser: 0\n")
	expectProblem(t, p, "runAsUser", "root")
	p = mutated(t, "deployment.yaml", "            runAsNonRoot: true\n", "            runAsNonRoot: false\n")
	expectProblem(t, p, "runAsNonRoot", "may run as root")
}

func TestLatestTagIsCaught(t *testing.T) {
	p := mutated(t, "deployment.yaml", "image: otuserver:1.0.0", "image: otuserver:latest")
	expectProblem(t, p, "deployment.yaml", "image", "latest")
	p = mutated(t, "deployment.yaml", "image: otuserver:1.0.0", "image: registry.example:5000/otuserver")
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
		p := mutated(t, "deployment.yaml", change[0], change[1])
		if field == "maxUnavailable" {
			field = "spec.strategy"
		}
		expectProblem(t, p, "deployment.yaml", field)
	}
}

func TestEnvAndPortAgreeWithHelp(t *testing.T) {
	p := mutated(t, "deployment.yaml", "            - name: OTUSERVER_LOG_LEVEL\n",
		"            - name: OTUSERVER_LOGLEVEL\n")
	expectProblem(t, p, "OTUSERVER_LOGLEVEL", "--help")
	p = mutated(t, "deployment.yaml", "containerPort: 8080", "containerPort: 9090")
	expectProblem(t, p, "OTUSERVER_PORT", "does not match containerPort 9090")
	p = mutated(t, "deployment.yaml", "containerPort: 9100", "containerPort: 9200")
	expectProblem(t, p, "OTUSERVER_METRICS_PORT", "metrics")
	// and the other way: a help text that lost a variable the manifests use
	help := strings.ReplaceAll(helpText(t), "OTUSERVER_GRACE_PERIOD", "OTUSERVER_GRACE")
	problems := CheckFiles(manifestFiles(t), help)
	expectProblem(t, problems, "OTUSERVER_GRACE_PERIOD", "--help")
}
