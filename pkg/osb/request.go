package osb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"k8s.io/klog/v2"
)

const (
	// maxSuccessBody bounds a success body (catalogs with many schemas are large).
	maxSuccessBody = 32 << 20
	// maxErrorBody bounds how much of an error body is read.
	maxErrorBody = 64 << 10
	// maxDrain bounds what is read past the body's limit so the connection can
	// be reused.
	maxDrain = 64 << 10
)

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
	body, identity, err := r.encode()
	if err != nil {
		return nil, err
	}
	reqID := uuid.NewString()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.method, c.target(r), body)
	if err != nil {
		return nil, fmt.Errorf("%s: building request: %w", r.op, ErrInvalidRequest)
	}
	c.setHeaders(req.Header, reqID, identity, body != nil)
	start := time.Now()
	resp, err := c.httpClient.Do(req)
	if err != nil {
		terr := newTransportError(ctx, r.op, reqID, err)
		c.logRequest(ctx, r, reqID, 0, start, terr)
		return nil, terr
	}
	out, err := readResponse(ctx, r.op, reqID, resp)
	c.logRequest(ctx, r, reqID, resp.StatusCode, start, err)
	return out, err
}

// encode returns r's JSON body (nil when it has none) and its
// originating-identity header value. A request that does not encode is
// refused before anything is sent.
func (r *request) encode() (io.Reader, string, error) {
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, "", fmt.Errorf("%s: encoding request body: %w: %w", r.op, ErrInvalidRequest, err)
		}
		body = bytes.NewReader(b)
	}
	if r.identity == nil {
		return body, "", nil
	}
	identity, err := r.identity.HeaderValue()
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w: %w", r.op, ErrInvalidRequest, err)
	}
	return body, identity, nil
}

// target is the URL of r on the broker.
func (c *client) target(r *request) string {
	if r.query == "" {
		return c.baseURL + r.path
	}
	return c.baseURL + r.path + "?" + r.query
}

// readResponse reads the body, within the limit of its status class, and
// closes it. A success body cut short because the call ran out of time is a
// transport error; one cut short otherwise is left to the operation to
// report as malformed.
func readResponse(ctx context.Context, op Operation, reqID string, resp *http.Response) (*response, error) {
	out := &response{status: resp.StatusCode, header: resp.Header, requestID: reqID}
	success := isSuccess(resp.StatusCode)
	limit := int64(maxErrorBody)
	if success {
		limit = maxSuccessBody
	}
	var err error
	out.body, err = readBody(resp, limit)
	if err != nil && success {
		if ctx.Err() != nil {
			_ = resp.Body.Close()
			return nil, newTransportError(ctx, op, reqID, ctx.Err())
		}
		out.readErr = err
	}
	// Drain a little of what is left so the connection can be reused.
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	_ = resp.Body.Close()
	return out, nil
}

// isSuccess reports a 2xx status.
func isSuccess(status int) bool { return status >= 200 && status <= 299 }

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

// logRequest writes the V(4) line of a call that got a response (status is
// then set) or failed (err is then set).
func (c *client) logRequest(ctx context.Context, r *request, reqID string, status int, start time.Time, err error) {
	lv := klog.FromContext(ctx).V(4)
	if !lv.Enabled() {
		return
	}
	kv := []any{"broker", c.name, "operation", r.op, "method", r.method, "path", r.path}
	if status != 0 {
		kv = append(kv, "status", status)
	}
	kv = append(kv, "requestIdentity", reqID, "duration", time.Since(start))
	if err != nil {
		lv.Info("OSB request failed", append(kv, "err", err)...)
		return
	}
	lv.Info("OSB request", kv...)
}
