package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/keyutil"
	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// Users beyond kubecluster's admin, alice and bob, for tests that need users no other
// test binds: kubecluster issues certificates only for kubecluster.Options.Users, when the
// cluster starts, and the package's shared stack starts with the default ones.

// identity is a user a test acts as: its Kubernetes user name, a kubeconfig
// for kubectl and a client configuration.
type identity struct {
	// name is the Kubernetes user name.
	name       string
	kubeconfig string
	config     *rest.Config
}

// newCertificateUser returns a user of the cluster named name, with no groups but
// system:authenticated: a client certificate signed by the cluster's CA, as kubecluster
// issues its users' (which only come from kubecluster.Options.Users, at start).
func newCertificateUser(t *testing.T, dir, name string) *identity {
	t.Helper()
	caFile := stack.Cluster.CAFile
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	caKeyPEM, err := os.ReadFile(strings.TrimSuffix(caFile, ".crt") + ".key")
	if err != nil {
		t.Fatalf("the cluster CA's key next to %s: %v", caFile, err)
	}
	block, _ := pem.Decode(caPEM)
	if block == nil {
		t.Fatalf("%s holds no PEM certificate", caFile)
	}
	caCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := keyutil.ParsePrivateKeyPEM(caKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	config := &rest.Config{
		Host: stack.Cluster.Host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   caPEM,
			CertData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			KeyData:  keyPEM,
		},
		QPS: 100, Burst: 200,
	}
	return &identity{name: name, config: config, kubeconfig: writeIdentityKubeconfig(t, dir, name, config)}
}

// newServiceAccountUser creates the ServiceAccount ns/name and returns it as a user, with
// a token from the TokenRequest API, as a pod would get.
func newServiceAccountUser(t *testing.T, dir, ns, name string) *identity {
	t.Helper()
	ctx := context.Background()
	cs := stack.Cluster.Clientset(admin)
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(3600))},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(stack.Cluster.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	config := &rest.Config{
		Host:            stack.Cluster.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM},
		BearerToken:     tr.Status.Token,
		QPS:             100, Burst: 200,
	}
	user := kubecluster.ServiceAccountUser(ns, name)
	return &identity{name: user, config: config, kubeconfig: writeIdentityKubeconfig(t, dir, "sa-"+name, config)}
}

// writeIdentityKubeconfig writes a kubeconfig for config into dir and returns its path.
func writeIdentityKubeconfig(t *testing.T, dir, name string, config *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["cluster"] = &clientcmdapi.Cluster{Server: config.Host, CertificateAuthorityData: config.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: config.CertData, ClientKeyData: config.KeyData, Token: config.BearerToken}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: "cluster", AuthInfo: name}
	kc.CurrentContext = name
	path := filepath.Join(dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}
