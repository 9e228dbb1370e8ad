package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"sigs.k8s.io/yaml"
)

// write writes img, tagged ref, under dir (see the package comment) and
// returns its digest. What a previous run wrote there is replaced.
func write(img v1.Image, ref, dir string) (string, error) {
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
	if err := tarball.WriteToFile(filepath.Join(dir, "catalog.tar"), tag, img); err != nil {
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

// repositoryFrom returns the repository that the images entry named
// "catalog" of a kustomization gives the image.
func repositoryFrom(kustomization string) (string, error) {
	data, err := os.ReadFile(kustomization)
	if err != nil {
		return "", err
	}
	var k struct {
		Images []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
		} `json:"images"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return "", fmt.Errorf("%s: %w", kustomization, err)
	}
	for _, img := range k.Images {
		if img.Name == "catalog" && img.NewName != "" {
			if _, err := name.NewRepository(img.NewName); err != nil {
				return "", fmt.Errorf("%s: images[name=catalog].newName: %w", kustomization, err)
			}
			return img.NewName, nil
		}
	}
	return "", fmt.Errorf("%s: no images entry with name \"catalog\" and a newName", kustomization)
}
