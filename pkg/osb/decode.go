package osb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// decodeObject decodes a success body into v. An empty body counts as {}.
// Numbers in free-form values decode as json.Number.
func decodeObject(op Operation, r *response, v any) error {
	if r.readErr != nil {
		reason := "reading body failed"
		if errors.Is(r.readErr, errBodyTooLarge) {
			reason = "body too large"
		}
		return malformed(op, r, reason)
	}
	body := bytes.TrimSpace(r.body)
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' {
		return malformed(op, r, "body is not a JSON object")
	}
	if err := unmarshalNumbers(body, v); err != nil {
		return malformed(op, r, describeJSONError(err))
	}
	return nil
}

// malformed returns a MalformedResponseError for r.
func malformed(op Operation, r *response, reason string) error {
	return &MalformedResponseError{Operation: op, StatusCode: r.status, RequestIdentity: r.requestID, Reason: reason}
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
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil // not said
	}
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

// nonEmpty returns s, or nil when s is nil or empty.
func nonEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// maxOperationKeyLength is the longest operation value the specification allows.
const maxOperationKeyLength = 10000

// operationKey returns a response's operation value, or nil when it has none; a value
// over the specification's limit makes the answer malformed.
func operationKey(op Operation, r *response, key *string) (*string, error) {
	if key != nil && len(*key) > maxOperationKeyLength {
		return nil, &MalformedResponseError{Operation: op, StatusCode: r.status, RequestIdentity: r.requestID,
			Reason: fmt.Sprintf("the operation value is %d characters long, over the limit of %d", len(*key), maxOperationKeyLength)}
	}
	return nonEmpty(key), nil
}

// lenient decodes an optional part of an answer into v, leaving v as it was when the part
// cannot be read: a broker's mistake in a field the platform may ignore must not fail the
// whole answer.
func lenient[T any](raw json.RawMessage) T {
	var v T
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			var zero T
			return zero
		}
	}
	return v
}
