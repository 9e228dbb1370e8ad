package options

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

const testKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`

// TestContentType checks that both APIs are spoken in protobuf by default, with JSON
// accepted back, that JSON can be chosen, and that anything else is refused by name.
func TestContentType(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(testKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ flag, contentType, accept string }{
		{"", runtime.ContentTypeProtobuf, runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON},
		{runtime.ContentTypeJSON, runtime.ContentTypeJSON, ""},
	} {
		o := NewOptions()
		o.Kubeconfig = path
		if tc.flag != "" {
			o.ContentType = tc.flag
		}
		catalog, core, err := o.restConfigs()
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct{ got, accept string }{
			"catalog": {catalog.ContentType, catalog.AcceptContentTypes},
			"core":    {core.ContentType, core.AcceptContentTypes},
		} {
			if c.got != tc.contentType || c.accept != tc.accept {
				t.Errorf("--kube-api-content-type=%q: %s API sends %q and accepts %q, want %q and %q", tc.flag, name, c.got, c.accept, tc.contentType, tc.accept)
			}
		}
	}
	o := NewOptions()
	o.Kubeconfig, o.ContentType = path, "application/yaml"
	if _, _, err := o.restConfigs(); err == nil || !strings.Contains(err.Error(), "--kube-api-content-type") {
		t.Errorf("YAML: %v", err)
	}
}
