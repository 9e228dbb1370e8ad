// Package image runs the catalog's image, as make image builds it, under a real
// container runtime: podman with runc, the way a node runs it (read-only root,
// no capabilities, its own non-root user, no network).
package image

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// imageDir is where make image writes the image, from the repository root.
const imageDir = "_output/image"

// podman runs podman on a store of its own under dir, with runc.
type podman struct {
	t     *testing.T
	flags []string
}

func newPodman(t *testing.T) *podman {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		t.Fatal("podman is not installed: run hack/install-container-runtime.sh (make test-image does)")
	}
	// Not t.TempDir: podman refuses a run root path longer than 50 characters.
	dir, err := os.MkdirTemp("", "catalog-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return &podman{t: t, flags: []string{
		"--root", filepath.Join(dir, "storage"), "--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager", "cgroupfs",
		"--events-backend", "file", "--tmpdir", filepath.Join(dir, "tmp"),
	}}
}

// run runs podman with args and returns its stdout, stderr and error.
func (p *podman) run(args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("podman", append(slices.Clone(p.flags), args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// hardLimit returns the hard limit of resource: a container may not ask for more
// without CAP_SYS_RESOURCE, which podman's defaults do.
func hardLimit(t *testing.T, resource int) string {
	t.Helper()
	var l unix.Rlimit
	if err := unix.Getrlimit(resource, &l); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatUint(l.Max, 10)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// configDigest returns the digest of the config of the one image in the OCI layout
// under dir: the image ID a runtime shows.
func configDigest(t *testing.T, dir string) string {
	t.Helper()
	read := func(path string, v any) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run make image)", err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	blob := func(digest string) string {
		return filepath.Join(dir, "blobs", strings.Replace(digest, ":", "/", 1))
	}
	var index struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	read(filepath.Join(dir, "index.json"), &index)
	if len(index.Manifests) != 1 {
		t.Fatalf("the layout holds %d images, want 1", len(index.Manifests))
	}
	var manifest struct {
		Config struct{ Digest string } `json:"config"`
	}
	read(blob(index.Manifests[0].Digest), &manifest)
	return manifest.Config.Digest
}

func TestImageRunsUnderARealRuntime(t *testing.T) {
	root := repoRoot(t)
	wantID := strings.TrimPrefix(configDigest(t, filepath.Join(root, imageDir, "oci")), "sha256:")
	p := newPodman(t)

	out, errOut, err := p.run("load", "--input", filepath.Join(root, imageDir, "catalog.tar"))
	if err != nil {
		t.Fatalf("podman load: %v\n%s%s", err, out, errOut)
	}
	m := regexp.MustCompile(`Loaded image(?:\(s\))?: (\S+)`).FindStringSubmatch(out + errOut)
	if m == nil {
		t.Fatalf("podman load named no image:\n%s%s", out, errOut)
	}
	ref := m[1]

	out, errOut, err = p.run("image", "inspect", "--format", "{{.Id}} {{.Config.User}}", ref)
	if err != nil {
		t.Fatalf("podman image inspect: %v\n%s", err, errOut)
	}
	if got, want := strings.TrimSpace(out), wantID+" 65532:65532"; got != want {
		t.Errorf("loaded image: %q, want %q (the layout's config, the non-root user)", got, want)
	}

	// The restrictions of the deploy manifests' securityContext.
	runFlags := []string{
		"run", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL",
		"--security-opt", "no-new-privileges",
		"--ulimit", "nofile=" + hardLimit(t, unix.RLIMIT_NOFILE) + ":" + hardLimit(t, unix.RLIMIT_NOFILE),
		"--ulimit", "nproc=4096:4096",
	}
	for _, c := range []struct{ command, want string }{
		{"apiserver", "Usage:\n  apiserver [flags]"},
		{"controller-manager", "Usage:\n  controller-manager [flags]"},
		{"test-broker", "-port"},
	} {
		args := append(slices.Clone(runFlags), ref, c.command, "--help")
		out, errOut, err := p.run(args...)
		if err != nil || !strings.Contains(out+errOut, c.want) {
			t.Errorf("podman %s: %v, want %q in the output:\n%s%s", strings.Join(args, " "), err, c.want, out, errOut)
		}
	}
	// Without a command the image prints the API server's usage.
	out, errOut, err = p.run(append(runFlags, ref)...)
	if err != nil || !strings.Contains(out, "Usage:\n  apiserver [flags]") {
		t.Errorf("podman run %s: %v:\n%s%s", ref, err, out, errOut)
	}
}
