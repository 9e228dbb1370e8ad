package kubecluster

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Versions of the pinned binaries. They must match hack/lib-kube-binaries.sh,
// which builds them into directories named after these versions.
const (
	// KubeVersion is the Kubernetes release of kube-apiserver,
	// kube-controller-manager and kubectl.
	KubeVersion = "v1.36.3"
	// EtcdVersion is the etcd server release.
	EtcdVersion = "v3.6.16"
)

// Environment variables that override where the binaries are looked up.
const (
	// EnvKubeBinDir names a directory holding kube-apiserver,
	// kube-controller-manager and kubectl.
	EnvKubeBinDir = "CATALOG_KUBE_BIN_DIR"
	// EnvEtcdBin names the etcd binary.
	EnvEtcdBin = "ETCD_BIN"
)

// modulePath is the main module's path, used to find the repository root.
const modulePath = "github.com/kube-service-catalog/catalog"

// buildHint is appended to every "binary missing" error.
const buildHint = "run `make kube-binaries` (hack/build-kube-binaries.sh) first, or point " +
	EnvKubeBinDir + " / " + EnvEtcdBin + " at existing binaries"

// Binaries holds the paths of the executables a cluster runs.
type Binaries struct {
	// KubeAPIServer is the kube-apiserver binary.
	KubeAPIServer string
	// KubeControllerManager is the kube-controller-manager binary.
	KubeControllerManager string
	// Kubectl is the kubectl binary built with the same release.
	Kubectl string
	// Etcd is the etcd server binary.
	Etcd string
}

// LocateBinaries finds the pinned binaries: in $CATALOG_KUBE_BIN_DIR (default
// <repo>/_output/bin/kube-<KubeVersion>) and at $ETCD_BIN (default
// <repo>/_output/bin/etcd-<EtcdVersion>/etcd). <repo> is found by walking up
// from the working directory to the go.mod of this module. It returns an error
// naming every missing binary and how to build them.
func LocateBinaries() (Binaries, error) {
	b, err := defaultBinaries()
	if err != nil {
		return Binaries{}, err
	}
	return b, b.check(b.KubeAPIServer, b.KubeControllerManager, b.Kubectl, b.Etcd)
}

// LocateEtcd finds only the etcd binary, as LocateBinaries does, for tests
// that need etcd but no Kubernetes control plane.
func LocateEtcd() (string, error) {
	b, err := defaultBinaries()
	if err != nil {
		return "", err
	}
	return b.Etcd, b.check(b.Etcd)
}

// defaultBinaries returns where the binaries should be, without checking.
func defaultBinaries() (Binaries, error) {
	kubeDir := os.Getenv(EnvKubeBinDir)
	etcd := os.Getenv(EnvEtcdBin)
	if kubeDir == "" || etcd == "" {
		root, err := RepoRoot()
		if err != nil {
			return Binaries{}, fmt.Errorf("locating the kube binaries: %w; set %s and %s", err, EnvKubeBinDir, EnvEtcdBin)
		}
		if kubeDir == "" {
			kubeDir = filepath.Join(root, "_output", "bin", "kube-"+KubeVersion)
		}
		if etcd == "" {
			etcd = filepath.Join(root, "_output", "bin", "etcd-"+EtcdVersion, "etcd")
		}
	}
	return Binaries{
		KubeAPIServer:         filepath.Join(kubeDir, "kube-apiserver"),
		KubeControllerManager: filepath.Join(kubeDir, "kube-controller-manager"),
		Kubectl:               filepath.Join(kubeDir, "kubectl"),
		Etcd:                  etcd,
	}, nil
}

// check returns an error listing the paths that are not executable files.
func (b Binaries) check(paths ...string) error {
	var missing []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing binaries: %s; %s", strings.Join(missing, ", "), buildHint)
	}
	return nil
}

// RepoRoot returns the root of the service catalog repository: the nearest
// directory at or above the working directory whose go.mod declares this
// module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isCatalogModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of module " + modulePath + " at or above the working directory")
		}
		dir = parent
	}
}

func isCatalogModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }() // read only
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}
