// yaml2json reads YAML documents the way kubectl, Flux and Argo CD do (sigs.k8s.io/yaml, whose
// goyaml.v2 takes YAML 1.1 scalars) and prints each one's JSON, so that homelab-dr's manifest reader
// can be compared with it. Input on stdin: a JSON array of YAML documents (strings). Output on stdout:
// a JSON array with, for each document, {"json": <the converted value>} or {"error": "<message>"}.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/yaml"
)

// version is set at build time to the pinned sigs.k8s.io/yaml version.
var version = "unknown"

type result struct {
	JSON  json.RawMessage `json:"json,omitempty"`
	Error string          `json:"error,omitempty"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("yaml2json sigs.k8s.io/yaml %s\n", version)
		return
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var docs []string
	if err := json.Unmarshal(input, &docs); err != nil {
		fail(fmt.Errorf("stdin must be a JSON array of strings: %w", err))
	}
	results := make([]result, len(docs))
	for i, doc := range docs {
		out, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			results[i].Error = err.Error()
		} else {
			results[i].JSON = out
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "yaml2json:", err)
	os.Exit(2)
}
