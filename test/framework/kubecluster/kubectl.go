package kubecluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// kubectlSkew is the supported version skew between kubectl and
// kube-apiserver, in minor versions.
const kubectlSkew = 1

// kubectlCompat caches, per path, whether a kubectl is within kubectlSkew of
// KubeVersion (asking a kubectl its version spawns a process).
var kubectlCompat sync.Map // string -> error (nil: compatible)

// FindKubectl returns the kubectl to run against the cluster: the one on PATH
// if its client version is within one minor version of KubeVersion, else the
// pinned kubectl next to kube-apiserver (see LocateBinaries).
func FindKubectl() (string, error) {
	if p, err := exec.LookPath("kubectl"); err == nil && kubectlCompatible(p) == nil {
		return p, nil
	}
	b, err := defaultBinaries()
	if err != nil {
		return "", err
	}
	if err := b.check(b.Kubectl); err != nil {
		return "", err
	}
	return b.Kubectl, nil
}

// Kubectl returns FindKubectl's answer, failing the test if there is none.
func Kubectl(t testing.TB) string {
	t.Helper()
	p, err := FindKubectl()
	if err != nil {
		t.Fatalf("kubecluster: no usable kubectl: %v", err)
	}
	return p
}

// kubectlCompatible returns nil if the kubectl at path is within kubectlSkew
// minor versions of KubeVersion.
func kubectlCompatible(path string) error {
	if v, ok := kubectlCompat.Load(path); ok {
		err, _ := v.(error)
		return err
	}
	err := checkKubectlVersion(path)
	kubectlCompat.Store(path, err)
	return err
}

func checkKubectlVersion(path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "version", "--client", "-o", "json").Output()
	if err != nil {
		return fmt.Errorf("%s version: %w", path, err)
	}
	var v struct {
		ClientVersion struct {
			Major string `json:"major"`
			Minor string `json:"minor"`
		} `json:"clientVersion"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("%s version: %w", path, err)
	}
	want, err := minorOf(strings.TrimPrefix(KubeVersion, "v1."))
	if err != nil {
		return err
	}
	got, err := minorOf(v.ClientVersion.Minor)
	if err != nil || v.ClientVersion.Major != "1" {
		return fmt.Errorf("%s: unexpected version %s.%s", path, v.ClientVersion.Major, v.ClientVersion.Minor)
	}
	if got < want-kubectlSkew || got > want+kubectlSkew {
		return fmt.Errorf("%s is v1.%d, more than %d minor version from %s", path, got, kubectlSkew, KubeVersion)
	}
	return nil
}

// minorOf parses "36", "36+" or "36.3" as 36.
func minorOf(s string) (int, error) {
	s = strings.TrimRight(s, "+")
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	return strconv.Atoi(s)
}

// KubectlCommand returns a kubectl command (see FindKubectl) acting as the
// named user or component: its kubeconfig and a discovery cache private to
// the cluster are set. The caller may set Stdin, Env and so on before
// running it.
func (c *Cluster) KubectlCommand(ctx context.Context, user string, args ...string) (*exec.Cmd, error) {
	kubeconfig := c.Kubeconfig(user)
	path, err := FindKubectl()
	if err != nil {
		return nil, err
	}
	full := append([]string{"--kubeconfig=" + kubeconfig, "--cache-dir=" + c.kubectlDir}, args...)
	cmd := exec.CommandContext(ctx, path, full...)
	cmd.Dir = c.Dir
	cmd.SysProcAttr = helperProcAttr()
	return cmd, nil
}

// kubectlTimeout bounds one RunKubectl call.
const kubectlTimeout = 2 * time.Minute

// RunKubectl runs kubectl as the named user or component (see Users) and
// returns its stdout, its stderr and the error of the run (an
// *exec.ExitError for a non-zero exit). A run is bounded by two minutes and
// by the test's context.
func (c *Cluster) RunKubectl(t testing.TB, user string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), kubectlTimeout)
	defer cancel()
	cmd, err := c.KubectlCommand(ctx, user, args...)
	if err != nil {
		t.Fatalf("kubecluster: %v", err)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}
