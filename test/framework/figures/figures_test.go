package figures

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReportWritesTheStampAndLatest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	path, err := WriteReport(dir, "20261207T000000Z", map[string]int{"orphans": 0})
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "20261207T000000Z.json") {
		t.Errorf("path %s", path)
	}
	for _, name := range []string{"20261207T000000Z.json", "latest.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(data) != "{\n  \"orphans\": 0\n}\n" {
			t.Errorf("%s: %q, %v", name, data, err)
		}
	}
}

func TestHTTPGetWantsA200(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			_, _ = w.Write([]byte("fine"))
			return
		}
		http.Error(w, strings.Repeat("x", 400), http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	if body, err := HTTPGet(context.Background(), srv.Client(), srv.URL+"/ok"); err != nil || string(body) != "fine" {
		t.Errorf("GET /ok: %q, %v", body, err)
	}
	_, err := HTTPGet(context.Background(), srv.Client(), srv.URL+"/down")
	if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable: "+strings.Repeat("x", 300)+"...") {
		t.Errorf("GET /down: %v, want the status and the start of the body", err)
	}
}
