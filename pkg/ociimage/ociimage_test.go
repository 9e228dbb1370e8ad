package ociimage

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

var commands = []string{"apiserver", "controller-manager", "test-broker"}

func testSpec(created time.Time) Spec {
	var files []File
	for _, c := range commands {
		files = append(files, File{Path: "usr/local/bin/" + c, Mode: 0o755, Data: []byte("binary of " + c)})
	}
	return Spec{Files: files, Arch: "amd64", Created: created, Cmd: []string{"apiserver", "--help"}}
}

func digestOf(t *testing.T, s Spec) v1.Hash {
	t.Helper()
	img, err := Build(s)
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
	changed.Files[0].Data = []byte("another binary")
	if d := digestOf(t, changed); d == first {
		t.Errorf("a build of other binaries has the same digest %s", d)
	}
}

func TestImageRunsAsNonRootWithTheCommandsOnThePath(t *testing.T) {
	at := time.Unix(1_790_000_000, 0).UTC()
	img, err := Build(testSpec(at))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" || !cmp.Equal(cfg.Config.Env, []string{"PATH=/usr/local/bin"}) || cfg.OS != "linux" || cfg.Architecture != "amd64" ||
		!cmp.Equal(cfg.Config.Cmd, []string{"apiserver", "--help"}) {
		t.Errorf("config: user %q, env %q, platform %s/%s, cmd %q", cfg.Config.User, cfg.Config.Env, cfg.OS, cfg.Architecture, cfg.Config.Cmd)
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
	img, err := Build(testSpec(time.Unix(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	digest, err := Write(img, "registry.example.com/catalog:v1", dir, "catalog.tar")
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
