// Package ociimage builds container images without a container engine: one layer of
// static files, the passwd and group entries of one non-root user, OCI media types.
// Every file has the same owner and time, so the same files give the same digest.
package ociimage

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

// NonRoot is the user and group the images run as; the deploy manifests ask for
// the same numbers (runAsUser, runAsGroup).
const NonRoot = 65532

// File is a regular file of an image.
type File struct {
	// Path is the file's path in the image, without a leading slash.
	Path string
	// Mode is the file's permission bits.
	Mode int64
	// Data is the file's content.
	Data []byte
}

// Spec is what an image is built from.
type Spec struct {
	// Files are the image's files, in /usr/local/bin for commands.
	Files []File
	// Arch is the architecture of the files (amd64, arm64, ...).
	Arch string
	// Created is the time of the image and of every file in it.
	Created time.Time
	// Entrypoint and Cmd are what the image runs.
	Entrypoint, Cmd []string
	// Labels are the image's labels.
	Labels map[string]string
}

// Build returns the image of s: one layer, OCI media types, the user NonRoot,
// /usr/local/bin on the PATH.
func Build(s Spec) (v1.Image, error) {
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
		History:   v1.History{Created: v1.Time{Time: s.Created}, CreatedBy: "ociimage"},
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
	cfg.OS, cfg.Architecture = "linux", s.Arch
	cfg.Created = v1.Time{Time: s.Created}
	cfg.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", NonRoot, NonRoot),
		Env:        []string{"PATH=/usr/local/bin"},
		WorkingDir: "/home/nonroot",
		Entrypoint: s.Entrypoint,
		Cmd:        s.Cmd,
		Labels:     s.Labels,
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
// home directory by the user) and stamped with s.Created.
func layerTar(s Spec) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, data []byte) error {
		h.ModTime, h.Format = s.Created, tar.FormatPAX
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
		{reg("etc/passwd", 0o644), fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", NonRoot, NonRoot)},
		{reg("etc/group", 0o644), fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", NonRoot)},
		{dir("home/", 0o755, 0), nil},
		{dir("home/nonroot/", 0o700, NonRoot), nil},
		{dir("tmp/", 0o1777, 0), nil},
		{dir("usr/", 0o755, 0), nil},
		{dir("usr/local/", 0o755, 0), nil},
		{dir("usr/local/bin/", 0o755, 0), nil},
	}
	for _, f := range s.Files {
		entries = append(entries, entry{reg(f.Path, f.Mode), f.Data})
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
