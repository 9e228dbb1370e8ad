package main

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/yaml"
)

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
