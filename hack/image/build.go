package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonRoot is the user and group the commands run as; the deploy manifests
// ask for the same numbers (runAsUser, runAsGroup).
const nonRoot = 65532

// file is a regular file of the image.
type file struct {
	path string
	mode int64
	data []byte
}

// spec is what an image is built from.
type spec struct {
	files      []file
	arch       string
	created    time.Time
	repository string
}

// build returns the image of s: one layer, OCI media types, the non-root
// user, /usr/local/bin on the PATH.
func build(s spec) (v1.Image, error) {
	data, err := layerTar(s)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		History:   v1.History{Created: v1.Time{Time: s.created}, CreatedBy: "hack/image", Comment: "the catalog's binaries"},
		MediaType: types.OCILayer,
	})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", s.arch
	cfg.Created = v1.Time{Time: s.created}
	cfg.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", nonRoot, nonRoot),
		Env:        []string{"PATH=/usr/local/bin"},
		WorkingDir: "/home/nonroot",
		Cmd:        []string{"apiserver", "--help"},
		Labels: map[string]string{
			"org.opencontainers.image.source":      "https://" + s.repository,
			"org.opencontainers.image.title":       "service catalog",
			"org.opencontainers.image.description": "The Kubernetes service catalog: " + fmt.Sprint(commands),
		},
	}
	return mutate.ConfigFile(img, cfg)
}

// entry is one entry of a layer.
type entry struct {
	h    *tar.Header
	data []byte
}

// layerTar returns the layer of s as an uncompressed tar: directories, the
// user's passwd and group entries, then the files, all owned by root (the
// home directory by the user) and stamped with s.created.
func layerTar(s spec) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, data []byte) error {
		h.ModTime, h.Format = s.created, tar.FormatPAX
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	dir := func(name string, mode int64, owner int) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: owner, Gid: owner}
	}
	reg := func(name string, mode int64) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode}
	}
	entries := []entry{
		{dir("etc/", 0o755, 0), nil},
		{reg("etc/passwd", 0o644), fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonRoot, nonRoot)},
		{reg("etc/group", 0o644), fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", nonRoot)},
		{dir("home/", 0o755, 0), nil},
		{dir("home/nonroot/", 0o700, nonRoot), nil},
		{dir("tmp/", 0o1777, 0), nil},
		{dir("usr/", 0o755, 0), nil},
		{dir("usr/local/", 0o755, 0), nil},
		{dir("usr/local/bin/", 0o755, 0), nil},
	}
	for _, f := range s.files {
		entries = append(entries, entry{reg(f.path, f.mode), f.data})
	}
	for _, e := range entries {
		if err := add(e.h, e.data); err != nil {
			return nil, fmt.Errorf("writing %s to the layer: %w", e.h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
