package catalogstack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// built remembers which binaries this process has built already, so that a
// package's tests build each one once.
var built struct {
	sync.Mutex
	paths map[string]bool
}

// Buildable reports whether the repository has the command of component c
// (cmd/<c> with Go files), i.e. whether BuildBinaries can build it.
func Buildable(c Component) bool {
	root, err := kubecluster.RepoRoot()
	if err != nil {
		return false
	}
	files, _ := filepath.Glob(filepath.Join(root, "cmd", string(c), "*.go"))
	return len(files) > 0
}

// BuildBinaries builds the commands of the components into binDir (the
// binaries are named after the components) with `go build`, run in the
// repository root, and returns their paths. A binary already built by this
// process is not built again; otherwise `go build` itself skips a binary that
// is up to date. Concurrent builds into the same directory, from other test
// processes, are serialized with a file lock.
func BuildBinaries(ctx context.Context, binDir string, components []Component) (map[Component]string, error) {
	root, err := kubecluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	if binDir == "" {
		binDir = filepath.Join(root, "_output", "e2e-bin")
	}
	if binDir, err = filepath.Abs(binDir); err != nil {
		return nil, err
	}
	paths := map[Component]string{}
	var pkgs []string
	built.Lock()
	defer built.Unlock()
	for _, c := range components {
		p := filepath.Join(binDir, string(c))
		paths[c] = p
		if !built.paths[p] {
			pkgs = append(pkgs, "./cmd/"+string(c))
		}
	}
	if len(pkgs) == 0 {
		return paths, nil
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockFile(filepath.Join(binDir, ".build.lock"))
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", binDir, err)
	}
	defer unlock()

	goBin, err := exec.LookPath("go")
	if err != nil {
		if goroot := os.Getenv("GOROOT"); goroot != "" {
			goBin = filepath.Join(goroot, "bin", "go")
		} else {
			return nil, fmt.Errorf("no go command on PATH: %w", err)
		}
	}
	args := append([]string{"build", "-o", binDir + string(filepath.Separator)}, pkgs...)
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s (in %s, after %s): %w\n%s", strings.Join(args, " "), root, time.Since(start).Round(time.Millisecond), err, out.String())
	}
	if built.paths == nil {
		built.paths = map[string]bool{}
	}
	for _, p := range paths {
		built.paths[p] = true
	}
	return paths, nil
}
