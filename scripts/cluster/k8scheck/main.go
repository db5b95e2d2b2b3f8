// Command k8scheck validates otuserver's Kubernetes manifests without a cluster.
//
// Every document of every YAML file is decoded strictly into the official
// k8s.io/api type for its kind, so an unknown field or a wrong type is an
// error.  Workloads are then held to the project's policy (securityContext,
// probes, resources, image tags, graceful rollouts), and the environment
// variables and port are checked against the server's own --help text.
//
// PodMonitor and ServiceMonitor are decoded into the prometheus-operator's
// own API types.  Every object carries the app.kubernetes.io labels, selectors
// use name and instance only, the metrics port is the project's (MetricsPort),
// probes ask the site's named port, and images are the project's own at its
// version (kustomize `images:` included).
//
//	usage: k8scheck -help-text FILE -version VERSION DIR...
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	helpFile := flag.String("help-text", "", "file holding `otuserver --help` output (required)")
	version := flag.String("version", "", "the server's version, for image tags and labels (required)")
	flag.Parse()
	if *helpFile == "" || *version == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: k8scheck -help-text FILE -version VERSION DIR...")
		os.Exit(2)
	}
	help, err := os.ReadFile(*helpFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k8scheck: %v\n", err)
		os.Exit(2)
	}
	var files []string
	for _, dir := range flag.Args() {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && isChart(path) {
				return filepath.SkipDir // templates are not YAML: charts are checked through helm template
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "k8scheck: %v\n", err)
			os.Exit(2)
		}
	}
	sort.Strings(files)
	problems := CheckFiles(files, Options{Help: string(help), Version: *version})
	for _, p := range problems {
		fmt.Println("FAIL:", p)
	}
	fmt.Printf("k8scheck: %d files, %d problems\n", len(files), len(problems))
	if len(problems) > 0 {
		fmt.Printf("0 passed, 1 failed\n")
		os.Exit(1)
	}
	fmt.Printf("1 passed, 0 failed\n")
}

// isChart tells a Helm chart's folder (it holds Chart.yaml).
func isChart(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil
}
