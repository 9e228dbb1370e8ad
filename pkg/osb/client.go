package osb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"k8s.io/klog/v2"
)

// Header names of the OSB API.
const (
	HeaderAPIVersion          = "X-Broker-API-Version"
	HeaderOriginatingIdentity = "X-Broker-API-Originating-Identity"
	HeaderRequestIdentity     = "X-Broker-API-Request-Identity"
)

// DefaultTimeout is the per-request timeout used when Config.Timeout is zero.
// The OSB specification calls 60 seconds typical.
const DefaultTimeout = 60 * time.Second

const (
	// maxSuccessBody bounds a success body (catalogs with many schemas are large).
	maxSuccessBody = 32 << 20
	// maxErrorBody bounds how much of an error body is read.
	maxErrorBody = 64 << 10
	// maxErrorText is how much of a non-JSON error body is kept.
	maxErrorText = 1 << 10
	// maxRetryAfter caps a Retry-After header.
	maxRetryAfter = 24 * time.Hour
)

// Client is an OSB API client. Every method takes a context first; the call
// ends at the earlier of the context's deadline and the configured per-request
// timeout. Implementations must be safe for concurrent use.
type Client interface {
	// GetCatalog fetches the broker's catalog (GET /v2/catalog).
	GetCatalog(ctx context.Context) (*CatalogResponse, error)
	// Provision creates a service instance (PUT /v2/service_instances/:id).
	Provision(ctx context.Context, r *ProvisionRequest) (*ProvisionResponse, error)
	// Update changes a service instance (PATCH /v2/service_instances/:id).
	Update(ctx context.Context, r *UpdateRequest) (*UpdateResponse, error)
	// Deprovision deletes a service instance (DELETE /v2/service_instances/:id).
	Deprovision(ctx context.Context, r *DeprovisionRequest) (*DeprovisionResponse, error)
	// PollLastOperation polls an asynchronous instance operation.
	PollLastOperation(ctx context.Context, r *LastOperationRequest) (*LastOperationResponse, error)
	// GetInstance fetches a service instance (API 2.14).
	GetInstance(ctx context.Context, r *GetInstanceRequest) (*GetInstanceResponse, error)
	// Bind creates a service binding.
	Bind(ctx context.Context, r *BindRequest) (*BindResponse, error)
	// Unbind deletes a service binding.
	Unbind(ctx context.Context, r *UnbindRequest) (*UnbindResponse, error)
	// PollBindingLastOperation polls an asynchronous binding operation (API 2.14).
	PollBindingLastOperation(ctx context.Context, r *BindingLastOperationRequest) (*LastOperationResponse, error)
	// GetBinding fetches a service binding (API 2.14).
	GetBinding(ctx context.Context, r *GetBindingRequest) (*GetBindingResponse, error)
}

// CreateFunc creates a Client from a Config. Controllers take one so tests can
// inject a fake; New is the real one.
type CreateFunc func(cfg *Config) (Client, error)

var _ CreateFunc = New

// Config configures a Client.
type Config struct {
	// Name identifies the broker in log lines (for example the ClusterServiceBroker name).
	Name string
	// URL is the broker's base URL, http or https, without user info.
	URL string
	// APIVersion is the OSB API version to send; empty means DefaultAPIVersion.
	APIVersion APIVersion
	// Auth holds the broker credentials; nil sends no Authorization header.
	Auth *AuthConfig
	// CABundle is PEM-encoded CA certificates trusted for the broker's TLS
	// certificate; empty means the system roots.
	CABundle []byte
	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// UserAgent overrides the User-Agent header.
	UserAgent string
	// Transport overrides the HTTP transport (CABundle and InsecureSkipVerify
	// are then ignored). By default clients with the same TLS settings share
	// one keep-alive transport.
	Transport http.RoundTripper
}

// AuthConfig holds broker credentials: set exactly one of Basic or Bearer.
type AuthConfig struct {
	// Basic is HTTP basic authentication.
	Basic *BasicAuthConfig
	// Bearer is opaque bearer-token authentication.
	Bearer *BearerConfig
}

// BasicAuthConfig is a user name and password for HTTP basic authentication.
type BasicAuthConfig struct {
	// Username is the basic-auth user name.
	Username string
	// Password is the basic-auth password.
	Password string
}

// String hides the password.
func (b BasicAuthConfig) String() string { return "{Username:" + b.Username + " Password:<redacted>}" }

// GoString hides the password.
func (b BasicAuthConfig) GoString() string { return b.String() }

// BearerConfig is an opaque bearer token.
type BearerConfig struct {
	// Token is sent as "Authorization: Bearer <token>".
	Token string
}

// String hides the token.
func (b BearerConfig) String() string { return "{Token:<redacted>}" }

// GoString hides the token.
func (b BearerConfig) GoString() string { return b.String() }

// String describes the config without credentials.
func (c Config) String() string {
	auth := "none"
	if c.Auth != nil {
		switch {
		case c.Auth.Basic != nil:
			auth = "basic"
		case c.Auth.Bearer != nil:
			auth = "bearer"
		}
	}
	return fmt.Sprintf("{Name:%s URL:%s APIVersion:%s Auth:%s CABundle:%d bytes InsecureSkipVerify:%t Timeout:%s}",
		c.Name, c.URL, c.APIVersion, auth, len(c.CABundle), c.InsecureSkipVerify, c.Timeout)
}

// GoString describes the config without credentials.
func (c Config) GoString() string { return c.String() }

// MarshalLog describes the config for structured loggers without credentials.
func (c Config) MarshalLog() any { return c.String() }

type client struct {
	name       string
	baseURL    string
	apiVersion APIVersion
	authHeader string
	secrets    []string
	timeout    time.Duration
	userAgent  string
	httpClient *http.Client
}

// String hides the credentials the client holds.
func (c *client) String() string {
	return fmt.Sprintf("osb.Client{Name:%s URL:%s APIVersion:%s}", c.name, c.baseURL, c.apiVersion)
}

// GoString hides the credentials the client holds.
func (c *client) GoString() string { return c.String() }

// New returns a Client for cfg. It is cheap: clients with the same TLS
// settings share one HTTP transport and its idle connections.
func New(cfg *Config) (Client, error) {
	if cfg == nil {
		return nil, errors.New("osb: nil config")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("osb: broker URL must be an absolute http or https URL")
	}
	if u.User != nil {
		return nil, errors.New("osb: broker URL must not contain user info; use Config.Auth")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("osb: broker URL must not have a query or fragment")
	}
	v := cfg.APIVersion
	if v == "" {
		v = DefaultAPIVersion
	}
	if !v.Valid() {
		return nil, fmt.Errorf("osb: unsupported API version %q: supported versions are 2.13 to 2.17", string(v))
	}
	c := &client{
		name:       cfg.Name,
		baseURL:    strings.TrimSuffix(u.String(), "/"),
		apiVersion: v,
		timeout:    cfg.Timeout,
		userAgent:  cfg.UserAgent,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.userAgent == "" {
		c.userAgent = "kube-service-catalog-osb-client"
	}
	if a := cfg.Auth; a != nil {
		switch {
		case a.Basic != nil && a.Bearer != nil:
			return nil, errors.New("osb: set only one of basic and bearer authentication")
		case a.Basic != nil:
			token := base64.StdEncoding.EncodeToString([]byte(a.Basic.Username + ":" + a.Basic.Password))
			c.authHeader = "Basic " + token
			c.secrets = appendSecret(c.secrets, a.Basic.Password, token)
		case a.Bearer != nil:
			if a.Bearer.Token == "" {
				return nil, errors.New("osb: bearer token is empty")
			}
			c.authHeader = "Bearer " + a.Bearer.Token
			c.secrets = appendSecret(c.secrets, a.Bearer.Token)
		}
	}
	rt := cfg.Transport
	if rt == nil {
		if rt, err = sharedTransport(cfg.CABundle, cfg.InsecureSkipVerify); err != nil {
			return nil, err
		}
	}
	c.httpClient = &http.Client{
		Transport: rt,
		// A redirect is answered as an error status; following it could send
		// the credentials or a PUT body somewhere unexpected.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// appendSecret adds secrets long enough to be redacted without mangling
// ordinary text.
func appendSecret(list []string, secrets ...string) []string {
	for _, s := range secrets {
		if len(s) >= 3 {
			list = append(list, s)
		}
	}
	return list
}

// redact removes the client's own credentials from broker-supplied text.
func (c *client) redact(s string) string {
	for _, secret := range c.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "<redacted>")
		}
	}
	return s
}

var transports = struct {
	sync.Mutex
	m map[[sha256.Size + 1]byte]*http.Transport
}{m: map[[sha256.Size + 1]byte]*http.Transport{}}

// maxSharedTransports bounds the transport cache; CA bundles change rarely.
const maxSharedTransports = 64

// sharedTransport returns the transport for a TLS configuration, creating it
// once. Keep-alive connections are then reused by every client of a broker.
func sharedTransport(caBundle []byte, insecure bool) (*http.Transport, error) {
	var key [sha256.Size + 1]byte
	sum := sha256.Sum256(caBundle)
	copy(key[:], sum[:])
	if insecure {
		key[sha256.Size] = 1
	}
	transports.Lock()
	defer transports.Unlock()
	if t, ok := transports.m[key]; ok {
		return t, nil
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // an explicit per-broker opt-in
	if len(caBundle) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caBundle) {
			return nil, errors.New("osb: CA bundle contains no PEM certificates")
		}
		tlsConfig.RootCAs = pool
	}
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          1000,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		// HTTP/1.1 only: brokers are plain REST servers, and one connection per
		// in-flight request keeps a slow broker call from stalling the others.
		ForceAttemptHTTP2: false,
	}
	if len(transports.m) >= maxSharedTransports {
		for k, old := range transports.m {
			old.CloseIdleConnections()
			delete(transports.m, k)
			break
		}
	}
	transports.m[key] = t
	return t, nil
}

// request is one OSB call to make.
type request struct {
	op       Operation
	method   string
	path     string // already escaped
	query    string // already encoded
	body     any    // JSON-encoded when non-nil
	identity *OriginatingIdentity
}

// response is a received HTTP response with its body read.
type response struct {
	status    int
	header    http.Header
	body      []byte
	requestID string
	// readErr is a failure reading a success body.
	readErr error
}

// do sends r and reads the response. A nil error means an HTTP response of any
// status arrived; the caller decides what the status means.
func (c *client) do(ctx context.Context, r *request) (*response, error) {
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("%s: encoding request body: %w: %w", r.op, ErrInvalidRequest, err)
		}
		body = bytes.NewReader(b)
	}
	var identity string
	if r.identity != nil {
		v, err := r.identity.HeaderValue()
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", r.op, ErrInvalidRequest, err)
		}
		identity = v
	}
	reqID := uuid.NewString()
	target := c.baseURL + r.path
	if r.query != "" {
		target += "?" + r.query
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%s: building request: %w", r.op, ErrInvalidRequest)
	}
	h := req.Header
	h.Set(HeaderAPIVersion, string(c.apiVersion))
	h.Set(HeaderRequestIdentity, reqID)
	h.Set("User-Agent", c.userAgent)
	h.Set("Accept", "application/json")
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	if c.authHeader != "" {
		h.Set("Authorization", c.authHeader)
	}
	if identity != "" {
		h.Set(HeaderOriginatingIdentity, identity)
	}

	logger := klog.FromContext(ctx)
	start := time.Now()
	resp, err := c.httpClient.Do(req)
	if err != nil {
		terr := newTransportError(ctx, r.op, reqID, err)
		if lv := logger.V(4); lv.Enabled() {
			lv.Info("OSB request failed", "broker", c.name, "operation", r.op, "method", r.method, "path", r.path,
				"requestIdentity", reqID, "duration", time.Since(start), "err", terr)
		}
		return nil, terr
	}
	out := &response{status: resp.StatusCode, header: resp.Header, requestID: reqID}
	success := resp.StatusCode >= 200 && resp.StatusCode <= 299
	limit := int64(maxErrorBody)
	if success {
		limit = maxSuccessBody
	}
	out.body, err = readBody(resp, limit)
	if err != nil && success {
		if ctx.Err() != nil {
			_ = resp.Body.Close()
			terr := newTransportError(ctx, r.op, reqID, ctx.Err())
			if lv := logger.V(4); lv.Enabled() {
				lv.Info("OSB request failed", "broker", c.name, "operation", r.op, "method", r.method, "path", r.path,
					"status", resp.StatusCode, "requestIdentity", reqID, "duration", time.Since(start), "err", terr)
			}
			return nil, terr
		}
		out.readErr = err
	}
	// Drain a little of what is left so the connection can be reused.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
	if lv := logger.V(4); lv.Enabled() {
		lv.Info("OSB request", "broker", c.name, "operation", r.op, "method", r.method, "path", r.path,
			"status", resp.StatusCode, "requestIdentity", reqID, "duration", time.Since(start))
	}
	return out, nil
}

var errBodyTooLarge = errors.New("body too large")

// readBody reads at most limit bytes of the body.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= limit {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(b)) > limit {
		return b[:limit], errBodyTooLarge
	}
	return b, err
}

// statusError turns a response whose status the operation does not accept
// into an error.
func (c *client) statusError(op Operation, r *response) error {
	if r.status >= 200 && r.status <= 299 {
		return &UnexpectedStatusError{Operation: op, StatusCode: r.status, RequestIdentity: r.requestID}
	}
	e := &HTTPStatusCodeError{
		Operation:       op,
		StatusCode:      r.status,
		RequestIdentity: r.requestID,
		RetryAfter:      parseRetryAfter(r.header.Get("Retry-After"), time.Now()),
	}
	body := bytes.TrimSpace(r.body)
	if len(body) == 0 {
		return e
	}
	if body[0] == '{' {
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &fields) == nil {
			e.ErrorCode = truncate(c.redact(jsonText(lookupField(fields, "error", "Error"))), 256)
			e.Description = truncate(c.redact(jsonText(lookupField(fields, "description", "Description"))), 4<<10)
			e.InstanceUsable = jsonBool(fields["instance_usable"])
			e.UpdateRepeatable = jsonBool(fields["update_repeatable"])
			e.msg = c.redact(e.message())
			return e
		}
	}
	text := string(body)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	e.Body = truncate(c.redact(text), maxErrorText)
	// Summarizing an HTML page drops tags, which could join the pieces of a
	// credential, so the message is redacted again.
	e.msg = c.redact(e.message())
	return e
}

func lookupField(fields map[string]json.RawMessage, names ...string) json.RawMessage {
	for _, n := range names {
		if v, ok := fields[n]; ok {
			return v
		}
	}
	return nil
}

// jsonText returns a JSON string's value, or the compact JSON text of any
// other value, and "" for null or absent.
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

// jsonBool decodes a boolean, tolerating "true"/"false" strings.
func jsonBool(raw json.RawMessage) *bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return &b
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if v, err := strconv.ParseBool(s); err == nil {
			return &v
		}
	}
	return nil
}

// parseRetryAfter parses a Retry-After header: delay seconds or an HTTP date.
// Invalid or past values give zero; values are capped at 24 hours.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		switch {
		case d <= 0:
			return 0
		case d > maxRetryAfter:
			return maxRetryAfter
		}
		return d.Truncate(time.Second)
	}
	return 0
}

// decodeObject decodes a success body into v. An empty body counts as {}.
// Numbers in free-form values decode as json.Number.
func decodeObject(op Operation, r *response, v any) error {
	if r.readErr != nil {
		reason := "reading body failed"
		if errors.Is(r.readErr, errBodyTooLarge) {
			reason = "body too large"
		}
		return &MalformedResponseError{Operation: op, StatusCode: r.status, RequestIdentity: r.requestID, Reason: reason}
	}
	body := bytes.TrimSpace(r.body)
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' {
		return &MalformedResponseError{Operation: op, StatusCode: r.status, RequestIdentity: r.requestID, Reason: "body is not a JSON object"}
	}
	if err := unmarshalNumbers(body, v); err != nil {
		return &MalformedResponseError{Operation: op, StatusCode: r.status, RequestIdentity: r.requestID, Reason: describeJSONError(err)}
	}
	return nil
}

var errTrailingData = errors.New("trailing data after JSON value")

// unmarshalNumbers is json.Unmarshal with UseNumber.
func unmarshalNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailingData
	}
	return nil
}

// describeJSONError explains a decoding error without quoting the input.
func describeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		kind, _, _ := strings.Cut(te.Value, " ")
		if te.Field != "" {
			return fmt.Sprintf("field %q: JSON %s where %s was expected", te.Field, kind, te.Type)
		}
		return fmt.Sprintf("JSON %s where %s was expected", kind, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	case errors.Is(err, errTrailingData):
		return errTrailingData.Error()
	}
	return "invalid JSON"
}

// malformed returns a MalformedResponseError for r.
func malformed(op Operation, r *response, reason string) error {
	return &MalformedResponseError{Operation: op, StatusCode: r.status, RequestIdentity: r.requestID, Reason: reason}
}

// requireVersion refuses a feature the configured API version lacks.
func (c *client) requireVersion(op Operation, f Feature) error {
	if c.apiVersion.Supports(f) {
		return nil
	}
	return &UnsupportedFeatureError{Operation: op, Feature: f, APIVersion: c.apiVersion}
}

// invalid returns an ErrInvalidRequest error.
func invalid(op Operation, msg string) error {
	return fmt.Errorf("%s: %w: %s", op, ErrInvalidRequest, msg)
}

// nonEmpty returns s, or nil when s is nil or empty.
func nonEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// escape percent-encodes everything but RFC 3986 unreserved characters.
func escape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if unreserved(ch) {
			b = append(b, ch)
			continue
		}
		b = append(b, '%', hex[ch>>4], hex[ch&15])
	}
	return string(b)
}

func unreserved(ch byte) bool {
	return 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' ||
		ch == '-' || ch == '.' || ch == '_' || ch == '~'
}

// query builds an encoded query string; empty values are skipped.
type query struct{ b strings.Builder }

func (q *query) add(key, value string) {
	if value == "" {
		return
	}
	if q.b.Len() > 0 {
		q.b.WriteByte('&')
	}
	q.b.WriteString(key)
	q.b.WriteByte('=')
	q.b.WriteString(escape(value))
}

// String returns the encoded query.
func (q *query) String() string { return q.b.String() }

func instancePath(id string) string { return "/v2/service_instances/" + escape(id) }

func bindingPath(instanceID, bindingID string) string {
	return instancePath(instanceID) + "/service_bindings/" + escape(bindingID)
}

// checkContext refuses context properties the configured version lacks.
func (c *client) checkContext(op Operation, ctx *Context) error {
	if ctx != nil && (len(ctx.NamespaceAnnotations) > 0 || len(ctx.InstanceAnnotations) > 0) {
		return c.requireVersion(op, FeatureContextAnnotations)
	}
	return nil
}
