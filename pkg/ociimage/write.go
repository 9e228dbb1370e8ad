package ociimage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	v1tarball "github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Write writes img, tagged ref, under dir and returns its digest: an OCI image
// layout in dir/oci, a tarball for `podman load` or `ctr images import` in
// dir/<tarball>, the digest in dir/digest and repository@digest in
// dir/reference. What a previous call wrote there is replaced.
func Write(img v1.Image, ref, dir, tarball string) (string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	ociDir := filepath.Join(dir, "oci")
	if err := os.RemoveAll(ociDir); err != nil {
		return "", err
	}
	p, err := layout.Write(ociDir, empty.Index)
	if err != nil {
		return "", err
	}
	annotations := map[string]string{"org.opencontainers.image.ref.name": tag.TagStr(), "io.containerd.image.name": tag.Name()}
	if err := p.AppendImage(img, layout.WithAnnotations(annotations)); err != nil {
		return "", fmt.Errorf("writing the OCI layout: %w", err)
	}
	if err := v1tarball.WriteToFile(filepath.Join(dir, tarball), tag, img); err != nil {
		return "", fmt.Errorf("writing the tarball: %w", err)
	}
	for file, content := range map[string]string{
		"digest":    digest.String(),
		"reference": tag.Context().Name() + "@" + digest.String(),
	} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	return digest.String(), nil
}
