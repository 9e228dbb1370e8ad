package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	genericapifilters "k8s.io/apiserver/pkg/endpoints/filters"
	apirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/server"
	genericfilters "k8s.io/apiserver/pkg/server/filters"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/options"
)

// healthHandler serves /healthz and /livez (ok while the process runs), /readyz (ok while
// ready is set: the caches synced and this process runs the loops) and /metrics.
func healthHandler(ready *atomic.Bool) http.Handler {
	mux := http.NewServeMux()
	alive := func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }
	mux.HandleFunc("/healthz", alive)
	mux.HandleFunc("/livez", alive)
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "caches not synced, or not the leader", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.Handle("/metrics", legacyregistry.Handler())
	return mux
}

// serveHealth serves the health handler over HTTPS behind delegated authentication and
// authorization, and over plain HTTP on the loopback address cfg names, until the
// returned stop is called.
func serveHealth(ctx context.Context, cfg *config.Config, ready *atomic.Bool) (stop func(), err error) {
	handler := healthHandler(ready)
	stopSecure := make(chan struct{})
	stops := []func(){func() { close(stopSecure) }}
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	if cfg.SecureServing != nil {
		secured := withDelegatedAuth(handler, cfg.Authentication, cfg.Authorization)
		if cfg.SecureServing.ClientCA != nil {
			secured = withClientCAGate(secured, cfg.SecureServing.ClientCA.CurrentCABundleContent, clientCAWait, time.Now)
		}
		if _, _, err := cfg.SecureServing.Serve(secured, 5*time.Second, stopSecure); err != nil {
			stopAll()
			return nil, fmt.Errorf("serving health and metrics over HTTPS: %w", err)
		}
	}
	if cfg.HealthAddress != "" {
		stopPlain, err := servePlain(ctx, cfg.HealthAddress, handler)
		if err != nil {
			stopAll()
			return nil, err
		}
		stops = append(stops, stopPlain)
	}
	return stopAll, nil
}

// withDelegatedAuth guards handler the way Kubernetes components guard their endpoints:
// the caller is authenticated by client certificate or by a TokenReview, then authorized
// by a SubjectAccessReview on the path (a non-resource URL), except on the open paths.
func withDelegatedAuth(handler http.Handler, authn server.AuthenticationInfo, authz server.AuthorizationInfo) http.Handler {
	resolver := &apirequest.RequestInfoFactory{}
	handler = genericapifilters.WithAuthorization(handler, authz.Authorizer, scheme.Codecs)
	handler = genericapifilters.WithAuthentication(handler, authn.Authenticator, genericapifilters.Unauthorized(scheme.Codecs), nil, nil)
	handler = genericapifilters.WithRequestInfo(handler, resolver)
	handler = genericapifilters.WithCacheControl(handler)
	return genericfilters.WithPanicRecovery(handler, resolver)
}

// clientCAWait bounds how long the HTTPS endpoints wait for the cluster's client CA: a
// cluster may have none.
const clientCAWait = 10 * time.Second

// withClientCAGate answers every request but the open health paths with 503 and
// Retry-After until caContent returns a CA or wait has passed. The CAs that verify
// client certificates (kube-apiserver's client CA and the front proxy's, from the
// ConfigMap kube-system/extension-apiserver-authentication) are loaded by informers after
// serving starts: a request served earlier would have its certificate go unverified, and
// its caller refused as anonymous with a 403 no client retries.
func withClientCAGate(handler http.Handler, caContent func() []byte, wait time.Duration, now func() time.Time) http.Handler {
	deadline := now().Add(wait)
	var loaded atomic.Bool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loaded.Load() && (len(caContent()) > 0 || !now().Before(deadline)) {
			loaded.Store(true)
		}
		if !loaded.Load() && !slices.Contains(options.OpenPaths(), r.URL.Path) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "loading the cluster's client CA", http.StatusServiceUnavailable)
			return
		}
		handler.ServeHTTP(w, r)
	})
}

// servePlain serves handler over plain HTTP on address until the returned stop is called.
func servePlain(ctx context.Context, address string, handler http.Handler) (stop func(), err error) {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("serving health and metrics on %s: %w", address, err)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.FromContext(ctx).Error(err, "Health server stopped")
		}
	}()
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
	}, nil
}
