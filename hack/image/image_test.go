package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func testSpec(created time.Time) spec {
	var files []file
	for _, c := range commands {
		files = append(files, file{path: "usr/local/bin/" + c, mode: 0o755, data: []byte("binary of " + c)})
	}
	return spec{files: files, arch: "amd64", created: created, repository: "registry.example.com/catalog"}
}

func digestOf(t *testing.T, s spec) v1.Hash {
	t.Helper()
	img, err := build(s)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSameInputsGiveTheSameDigest(t *testing.T) {
	at := time.Unix(1_790_000_000, 0).UTC()
	first, second := digestOf(t, testSpec(at)), digestOf(t, testSpec(at))
	if first != second {
		t.Errorf("two builds of the same binaries: %s and %s", first, second)
	}
	if later := digestOf(t, testSpec(at.Add(time.Second))); later == first {
		t.Errorf("a build at another time has the same digest %s", later)
	}
	changed := testSpec(at)
	changed.files[0].data = []byte("another binary")
	if d := digestOf(t, changed); d == first {
		t.Errorf("a build of other binaries has the same digest %s", d)
	}
}

func TestImageRunsAsNonRootWithTheCommandsOnThePath(t *testing.T) {
	at := time.Unix(1_790_000_000, 0).UTC()
	img, err := build(testSpec(at))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" || !cmp.Equal(cfg.Config.Env, []string{"PATH=/usr/local/bin"}) || cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("config: user %q, env %q, platform %s/%s", cfg.Config.User, cfg.Config.Env, cfg.OS, cfg.Architecture)
	}
	if !cfg.Created.Equal(at) {
		t.Errorf("created %v, want %v", cfg.Created.Time, at)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(at) {
			t.Errorf("%s: time %v, want %v", h.Name, h.ModTime, at)
		}
		data, _ := io.ReadAll(tr)
		got[h.Name] = strings.Join([]string{os.FileMode(h.Mode).String(), strconv.Itoa(h.Uid), string(data)}, " ")
	}
	want := map[string]string{
		"usr/local/bin/apiserver":          "-rwxr-xr-x 0 binary of apiserver",
		"usr/local/bin/controller-manager": "-rwxr-xr-x 0 binary of controller-manager",
		"usr/local/bin/test-broker":        "-rwxr-xr-x 0 binary of test-broker",
		"home/nonroot/":                    "-rwx------ 65532 ",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	if !strings.Contains(got["etc/passwd"], "nonroot:x:65532:65532:") {
		t.Errorf("etc/passwd: %q", got["etc/passwd"])
	}
}

func TestWriteGivesALayoutAndATarballOfOneImage(t *testing.T) {
	img, err := build(testSpec(time.Unix(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	digest, err := write(img, "registry.example.com/catalog:v1", dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	index, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := index.IndexManifest()
	if err != nil || len(manifest.Manifests) != 1 {
		t.Fatalf("layout index: %v, %v", manifest, err)
	}
	if got := manifest.Manifests[0]; got.Digest.String() != digest || got.Annotations["org.opencontainers.image.ref.name"] != "v1" {
		t.Errorf("layout holds %s %v, want %s tagged v1", got.Digest, got.Annotations, digest)
	}
	fromTar, err := tarball.ImageFromPath(filepath.Join(dir, "catalog.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A tarball keeps the config and layers, not the manifest: it holds the
	// same image when it holds the same config (the image ID).
	wantID, _ := img.ConfigName()
	if id, err := fromTar.ConfigName(); err != nil || id != wantID {
		t.Errorf("tarball holds config %s (%v), want %s", id, err, wantID)
	}
	for file, want := range map[string]string{"digest": digest, "reference": "registry.example.com/catalog@" + digest} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || string(data) != want+"\n" {
			t.Errorf("%s: %q (%v), want %q", file, data, err, want)
		}
	}
}

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
