package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A Secret volume as the kubelet lays it out: keys are symlinks into ..data.
func secretVolume(t *testing.T, values map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "..2026_01_01_00_00_00.000000000")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(data), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for key, value := range values {
		if err := os.WriteFile(filepath.Join(data, key), []byte(value), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", key), filepath.Join(dir, key)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func getStatus(t *testing.T, h http.Handler) (Status, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/status: %d %s", rec.Code, rec.Body.String())
	}
	var s Status
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	return s, rec.Body.String()
}

func TestStatusGivesHashesNeverValues(t *testing.T) {
	secrets := secretVolume(t, map[string]string{"token": "e2e-token-value"})
	data := t.TempDir()
	if err := recordStart(data, "app-1", time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	s, body := getStatus(t, handler(secrets, data))
	if strings.Contains(body, "e2e-token-value") {
		t.Fatalf("/status shows the secret value: %s", body)
	}
	// sha256("e2e-token-value")
	want := SecretFile{Key: "token", SHA256: "aa7be73d1b47194802493772cfc814128d4b8c5204c5a44f259fddd252f9569f", Bytes: 15}
	if len(s.SecretFiles) != 1 || s.SecretFiles[0] != want {
		t.Fatalf("secret files: %+v", s.SecretFiles)
	}
	if got := strings.Join(s.Starts, "|"); got != "1970-01-01T00:00:00Z app-1" {
		t.Fatalf("starts: %q", got)
	}
}

func TestStartsAccumulateOnTheVolume(t *testing.T) {
	data := t.TempDir()
	for _, pod := range []string{"old-cluster-pod", "new-cluster-pod"} {
		if err := recordStart(data, pod, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := getStatus(t, handler(t.TempDir(), data))
	if len(s.Starts) != 2 || !strings.HasSuffix(s.Starts[0], "old-cluster-pod") || !strings.HasSuffix(s.Starts[1], "new-cluster-pod") {
		t.Fatalf("starts: %q", s.Starts)
	}
}

func TestMissingSecretDirIsAnEmptyListAndNoDataDirMeansNoStarts(t *testing.T) {
	s, _ := getStatus(t, handler(filepath.Join(t.TempDir(), "absent"), ""))
	if len(s.SecretFiles) != 0 || s.Starts != nil {
		t.Fatalf("status: %+v", s)
	}
}

func TestUnwritableDataDirFailsTheStart(t *testing.T) {
	if err := recordStart(filepath.Join(t.TempDir(), "absent"), "p", time.Now()); err == nil {
		t.Fatal("recordStart into a missing directory succeeded")
	}
}

func TestHealthz(t *testing.T) {
	rec := httptest.NewRecorder()
	handler(t.TempDir(), "").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Fatalf("/healthz: %d %q", rec.Code, rec.Body.String())
	}
}
