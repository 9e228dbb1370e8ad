// Command image builds the catalog's container image without a container
// engine (see pkg/ociimage): one layer holding the static binaries of
// apiserver, controller-manager and test-broker in /usr/local/bin, and the
// passwd and group entries of the non-root user 65532 they run as; no shell,
// no package manager. The same binaries give the same image digest.
//
//	go run ./hack/image --bin-dir=_output/image/bin --out=_output/image
//
// writes
//
//	_output/image/oci/         an OCI image layout, tagged with --tag
//	_output/image/catalog.tar  the same image as a tarball for `podman load` or `ctr images import`
//	_output/image/digest       the image's digest (sha256:...)
//	_output/image/reference    repository@digest, the reference a release pins
//
// The repository is read from the images entry named "catalog" in
// artifacts/deploy/base/kustomization.yaml, the one place the image is named.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/ociimage"
)

// commands are the binaries the image carries, in /usr/local/bin.
var commands = []string{"apiserver", "controller-manager", "test-broker"}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	binDir := fs.String("bin-dir", "_output/image/bin", "directory holding the static binaries "+fmt.Sprint(commands))
	out := fs.String("out", "_output/image", "directory to write the image to")
	kustomization := fs.String("kustomization", "artifacts/deploy/base/kustomization.yaml", "kustomization whose images entry \"catalog\" names the repository")
	tag := fs.String("tag", "latest", "tag of the image in the tarball and the layout")
	arch := fs.String("arch", "amd64", "architecture of the binaries")
	epoch := fs.Int64("created", 0, "creation time of the image and its files, in seconds since 1970 (a commit's time keeps builds reproducible)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	repository, err := repositoryFrom(*kustomization)
	if err != nil {
		return err
	}
	files, err := binaries(*binDir)
	if err != nil {
		return err
	}
	img, err := ociimage.Build(ociimage.Spec{
		Files: files, Arch: *arch, Created: time.Unix(*epoch, 0).UTC(),
		Cmd: []string{"apiserver", "--help"},
		Labels: map[string]string{
			"org.opencontainers.image.source":      "https://" + repository,
			"org.opencontainers.image.title":       "service catalog",
			"org.opencontainers.image.description": "The Kubernetes service catalog: " + strings.Join(commands, ", "),
		},
	})
	if err != nil {
		return err
	}
	digest, err := ociimage.Write(img, repository+":"+*tag, *out, "catalog.tar")
	if err != nil {
		return err
	}
	fmt.Printf("image %s@%s\n", repository, digest)
	return nil
}

// binaries reads the commands' binaries from dir.
func binaries(dir string) ([]ociimage.File, error) {
	var files []ociimage.File
	for _, c := range commands {
		data, err := os.ReadFile(filepath.Join(dir, c))
		if err != nil {
			return nil, fmt.Errorf("reading the %s binary: %w", c, err)
		}
		files = append(files, ociimage.File{Path: "usr/local/bin/" + c, Mode: 0o755, Data: data})
	}
	return files, nil
}
