// Command k8scheck validates otuserver's Kubernetes manifests without a cluster.
//
// Every document of every YAML file is decoded strictly into the official
// k8s.io/api type for its kind, so an unknown field or a wrong type is an
// error.  Workloads are then held to the project's policy (securityContext,
// probes, resources, image tags, graceful rollouts), and the environment
// variables and port are checked against the server's own --help text.
//
//	usage: k8scheck -help-text FILE DIR...
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
	flag.Parse()
	if *helpFile == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: k8scheck -help-text FILE DIR...")
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
	problems := CheckFiles(files, string(help))
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
