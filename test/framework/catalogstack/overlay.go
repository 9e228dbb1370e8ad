package catalogstack

import (
	"encoding/base64"
	"os"
	"path/filepath"
)

// WriteDeployOverlay writes into dir the kustomization that artifacts/deploy/README.md
// tells a platform team to keep next to the shipped manifests: base (the deploy
// directory, relative to dir as kustomize wants it), the API server's serving
// certificate and key as the Secret catalog-apiserver-tls, and caPEM as the
// APIService's caBundle.
func WriteDeployOverlay(dir, base string, caPEM, certPEM, keyPEM []byte) error {
	for name, data := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	kustomization := `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ` + filepath.ToSlash(base) + `
secretGenerator:
- name: catalog-apiserver-tls
  namespace: service-catalog
  type: kubernetes.io/tls
  files: [tls.crt, tls.key]
patches:
- target: {kind: APIService, name: v1beta1.servicecatalog.k8s.io}
  patch: |-
    - op: add
      path: /spec/caBundle
      value: ` + base64.StdEncoding.EncodeToString(caPEM) + `
`
	return os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kustomization), 0o644)
}
