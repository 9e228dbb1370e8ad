package broker_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/klog/v2/ktesting"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// runServer starts broker.Run and returns its URL and a stop function that
// waits for Run to return.
func runServer(t *testing.T, o *broker.ServerOptions) (string, func() error) {
	t.Helper()
	_, logCtx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(logCtx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := broker.Run(ctx, o, pw)
		_ = pw.CloseWithError(io.EOF)
		done <- err
	}()
	lines := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(pr)
		if s.Scan() {
			lines <- s.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, pr)
	}()
	var url string
	select {
	case url = <-lines:
	case err := <-done:
		cancel()
		t.Fatalf("Run returned before listening: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("Run did not print its URL")
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("Run did not return after cancellation")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return url, stop
}

func TestRunServesAndShutsDown(t *testing.T) {
	o := broker.NewServerOptions()
	o.Username, o.Password = testUser, testPassword
	o.CatalogPath = "testdata/catalog.yaml"
	url, stop := runServer(t, o)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("URL = %q, want http://127.0.0.1:<port>", url)
	}
	cat, err := newClient(t, url).GetCatalog(context.Background())
	if err != nil || cat.Services[0].Name != "example-db" {
		t.Fatalf("catalog = %+v %v", cat, err)
	}
	// A hanging request does not hold up the shutdown.
	setHang, err := http.NewRequest(http.MethodPut, url+"/admin/behaviors/example-db%2Fquick", strings.NewReader(`{"provision":{"hang":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	setHang.SetBasicAuth(testUser, testPassword)
	resp, err := http.DefaultClient.Do(setHang)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("setting the hang: %v %v", resp, err)
	}
	_ = resp.Body.Close()
	hung := make(chan error, 1)
	go func() {
		c := newClient(t, url, func(c *osb.Config) { c.Timeout = time.Minute })
		_, err := c.Provision(context.Background(), &osb.ProvisionRequest{InstanceID: "i", ServiceID: "6a0c2f7e-1111-4c1a-9d55-000000000001",
			PlanID: "6a0c2f7e-1111-4c1a-9d55-000000000011", OrganizationGUID: "o", SpaceGUID: "s"})
		hung <- err
	}()
	waitFor(t, func() bool {
		req, _ := http.NewRequest(http.MethodGet, url+"/admin/instances", nil)
		req.SetBasicAuth(testUser, testPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), `"id":"i"`)
	})
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("shutdown was slow")
	}
	select {
	case err := <-hung:
		t.Logf("the hanging request ended with the shutdown (error: %v)", err)
	case <-time.After(5 * time.Second):
		t.Error("the hanging request did not end with the shutdown")
	}
	if _, err := newClient(t, url).GetCatalog(context.Background()); err == nil {
		t.Error("the broker still answers after shutdown")
	}
}

func TestRunValidatesOptions(t *testing.T) {
	for _, mod := range []func(*broker.ServerOptions){
		func(o *broker.ServerOptions) { o.Address = "localhost" },
		func(o *broker.ServerOptions) { o.Port = 70000 },
		func(o *broker.ServerOptions) { o.TLSCertFile = "cert.pem" },
		func(o *broker.ServerOptions) { o.Password = "p" },
		func(o *broker.ServerOptions) { o.CatalogPath = "testdata/none.yaml" },
		func(o *broker.ServerOptions) { o.MinAPIVersion = "two" },
	} {
		o := broker.NewServerOptions()
		mod(o)
		if err := broker.Run(context.Background(), o, io.Discard); err == nil {
			t.Errorf("Run(%+v) succeeded", o)
		}
	}
}

// TestRunTLS serves HTTPS and checks the client's CA bundle and
// insecure-skip-verify settings against it.
func TestRunTLS(t *testing.T) {
	certPEM, keyPEM := selfSignedCert(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	o := broker.NewServerOptions()
	o.TLSCertFile, o.TLSKeyFile = certFile, keyFile
	o.BearerToken = "tls-token"
	url, _ := runServer(t, o)
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("URL = %q", url)
	}
	bearer := func(c *osb.Config) { c.Auth = &osb.AuthConfig{Bearer: &osb.BearerConfig{Token: "tls-token"}} }
	ctx := context.Background()
	if _, err := newClient(t, url, bearer, func(c *osb.Config) { c.CABundle = certPEM }).GetCatalog(ctx); err != nil {
		t.Errorf("with the CA bundle: %v", err)
	}
	if _, err := newClient(t, url, bearer, func(c *osb.Config) { c.InsecureSkipVerify = true }).GetCatalog(ctx); err != nil {
		t.Errorf("with insecure-skip-verify: %v", err)
	}
	_, err := newClient(t, url, bearer).Provision(ctx, &osb.ProvisionRequest{InstanceID: "i", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"})
	var te *osb.TransportError
	if !errors.As(err, &te) || te.MaybeReceived || osb.NeedsOrphanMitigation(osb.OperationProvision, err) {
		t.Errorf("an unverified certificate: %#v; the request never reached the broker, so no orphan mitigation", err)
	}
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test-broker"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
