package broker

import (
	"crypto/subtle"
	"io"
	"net/http"
	"strings"
)

// ServeHTTP serves the OSB API under /v2/, the admin API under /admin/,
// /healthz, and instance dashboards under /dashboard/.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.mux.ServeHTTP(w, r) }

// Handler returns the broker as an http.Handler.
func (b *Broker) Handler() http.Handler { return b }

// routes maps every path the broker serves to its handler.
//
// Every request under /v2/ passes the OSB checks (see osbCall) before its
// route answers, even when the answer is 404 or 405; the admin API is behind
// the broker's credentials. A method a path does not list is 405 with an
// Allow header, HEAD included (a GET pattern would otherwise serve it).
func (b *Broker) routes() *http.ServeMux {
	mux := http.NewServeMux()
	const (
		instance = "/v2/service_instances/{instance_id}"
		binding  = instance + "/service_bindings/{binding_id}"
	)
	mux.Handle("GET /v2/catalog", b.osbCall(b.getCatalog))
	mux.Handle("GET "+instance, b.osbCall(b.getInstance))
	mux.Handle("PUT "+instance, b.osbCall(b.provision))
	mux.Handle("PATCH "+instance, b.osbCall(b.update))
	mux.Handle("DELETE "+instance, b.osbCall(b.deprovision))
	mux.Handle("GET "+instance+"/last_operation", b.osbCall(b.lastOperation))
	mux.Handle("GET "+binding, b.osbCall(b.getBinding))
	mux.Handle("PUT "+binding, b.osbCall(b.bind))
	mux.Handle("DELETE "+binding, b.osbCall(b.unbind))
	mux.Handle("GET "+binding+"/last_operation", b.osbCall(b.bindingLastOperation))
	b.refuseOtherOSBMethods(mux, "/v2/catalog", "GET")
	b.refuseOtherOSBMethods(mux, instance, "GET, PUT, PATCH, DELETE")
	b.refuseOtherOSBMethods(mux, instance+"/last_operation", "GET")
	b.refuseOtherOSBMethods(mux, binding, "GET, PUT, DELETE")
	b.refuseOtherOSBMethods(mux, binding+"/last_operation", "GET")
	mux.Handle("/v2/", b.osbCall(func(c *call) { writeNotFound(c.w, c.r) }))

	admin := b.requireAuth(ignoreTrailingSlash(b.adminRoutes()))
	mux.Handle("/admin", admin)
	mux.Handle("/admin/", admin)
	mux.HandleFunc("/healthz", healthz)
	mux.HandleFunc("GET /dashboard/instances/{instance_id...}", b.serveDashboard)
	mux.HandleFunc("HEAD /dashboard/instances/{instance_id...}", writeNotFound)
	// Without these, ServeMux would redirect "/v2" to "/v2/" and so on.
	mux.HandleFunc("/v2", writeNotFound)
	mux.HandleFunc("/dashboard/instances", writeNotFound)
	mux.HandleFunc("/", writeNotFound)
	return mux
}

// refuseOtherOSBMethods answers the methods of an OSB path that have no
// route, HEAD included, with 405 and allow, after the OSB checks.
func (b *Broker) refuseOtherOSBMethods(mux *http.ServeMux, path, allow string) {
	h := b.osbCall(func(c *call) { writeMethodNotAllowed(c.w, allow) })
	mux.Handle(path, h)
	mux.Handle(http.MethodHead+" "+path, h)
}

// refuseOtherMethods answers the methods of path that have no route, HEAD
// included, with 405 and allow.
func refuseOtherMethods(mux *http.ServeMux, path, allow string) {
	h := func(w http.ResponseWriter, _ *http.Request) { writeMethodNotAllowed(w, allow) }
	mux.HandleFunc(path, h)
	mux.HandleFunc(http.MethodHead+" "+path, h)
}

func writeMethodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "", "method not allowed")
}

func writeNotFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusNotFound, "", "not found")
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok\n")
}

// ignoreTrailingSlash serves "/admin/x/" as "/admin/x", as the admin API
// always has.
func ignoreTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r = r.Clone(r.Context())
			r.URL.Path = strings.TrimSuffix(p, "/")
			r.URL.RawPath = strings.TrimSuffix(r.URL.RawPath, "/")
		}
		next.ServeHTTP(w, r)
	})
}

// requireAuth answers 401 unless the request carries the broker's credentials.
func (b *Broker) requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !b.authorized(r) {
			writeUnauthorized(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized checks basic or bearer credentials when any are configured.
func (b *Broker) authorized(r *http.Request) bool {
	if b.username == "" && b.bearer == "" {
		return true
	}
	if b.username != "" {
		if u, p, ok := r.BasicAuth(); ok &&
			subtle.ConstantTimeCompare([]byte(u), []byte(b.username)) == 1 &&
			subtle.ConstantTimeCompare([]byte(p), []byte(b.password)) == 1 {
			return true
		}
	}
	if b.bearer != "" {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(tok), []byte(b.bearer)) == 1 {
			return true
		}
	}
	return false
}

func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="test-broker"`)
	writeError(w, http.StatusUnauthorized, "", "missing or invalid credentials")
}
