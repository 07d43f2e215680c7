// The e2e homelab's app (issue 12): a static HTTP server that proves, from inside a real pod, that its
// Secret was mounted and that its PersistentVolume keeps data across a cluster rebuild.
//
// On start it appends one line to DATA_DIR/starts.log (unless DATA_DIR is empty: a pod without a PVC),
// so a pod of a rebuilt cluster that finds the lines of the old one shows the data survived. It never
// prints or serves a secret value: /status gives each secret file's presence and SHA-256 only.
//
//	LISTEN      address to serve on (default :8080)
//	SECRET_DIR  directory of the mounted Secret (default /etc/app-secret)
//	DATA_DIR    directory of the mounted PVC; empty for none (default /data)
//	POD_NAME    written into each start line, to tell the pods apart
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// SecretFile is what /status says about one key of the mounted Secret: never its value.
type SecretFile struct {
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
}

// Status is the body of /status.
type Status struct {
	SecretDir   string       `json:"secretDir"`
	SecretFiles []SecretFile `json:"secretFiles"`
	DataDir     string       `json:"dataDir,omitempty"`
	// Starts are the lines of starts.log, oldest first: one per start of a pod on this volume.
	Starts []string `json:"starts,omitempty"`
}

func envOr(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return fallback
}

// readSecretFiles lists the Secret's keys. The kubelet mounts them as symlinks into a ..data
// directory, so entries starting with ".." are its bookkeeping, not keys.
func readSecretFiles(dir string) ([]SecretFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := []SecretFile{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") {
			continue
		}
		value, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(value)
		files = append(files, SecretFile{Key: e.Name(), SHA256: hex.EncodeToString(sum[:]), Bytes: len(value)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Key < files[j].Key })
	return files, nil
}

// recordStart appends this start to DATA_DIR/starts.log and syncs it, so it survives the node.
func recordStart(dataDir, pod string, now time.Time) error {
	f, err := os.OpenFile(filepath.Join(dataDir, "starts.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%s %s\n", now.UTC().Format(time.RFC3339Nano), pod); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readStarts(dataDir string) ([]string, error) {
	text, err := os.ReadFile(filepath.Join(dataDir, "starts.log"))
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(text), "\n"), "\n"), nil
}

func currentStatus(secretDir, dataDir string) (Status, error) {
	files, err := readSecretFiles(secretDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Status{}, err
	}
	status := Status{SecretDir: secretDir, SecretFiles: files, DataDir: dataDir}
	if files == nil {
		status.SecretFiles = []SecretFile{}
	}
	if dataDir != "" {
		if status.Starts, err = readStarts(dataDir); err != nil {
			return Status{}, err
		}
	}
	return status, nil
}

func handler(secretDir, dataDir string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, _ *http.Request) {
		status, err := currentStatus(secretDir, dataDir)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(status)
	})
	return mux
}

func main() {
	listen := envOr("LISTEN", ":8080")
	secretDir := envOr("SECRET_DIR", "/etc/app-secret")
	dataDir := envOr("DATA_DIR", "/data")
	if dataDir != "" {
		// A start that cannot be recorded is fatal: the pod must not look healthy without its volume.
		if err := recordStart(dataDir, envOr("POD_NAME", "unknown"), time.Now()); err != nil {
			log.Fatalf("recording the start in %s: %v", dataDir, err)
		}
	}
	log.Printf("serving on %s (secret dir %s, data dir %q)", listen, secretDir, dataDir)
	log.Fatal(http.ListenAndServe(listen, handler(secretDir, dataDir)))
}
