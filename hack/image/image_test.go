package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRepositoryFromKustomization(t *testing.T) {
	repo, err := repositoryFrom("../../artifacts/deploy/base/kustomization.yaml")
	if err != nil || repo == "" {
		t.Fatalf("the shipped kustomization: %q, %v", repo, err)
	}
	dir := t.TempDir()
	for name, tc := range map[string]struct{ yaml, wantErr string }{
		"no entry":      {"images:\n- name: other\n  newName: example.com/other\n", `no images entry with name "catalog"`},
		"bad name":      {"images:\n- name: catalog\n  newName: Not/A/Repo\n", "images[name=catalog].newName"},
		"not kustomize": {"images: 3\n", "kustomization.yaml"},
	} {
		path := filepath.Join(dir, "kustomization.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := repositoryFrom(path); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: %v, want an error saying %s", name, err, tc.wantErr)
		}
	}
}
