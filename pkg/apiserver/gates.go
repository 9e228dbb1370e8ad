package apiserver

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/healthz"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// storageCheckTTL is how long the answer of a storage check is reused.
const storageCheckTTL = time.Second

// groupVersionPath is the discovery document kube-apiserver's aggregator fetches to
// decide whether the APIService is available.
var groupVersionPath = "/apis/" + v1beta1.SchemeGroupVersion.String()

// withGates wraps the handler chain build makes in two gates that answer 503 with
// Retry-After rather than an answer a client would take as final:
//   - until the server trusts the front proxy's certificate (the CA of kube-apiserver's
//     request-header authentication, which k8s.io/apiserver loads from a ConfigMap after
//     it starts serving), every request but the health checks: served earlier, a request
//     kube-apiserver forwards would be taken as anonymous and refused with 403;
//   - while the storage (etcd) is unreachable, the group version's discovery document:
//     kube-apiserver then marks the APIService unavailable, and clients get "service
//     unavailable" rather than errors they might take for answers. The document is served
//     again once etcd answers, without a restart.
func withGates(build func(http.Handler, *genericapiserver.Config) http.Handler) func(http.Handler, *genericapiserver.Config) http.Handler {
	if build == nil {
		build = genericapiserver.DefaultBuildHandlerChain
	}
	return func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		handler := withStorageGate(build(apiHandler, c), c.ReadyzChecks)
		if loaded := frontProxyTrusted(c); loaded != nil {
			handler = withAuthenticationGate(handler, loaded)
		}
		return handler
	}
}

// unavailable answers 503 with Retry-After and message.
func unavailable(w http.ResponseWriter, message string) {
	w.Header().Set("Retry-After", "1")
	http.Error(w, message, http.StatusServiceUnavailable)
}

// withStorageGate answers the group version's discovery document with 503 while the
// etcd checks among checks fail.
func withStorageGate(handler http.Handler, checks []healthz.HealthChecker) http.Handler {
	var etcd []healthz.HealthChecker
	for _, check := range checks {
		if strings.HasPrefix(check.Name(), "etcd") {
			etcd = append(etcd, check)
		}
	}
	if len(etcd) == 0 {
		return handler
	}
	storage := &cachedCheck{checks: etcd, ttl: storageCheckTTL, now: time.Now}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.TrimSuffix(r.URL.Path, "/") == groupVersionPath {
			if err := storage.check(r); err != nil {
				unavailable(w, "storage unavailable: "+err.Error())
				return
			}
		}
		handler.ServeHTTP(w, r)
	})
}

// withAuthenticationGate answers every request but the health checks with 503 until
// loaded reports true.
func withAuthenticationGate(handler http.Handler, loaded func() bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loaded() && !isHealthCheck(r.URL.Path) {
			unavailable(w, "the server is loading the cluster's authentication configuration")
			return
		}
		handler.ServeHTTP(w, r)
	})
}

// isHealthCheck reports whether path is one of the health endpoints.
func isHealthCheck(path string) bool {
	for _, p := range []string{"/healthz", "/livez", "/readyz"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// frontProxyTrusted returns a function that reports whether the server trusts the front
// proxy's CA: its request-header authentication has the CA and the TLS listener asks
// for certificates it signed. It stays true once true. It returns nil when the server
// does not authenticate a front proxy (standalone).
func frontProxyTrusted(c *genericapiserver.Config) func() bool {
	header := c.Authentication.RequestHeaderConfig
	if header == nil || header.CAContentProvider == nil || c.SecureServing == nil || c.SecureServing.ClientCA == nil {
		return nil
	}
	clientCA := c.SecureServing.ClientCA
	var trusted atomic.Bool
	return func() bool {
		if trusted.Load() {
			return true
		}
		ca := bytes.TrimSpace(header.CAContentProvider.CurrentCABundleContent())
		if len(ca) > 0 && bytes.Contains(clientCA.CurrentCABundleContent(), ca) {
			trusted.Store(true)
		}
		return trusted.Load()
	}
}

// authenticationCheck is the readyz check of frontProxyTrusted.
func authenticationCheck(loaded func() bool) healthz.HealthChecker {
	return healthz.NamedCheck("catalog-front-proxy-ca-loaded", func(*http.Request) error {
		if !loaded() {
			return errors.New("the front proxy's CA is not loaded yet")
		}
		return nil
	})
}

// cachedCheck runs health checks at most once per ttl.
type cachedCheck struct {
	checks []healthz.HealthChecker
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	checked time.Time
	err     error
}

// check returns the checks' first error, from the last run if it is recent.
func (c *cachedCheck) check(r *http.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now().Sub(c.checked) >= c.ttl {
		c.err = nil
		for _, check := range c.checks {
			if c.err = check.Check(r); c.err != nil {
				break
			}
		}
		c.checked = c.now()
	}
	return c.err
}
