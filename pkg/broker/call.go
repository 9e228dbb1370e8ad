package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// call is one OSB request being served.
type call struct {
	w        *statusWriter
	r        *http.Request
	body     []byte
	minor    int
	platform string // originating identity platform, if sent
	query    url.Values
}

// instanceID is the {instance_id} of the request path.
func (c *call) instanceID() string { return c.r.PathValue("instance_id") }

// bindingID is the {binding_id} of the request path.
func (c *call) bindingID() string { return c.r.PathValue("binding_id") }

// acceptsIncomplete reports whether the platform accepts an asynchronous answer.
func (c *call) acceptsIncomplete() bool { return c.query.Get("accepts_incomplete") == "true" }

// asyncBindingsTooOld reports accepts_incomplete on a binding request of an
// API version before asynchronous bindings (2.14).
func (c *call) asyncBindingsTooOld() bool {
	_, sent := c.query["accepts_incomplete"]
	return sent && c.minor < 14
}

// osbCall serves one OSB endpoint. It records the request, echoes its request
// identity, and answers for the endpoint when the body is too large, the
// credentials are wrong, the API version is out of range or the originating
// identity is malformed.
func (b *Broker) osbCall(endpoint func(*call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		rec := b.rec.add(&RecordedRequest{
			Time: start, Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body,
		})
		c := &call{w: &statusWriter{ResponseWriter: w}, r: r, body: body, query: r.URL.Query()}
		defer b.finishCall(c, rec, start)
		if id := r.Header.Get(osb.HeaderRequestIdentity); id != "" {
			c.w.Header().Set(osb.HeaderRequestIdentity, id)
		}
		if b.admit(c, readErr) {
			endpoint(c)
		}
	})
}

// admit applies the checks every OSB request passes, in order, and answers
// the first that fails. It sets the call's API version and platform.
func (b *Broker) admit(c *call, readErr error) bool {
	if readErr != nil {
		writeError(c.w, http.StatusRequestEntityTooLarge, "", "request body is too large or unreadable")
		return false
	}
	if !b.authorized(c.r) {
		writeUnauthorized(c.w)
		return false
	}
	minor, err := b.checkVersion(c.r.Header.Get(osb.HeaderAPIVersion))
	if err != nil {
		writeError(c.w, http.StatusPreconditionFailed, "", err.Error())
		return false
	}
	c.minor = minor
	if h := c.r.Header.Get(osb.HeaderOriginatingIdentity); h != "" {
		platform, _, err := osb.ParseOriginatingIdentity(h)
		if err != nil {
			writeError(c.w, http.StatusBadRequest, "", "malformed "+osb.HeaderOriginatingIdentity+" header: "+err.Error())
			return false
		}
		c.platform = platform
	}
	return true
}

// finishCall records the status answered and logs the request.
func (b *Broker) finishCall(c *call, rec *RecordedRequest, start time.Time) {
	b.rec.setStatus(rec, c.w.status)
	if lv := b.logger.V(4); lv.Enabled() {
		lv.Info("OSB request served", "method", c.r.Method, "path", c.r.URL.Path, "status", c.w.status,
			"requestIdentity", c.r.Header.Get(osb.HeaderRequestIdentity), "duration", time.Since(start))
	}
}

// checkVersion parses X-Broker-API-Version and checks the accepted range.
func (b *Broker) checkVersion(v string) (int, error) {
	want := fmt.Sprintf("the %s header must be between 2.%d and 2.%d", osb.HeaderAPIVersion, b.minMinor, b.maxMinor)
	if v == "" {
		return 0, errors.New(want + "; it is missing")
	}
	n, err := parseMinor(v, 0)
	if err != nil || n < b.minMinor || n > b.maxMinor {
		return 0, fmt.Errorf("%s; got %q", want, v)
	}
	return n, nil
}

// decodeBody decodes a JSON request body, keeping numbers exact.
func decodeBody(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("the request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the request body is not a valid JSON object: %w", err)
	}
	return nil
}

// checkContext validates a context object against the profile: platform set
// and equal to the originating identity's; for kubernetes, namespace and
// clusterid (2.14), and instance_name (2.15) on provision and update.
func checkContext(c *call, ctx map[string]any, wantInstanceName bool) string {
	if ctx == nil {
		return ""
	}
	platform, _ := ctx["platform"].(string)
	if platform == "" {
		return "context.platform is required"
	}
	if c.platform != "" && c.platform != platform {
		return fmt.Sprintf("context.platform %q differs from the originating identity platform %q", platform, c.platform)
	}
	if platform != osb.PlatformKubernetes {
		return ""
	}
	required := []string{"namespace"}
	if c.minor >= 14 {
		required = append(required, "clusterid")
	}
	if wantInstanceName && c.minor >= 15 {
		required = append(required, "instance_name")
	}
	for _, k := range required {
		if s, _ := ctx[k].(string); s == "" {
			return "context." + k + " is required for the kubernetes platform"
		}
	}
	for _, k := range []string{"namespace_annotations", "instance_annotations"} {
		if v, ok := ctx[k]; ok {
			if _, isObj := v.(map[string]any); !isObj {
				return "context." + k + " must be an object"
			}
		}
	}
	return ""
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status.
func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
