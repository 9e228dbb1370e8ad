package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// TestDeployManifests: the real kube-apiserver accepts the manifests of
// artifacts/deploy (server-side dry run: admission, validation, defaulting of
// every object, RBAC escalation checks included), with the bundled etcd, with
// external etcd, highly available (three API servers, two controller managers,
// a three-member etcd, disruption budgets), and as the overlay with a serving
// certificate that artifacts/deploy/README.md describes; the examples are
// accepted too; the manifests use current API versions only and include the
// RBAC and the flow control the harness applies; and a dry run leaves the running APIService
// alone.
func TestDeployManifests(t *testing.T) {
	requireStack(t)

	for _, dir := range []string{"artifacts/deploy", "artifacts/deploy/external-etcd", "artifacts/deploy/ha"} {
		t.Run(dir, func(t *testing.T) {
			objects := renderKustomization(t, dir)
			out := kubectl(t, admin, "apply", "--dry-run=server", "-k", repoFile(t, dir))
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != len(objects) {
				t.Errorf("dry run printed %d lines for %d objects:\n%s", len(lines), len(objects), out)
			}
			for _, l := range lines {
				if !strings.HasSuffix(l, "(server dry run)") {
					t.Errorf("unexpected dry-run line %q", l)
				}
			}
			allowed := map[string]bool{
				"v1": true, "apps/v1": true, "rbac.authorization.k8s.io/v1": true,
				"apiregistration.k8s.io/v1": true, "networking.k8s.io/v1": true, "policy/v1": true,
				"flowcontrol.apiserver.k8s.io/v1": true,
			}
			kinds := map[string]int{}
			for _, o := range objects {
				if !allowed[o.APIVersion] {
					t.Errorf("%s %s uses apiVersion %s", o.Kind, o.Metadata.Name, o.APIVersion)
				}
				kinds[o.Kind]++
			}
			for _, k := range []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "RoleBinding", "Service", "APIService", "Deployment", "FlowSchema", "PriorityLevelConfiguration"} {
				if kinds[k] == 0 {
					t.Errorf("%s has no %s", dir, k)
				}
			}
			if strings.HasSuffix(dir, "external-etcd") != (kinds["StatefulSet"] == 0) {
				t.Errorf("%s: %d StatefulSets", dir, kinds["StatefulSet"])
			}
			if ha := strings.HasSuffix(dir, "/ha"); ha != (kinds["PodDisruptionBudget"] == 3) {
				t.Errorf("%s: %d PodDisruptionBudgets", dir, kinds["PodDisruptionBudget"])
			}
			// Everything the harness applies (artifacts/deploy/rbac and
			// artifacts/deploy/flowcontrol) is part of what users deploy.
			have := map[string]bool{}
			for _, o := range objects {
				have[o.key()] = true
			}
			for _, applied := range []string{"artifacts/deploy/rbac", "artifacts/deploy/flowcontrol"} {
				for _, o := range renderKustomization(t, applied) {
					if !have[o.key()] {
						t.Errorf("%s lacks %s from %s", dir, o.key(), applied)
					}
				}
			}
		})
	}

	t.Run("overlay with the serving certificate (README.md)", func(t *testing.T) {
		// The overlay artifacts/deploy/README.md tells users to write: the
		// TLS Secret from a secretGenerator, the CA in the APIService.
		dir := t.TempDir()
		caPEM, certPEM, keyPEM := servingCertificate(t, "catalog-apiserver.service-catalog.svc")
		base, err := filepath.Rel(dir, repoFile(t, "artifacts/deploy")) // kustomize wants it relative
		if err != nil {
			t.Fatal(err)
		}
		if err := catalogstack.WriteDeployOverlay(dir, base, caPEM, certPEM, keyPEM); err != nil {
			t.Fatal(err)
		}
		rendered := kubectl(t, admin, "kustomize", dir)
		secret := regexp.MustCompile(`secretName: (catalog-apiserver-tls-[a-z0-9]+)`).FindStringSubmatch(rendered)
		if secret == nil || !strings.Contains(rendered, "\n  name: "+secret[1]+"\n") {
			t.Errorf("the Deployment does not mount the generated Secret:\n%s", rendered)
		}
		if !strings.Contains(rendered, "caBundle: "+base64.StdEncoding.EncodeToString(caPEM)) {
			t.Error("the APIService has no caBundle")
		}
		out := kubectl(t, admin, "apply", "--dry-run=server", "-k", dir)
		if !strings.Contains(out, "secret/catalog-apiserver-tls-") || !strings.Contains(out, "apiservice.apiregistration.k8s.io/"+catalogstack.APIServiceName) {
			t.Errorf("dry run of the overlay:\n%s", out)
		}
	})

	t.Run("APIService", func(t *testing.T) {
		for _, o := range renderKustomization(t, "artifacts/deploy") {
			if o.Kind != "APIService" {
				continue
			}
			if o.Metadata.Name != catalogstack.APIServiceName || o.Spec.InsecureSkipTLSVerify == nil || *o.Spec.InsecureSkipTLSVerify ||
				o.Spec.Service.Name != "catalog-apiserver" || o.Spec.Service.Namespace != "service-catalog" || o.Spec.Service.Port != 443 {
				t.Errorf("unexpected APIService %+v", o)
			}
		}
		// The dry runs above left the live APIService as the harness
		// registered it.
		port := kubectl(t, admin, "get", "apiservice", catalogstack.APIServiceName, "-o", "jsonpath={.spec.service.port}")
		if port != strconv.Itoa(stack.APIServerPort) {
			t.Errorf("APIService port %s, want %d", port, stack.APIServerPort)
		}
		checkAPIServiceAvailable(t)
	})

	t.Run("examples", func(t *testing.T) {
		ensureDemoBroker(t) // the broker is cluster-scoped: dry-run it changed
		out := kubectl(t, admin, "apply", "--dry-run=server", "-n", "default", "-f", repoFile(t, "artifacts/examples"))
		for _, want := range []string{"clusterservicebroker.servicecatalog.k8s.io/demo-broker", "serviceinstance.servicecatalog.k8s.io/demo-db", "servicebinding.servicecatalog.k8s.io/demo-db-credentials"} {
			if !strings.Contains(out, want) {
				t.Errorf("dry run of artifacts/examples does not mention %s:\n%s", want, out)
			}
		}
	})
}

// manifestObject is the part of a rendered object the test looks at.
type manifestObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		InsecureSkipTLSVerify *bool `json:"insecureSkipTLSVerify"`
		Service               struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
			Port      int    `json:"port"`
		} `json:"service"`
	} `json:"spec"`
}

func (o manifestObject) key() string {
	return o.APIVersion + "/" + o.Kind + "/" + o.Metadata.Namespace + "/" + o.Metadata.Name
}

// renderKustomization returns the objects `kubectl kustomize` renders from
// the repository directory dir.
func renderKustomization(t *testing.T, dir string) []manifestObject {
	t.Helper()
	out := kubectl(t, admin, "kustomize", repoFile(t, dir))
	var objects []manifestObject
	for _, doc := range strings.Split(out, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var o manifestObject
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, doc)
		}
		objects = append(objects, o)
	}
	if len(objects) == 0 {
		t.Fatalf("kubectl kustomize %s rendered nothing", dir)
	}
	return objects
}

// servingCertificate returns a new CA and a serving certificate and key
// signed by it for dnsName, all PEM.
func servingCertificate(t *testing.T, dnsName string) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, key := newKey(), newKey()
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "service-catalog-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: dnsName}, DNSNames: []string{dnsName},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
