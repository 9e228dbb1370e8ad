package osb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Error codes a broker may put in the "error" field of an error body.
const (
	ErrorCodeAsyncRequired           = "AsyncRequired"
	ErrorCodeConcurrencyError        = "ConcurrencyError"
	ErrorCodeRequiresApp             = "RequiresApp"
	ErrorCodeMaintenanceInfoConflict = "MaintenanceInfoConflict"
)

// ErrInvalidRequest is wrapped by errors for requests the client refuses to
// send because a required field is missing or invalid. Nothing was sent.
var ErrInvalidRequest = errors.New("invalid OSB request")

// invalid returns an ErrInvalidRequest error.
func invalid(op Operation, msg string) error {
	return fmt.Errorf("%s: %w: %s", op, ErrInvalidRequest, msg)
}

// HTTPStatusCodeError is a 3xx, 4xx or 5xx answer from the broker.
//
// Error() is short and safe to log or show: it holds the status, the broker's
// error code and description, or a short excerpt of a non-JSON body. Values of
// the client's own credentials are redacted from every field.
type HTTPStatusCodeError struct {
	// Operation is the operation that failed.
	Operation Operation
	// StatusCode is the HTTP status code.
	StatusCode int
	// ErrorCode is the body's "error" field (or "Error"), e.g. "ConcurrencyError".
	ErrorCode string
	// Description is the body's user-facing "description" field.
	Description string
	// InstanceUsable is the body's instance_usable, nil when absent (meaning true).
	InstanceUsable *bool
	// UpdateRepeatable is the body's update_repeatable, nil when absent (meaning true).
	UpdateRepeatable *bool
	// Body is the text of a body that is not a JSON object, cut to 1 KiB.
	Body string
	// RetryAfter is the Retry-After header, zero when absent.
	RetryAfter time.Duration
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string

	// msg is the message computed, and redacted, by the client.
	msg string
}

// Error returns e.g. "broker returned 422 Unprocessable Entity: ConcurrencyError: busy".
func (e *HTTPStatusCodeError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.message()
}

// message builds the error message from the fields.
func (e *HTTPStatusCodeError) message() string {
	var b strings.Builder
	b.WriteString("broker returned ")
	b.WriteString(statusText(e.StatusCode))
	if e.ErrorCode != "" {
		b.WriteString(": ")
		b.WriteString(truncate(e.ErrorCode, 128))
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(truncate(oneLine(e.Description), 512))
	} else if e.Body != "" {
		if s := summarizeText(e.Body); s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	return b.String()
}

// UnexpectedStatusError is a 2xx (or other non-error) status that the
// operation does not define, for example 204 on provision. The broker may or
// may not have acted; NeedsOrphanMitigation says what to do.
type UnexpectedStatusError struct {
	// Operation is the operation that got the status.
	Operation Operation
	// StatusCode is the HTTP status code.
	StatusCode int
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

// Error describes the status. The body is never included.
func (e *UnexpectedStatusError) Error() string {
	return fmt.Sprintf("broker returned unexpected status %s for %s", statusText(e.StatusCode), e.Operation)
}

// MalformedResponseError is a success status whose body could not be decoded
// (not JSON, not an object, a field of the wrong type, a required field
// missing). The body is never included: success bodies may hold credentials.
type MalformedResponseError struct {
	// Operation is the operation that got the response.
	Operation Operation
	// StatusCode is the (success) HTTP status code.
	StatusCode int
	// Reason says what is wrong, without quoting the body.
	Reason string
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

// Error describes the status and the problem.
func (e *MalformedResponseError) Error() string {
	return fmt.Sprintf("broker returned %s with a malformed body for %s: %s", statusText(e.StatusCode), e.Operation, e.Reason)
}

// TransportError means no complete HTTP response was received: the request
// timed out, the context was cancelled, the connection failed or broke.
type TransportError struct {
	// Operation is the operation that was attempted.
	Operation Operation
	// Timeout is true when the per-request timeout or the context's deadline
	// expired.
	Timeout bool
	// Canceled is true when the context was cancelled.
	Canceled bool
	// MaybeReceived is false only when the request certainly did not reach the
	// broker (the connection or TLS handshake failed).
	MaybeReceived bool
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string

	err error
}

// Error describes the failure without the request URL or headers.
func (e *TransportError) Error() string {
	switch {
	case e.Timeout && errors.Is(e.err, context.DeadlineExceeded):
		return fmt.Sprintf("%s request to broker timed out", e.Operation)
	case e.Timeout:
		return fmt.Sprintf("%s request to broker timed out: %v", e.Operation, e.err)
	case e.Canceled:
		return fmt.Sprintf("%s request to broker was cancelled", e.Operation)
	default:
		return fmt.Sprintf("%s request to broker failed: %v", e.Operation, e.err)
	}
}

// Unwrap returns the underlying network error.
func (e *TransportError) Unwrap() error { return e.err }

// UnsupportedFeatureError is returned, without sending anything, when a
// request needs a newer OSB API version than the client is configured for.
type UnsupportedFeatureError struct {
	// Operation is the refused operation.
	Operation Operation
	// Feature is the missing feature.
	Feature Feature
	// APIVersion is the client's configured version.
	APIVersion APIVersion
}

// Error names the feature and both versions.
func (e *UnsupportedFeatureError) Error() string {
	return fmt.Sprintf("%s: %s requires OSB API %s or later, but the client is configured for %s",
		e.Operation, e.Feature.Name, e.Feature.MinVersion, e.APIVersion)
}

// newTransportError classifies err, the error of an HTTP round trip or of
// reading its body.
func newTransportError(ctx context.Context, op Operation, reqID string, err error) *TransportError {
	e := &TransportError{Operation: op, RequestIdentity: reqID, MaybeReceived: true, err: err}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		e.Timeout = true
		e.err = context.DeadlineExceeded
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		e.Canceled = true
		e.err = context.Canceled
	case errors.As(err, &ne) && ne.Timeout():
		e.Timeout = true
	}
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	if (errors.As(err, &opErr) && opErr.Op == "dial") || errors.As(err, &certErr) ||
		errors.As(err, &authErr) || errors.As(err, &hostErr) || errors.As(err, &recErr) {
		e.MaybeReceived = false
	}
	e.err = unwrapURLError(e.err)
	return e
}

// unwrapURLError drops the *url.Error layer, whose message holds the request URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("%d", code)
}

func httpStatusError(err error) (*HTTPStatusCodeError, bool) {
	var e *HTTPStatusCodeError
	ok := errors.As(err, &e)
	return e, ok
}

func isStatus(err error, code int) bool {
	e, ok := httpStatusError(err)
	return ok && e.StatusCode == code
}

func is422(err error, code string) bool {
	e, ok := httpStatusError(err)
	return ok && e.StatusCode == http.StatusUnprocessableEntity && strings.EqualFold(strings.TrimSpace(e.ErrorCode), code)
}

// IsGone reports a 410 Gone answer: the instance or binding does not exist.
// On Deprovision and Unbind the resource is already gone; on a last-operation
// poll after an asynchronous delete the delete has finished.
func IsGone(err error) bool { return isStatus(err, http.StatusGone) }

// IsConflict reports a 409 Conflict answer: the resource exists with
// different attributes.
func IsConflict(err error) bool { return isStatus(err, http.StatusConflict) }

// IsNotFound reports a 404 Not Found answer.
func IsNotFound(err error) bool { return isStatus(err, http.StatusNotFound) }

// IsBadRequest reports a 400 Bad Request answer.
func IsBadRequest(err error) bool { return isStatus(err, http.StatusBadRequest) }

// IsUnauthorized reports a 401 Unauthorized answer: the broker credentials are wrong.
func IsUnauthorized(err error) bool { return isStatus(err, http.StatusUnauthorized) }

// IsPreconditionFailed reports a 412 Precondition Failed answer: the broker
// does not accept the configured API version.
func IsPreconditionFailed(err error) bool { return isStatus(err, http.StatusPreconditionFailed) }

// IsAsyncRequired reports 422 AsyncRequired: resend with accepts_incomplete.
func IsAsyncRequired(err error) bool { return is422(err, ErrorCodeAsyncRequired) }

// IsConcurrencyError reports 422 ConcurrencyError: another operation on the
// resource is in progress; retry later and never orphan-mitigate.
func IsConcurrencyError(err error) bool { return is422(err, ErrorCodeConcurrencyError) }

// IsRequiresApp reports 422 RequiresApp: the bind needs bind_resource.app_guid.
func IsRequiresApp(err error) bool { return is422(err, ErrorCodeRequiresApp) }

// IsMaintenanceInfoConflict reports 422 MaintenanceInfoConflict: the
// maintenance_info sent does not match the catalog; refetch it.
func IsMaintenanceInfoConflict(err error) bool { return is422(err, ErrorCodeMaintenanceInfoConflict) }

// IsTimeout reports that a request got no response before the per-request
// timeout or the context's deadline.
func IsTimeout(err error) bool {
	var e *TransportError
	return errors.As(err, &e) && e.Timeout
}

// IsMalformedResponse reports a success status with an undecodable body.
func IsMalformedResponse(err error) bool {
	var e *MalformedResponseError
	return errors.As(err, &e)
}

// IsUnexpectedStatus reports a 2xx status the operation does not define.
func IsUnexpectedStatus(err error) bool {
	var e *UnexpectedStatusError
	return errors.As(err, &e)
}

// IsUnsupportedFeature reports a request refused locally because the
// configured API version lacks a feature it needs.
func IsUnsupportedFeature(err error) bool {
	var e *UnsupportedFeatureError
	return errors.As(err, &e)
}

// StatusCode returns the HTTP status code carried by err (an
// HTTPStatusCodeError, UnexpectedStatusError or MalformedResponseError), and
// false when err carries none.
func StatusCode(err error) (int, bool) {
	var h *HTTPStatusCodeError
	var u *UnexpectedStatusError
	var m *MalformedResponseError
	switch {
	case errors.As(err, &h):
		return h.StatusCode, true
	case errors.As(err, &u):
		return u.StatusCode, true
	case errors.As(err, &m):
		return m.StatusCode, true
	}
	return 0, false
}

// RetryAfterOf returns the Retry-After the broker sent with an error answer, or zero.
func RetryAfterOf(err error) time.Duration {
	var h *HTTPStatusCodeError
	if errors.As(err, &h) {
		return h.RetryAfter
	}
	return 0
}

// UpdateRepeatableOf tells whether the broker said, with a failed update's error answer,
// that the same update must not be sent again (update_repeatable false).
func UpdateRepeatableOf(err error) bool {
	var h *HTTPStatusCodeError
	return !errors.As(err, &h) || h.UpdateRepeatable == nil || *h.UpdateRepeatable
}

// InstanceUsableOf returns the instance_usable the broker sent with an error answer, or
// nil when it said nothing.
func InstanceUsableOf(err error) *bool {
	var h *HTTPStatusCodeError
	if errors.As(err, &h) {
		return h.InstanceUsable
	}
	return nil
}

// RequestIdentityOf returns the X-Broker-API-Request-Identity of the request
// that produced err, or "" when err does not come from a request.
func RequestIdentityOf(err error) string {
	var h *HTTPStatusCodeError
	var u *UnexpectedStatusError
	var m *MalformedResponseError
	var t *TransportError
	switch {
	case errors.As(err, &h):
		return h.RequestIdentity
	case errors.As(err, &u):
		return u.RequestIdentity
	case errors.As(err, &m):
		return m.RequestIdentity
	case errors.As(err, &t):
		return t.RequestIdentity
	}
	return ""
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// oneLine collapses runs of whitespace (including newlines) to one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// summarizeText turns a non-JSON error body into a short single line: the
// <title> of an HTML page, or the text with tags removed.
func summarizeText(body string) string {
	lower := strings.ToLower(body)
	if strings.Contains(lower, "<html") || strings.Contains(lower, "<!doctype") || strings.Contains(lower, "<body") {
		if i := strings.Index(lower, "<title>"); i >= 0 {
			rest := body[i+len("<title>"):]
			if j := strings.Index(strings.ToLower(rest), "</title>"); j >= 0 {
				if t := oneLine(rest[:j]); t != "" {
					return truncate(t, 200)
				}
			}
		}
		body = stripTags(body)
	}
	return truncate(oneLine(body), 200)
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
