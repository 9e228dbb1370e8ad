package osb

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// maxErrorText is how much of a non-JSON error body is kept.
	maxErrorText = 1 << 10
	// maxRetryAfter caps a Retry-After header.
	maxRetryAfter = 24 * time.Hour
)

// statusError turns a response whose status the operation does not accept
// into an error.
func (c *client) statusError(op Operation, r *response) error {
	if isSuccess(r.status) {
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
	if body[0] == '{' && c.readErrorObject(e, body) {
		return e
	}
	c.readErrorText(e, body)
	return e
}

// readErrorObject fills e from an OSB error object, and reports false when
// body is not a JSON object.
func (c *client) readErrorObject(e *HTTPStatusCodeError, body []byte) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return false
	}
	e.ErrorCode = truncate(c.redact(jsonText(lookupField(fields, "error", "Error"))), 256)
	e.Description = truncate(c.redact(jsonText(lookupField(fields, "description", "Description"))), 4<<10)
	e.InstanceUsable = jsonBool(fields["instance_usable"])
	e.UpdateRepeatable = jsonBool(fields["update_repeatable"])
	e.msg = c.redact(e.message())
	return true
}

// readErrorText keeps an excerpt of an error body that is not JSON.
func (c *client) readErrorText(e *HTTPStatusCodeError, body []byte) {
	text := string(body)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	e.Body = truncate(c.redact(text), maxErrorText)
	// Summarizing an HTML page drops tags, which could join the pieces of a
	// credential, so the message is redacted again.
	e.msg = c.redact(e.message())
}

// lookupField returns the first of names present in fields.
func lookupField(fields map[string]json.RawMessage, names ...string) json.RawMessage {
	for _, n := range names {
		if v, ok := fields[n]; ok {
			return v
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
