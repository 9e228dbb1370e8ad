package kubecluster

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// TestVersionsMatchBuildScript keeps KubeVersion and EtcdVersion in step with
// hack/lib-kube-binaries.sh, which decides where the binaries are built.
func TestVersionsMatchBuildScript(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "hack", "lib-kube-binaries.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"KUBE_VERSION": KubeVersion, "ETCD_VERSION": EtcdVersion} {
		m := regexp.MustCompile(`(?m)^` + name + `=(\S+)$`).FindSubmatch(b)
		if m == nil {
			t.Errorf("%s not set in hack/lib-kube-binaries.sh", name)
		} else if string(m[1]) != want {
			t.Errorf("hack/lib-kube-binaries.sh has %s=%s, the package has %s", name, m[1], want)
		}
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pool(t *testing.T, path string) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(readCert(t, path))
	return p
}

func verify(t *testing.T, cert *x509.Certificate, roots *x509.CertPool, dns string, usage x509.ExtKeyUsage) {
	t.Helper()
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: dns, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		t.Errorf("%s (%s): %v", cert.Subject.CommonName, dns, err)
	}
}

// TestPKIAndKubeconfigs checks the generated certificates and kubeconfigs
// without starting anything.
func TestPKIAndKubeconfigs(t *testing.T) {
	c, err := newCluster(Options{Dir: t.TempDir(), Binaries: &Binaries{}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.writePKI(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ca := pool(t, c.CAFile)
	pki := filepath.Join(c.Dir, "pki")

	verify(t, readCert(t, p.servingCert), ca, "localhost", x509.ExtKeyUsageServerAuth)
	verify(t, readCert(t, p.servingCert), ca, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	verify(t, readCert(t, p.servingCert), ca, "kubernetes.default.svc", x509.ExtKeyUsageServerAuth)
	verify(t, readCert(t, p.frontProxyCert), pool(t, c.FrontProxyCAFile), "", x509.ExtKeyUsageClientAuth)
	agg := readCert(t, c.AggregatedCertFile)
	for _, name := range []string{"catalog-apiserver.service-catalog.svc", "localhost", "127.0.0.1"} {
		verify(t, agg, pool(t, c.AggregatedCAFile), name, x509.ExtKeyUsageServerAuth)
	}
	if _, err := agg.Verify(x509.VerifyOptions{Roots: ca, DNSName: "localhost"}); err == nil {
		t.Error("aggregated serving certificate must not chain to the cluster CA")
	}

	want := map[string]struct {
		cn     string
		groups []string
	}{
		"admin":                      {"catalog-admin", []string{"system:masters"}},
		"alice":                      {"alice", nil},
		"bob":                        {"bob", nil},
		"catalog-apiserver":          {"system:serviceaccount:service-catalog:catalog-apiserver", []string{"system:serviceaccounts", "system:serviceaccounts:service-catalog"}},
		"catalog-controller-manager": {"system:serviceaccount:service-catalog:catalog-controller-manager", []string{"system:serviceaccounts", "system:serviceaccounts:service-catalog"}},
	}
	if got := c.Users(); len(got) != len(want) {
		t.Fatalf("users %v, want %d", got, len(want))
	}
	for name, w := range want {
		cert := readCert(t, filepath.Join(pki, "user-"+name+".crt"))
		verify(t, cert, ca, "", x509.ExtKeyUsageClientAuth)
		if cert.Subject.CommonName != w.cn || !slices.Equal(cert.Subject.Organization, w.groups) {
			t.Errorf("%s: CN=%q O=%q, want CN=%q O=%q", name, cert.Subject.CommonName, cert.Subject.Organization, w.cn, w.groups)
		}
		if u := c.UserInfo(name); u.CommonName != w.cn {
			t.Errorf("UserInfo(%s) = %+v", name, u)
		}
	}

	c.Host = "https://127.0.0.1:6443"
	if err := c.writeKubeconfigs(); err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig(name))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(cfg.CertData)
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil || cert.Subject.CommonName != w.cn || cfg.Host != c.Host {
			t.Errorf("%s kubeconfig: host %s, cert %v, err %v", name, cfg.Host, cert.Subject, err)
		}
	}
	combined, err := clientcmd.LoadFromFile(c.KubeconfigFile)
	if err != nil {
		t.Fatal(err)
	}
	if combined.CurrentContext != "admin" || len(combined.Contexts) != len(want) {
		t.Errorf("combined kubeconfig: current %q, %d contexts", combined.CurrentContext, len(combined.Contexts))
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "kube-controller-manager.kubeconfig")); err != nil {
		t.Error(err)
	}
}

func TestCustomUsersAndService(t *testing.T) {
	opts := Options{
		Users:                      []User{{Name: "root", Groups: []string{"system:masters"}}},
		Components:                 []string{},
		AggregatedServiceName:      "api",
		AggregatedServiceNamespace: "elsewhere",
	}
	opts.Dir = t.TempDir()
	opts.Binaries = &Binaries{}
	c, err := newCluster(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.writePKI(opts); err != nil {
		t.Fatal(err)
	}
	if got := c.Users(); !slices.Equal(got, []string{"root"}) {
		t.Errorf("users %v", got)
	}
	verify(t, readCert(t, c.AggregatedCertFile), pool(t, c.AggregatedCAFile), "api.elsewhere.svc", x509.ExtKeyUsageServerAuth)

	dup := opts
	dup.Dir = t.TempDir()
	dup.Components = []string{"root"}
	c, err = newCluster(dup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.writePKI(dup); err == nil {
		t.Error("a component named like a user was accepted")
	}
}

func TestMissingBinariesSayWhatToRun(t *testing.T) {
	t.Setenv(EnvKubeBinDir, t.TempDir())
	t.Setenv(EnvEtcdBin, filepath.Join(t.TempDir(), "etcd"))
	_, err := LocateBinaries()
	if err == nil || !regexp.MustCompile("make kube-binaries").MatchString(err.Error()) {
		t.Errorf("LocateBinaries() = %v, want a hint to run make kube-binaries", err)
	}
}

func TestMinorOf(t *testing.T) {
	for in, want := range map[string]int{"36": 36, "32+": 32, "36.3": 36} {
		if got, err := minorOf(in); err != nil || got != want {
			t.Errorf("minorOf(%q) = %d, %v", in, got, err)
		}
	}
}
