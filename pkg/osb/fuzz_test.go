package osb

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// parse runs the response decoding of op, exactly as the client does after
// an HTTP exchange.
func (c *client) parse(op Operation, r *response) (any, error) {
	switch op {
	case OperationGetCatalog:
		return c.parseCatalog(r)
	case OperationProvision:
		return c.parseProvision(r)
	case OperationUpdate:
		return c.parseUpdate(r)
	case OperationDeprovision:
		return c.parseDeprovision(r)
	case OperationLastOperation, OperationBindingLastOperation:
		return c.parseLastOperation(op, r)
	case OperationGetInstance:
		return c.parseGetInstance(r)
	case OperationBind:
		return c.parseBind(r)
	case OperationUnbind:
		return c.parseUnbind(r)
	case OperationGetBinding:
		return c.parseGetBinding(r)
	}
	panic("unknown operation " + op)
}

// successStatuses are the statuses each operation accepts.
var successStatuses = map[Operation][]int{
	OperationGetCatalog:           {200},
	OperationProvision:            {200, 201, 202},
	OperationUpdate:               {200, 202},
	OperationDeprovision:          {200, 202},
	OperationLastOperation:        {200},
	OperationGetInstance:          {200},
	OperationBind:                 {200, 201, 202},
	OperationUnbind:               {200, 202},
	OperationBindingLastOperation: {200},
	OperationGetBinding:           {200},
}

const (
	fuzzPassword = "fuzz-PASSWORD"
	fuzzCanary   = "CANARY-credential"
)

// FuzzDecodeResponse feeds arbitrary statuses, Retry-After headers and bodies
// to the response decoding of every operation (selected by the first
// argument). It checks that decoding never panics, that exactly one of
// response and error is returned, that errors are of the documented types
// and carry the request identity, and that an error never quotes a success
// body (which may hold credentials) nor the client's password.
func FuzzDecodeResponse(f *testing.F) {
	ops := Operations()
	index := map[Operation]uint8{}
	for i, op := range ops {
		index[op] = uint8(i)
	}
	for op, cases := range statusCases() {
		for _, tc := range cases {
			retry := ""
			for i := 0; i+1 < len(tc.header); i += 2 {
				if tc.header[i] == "Retry-After" {
					retry = tc.header[i+1]
				}
			}
			f.Add(index[op], uint16(tc.status), retry, []byte(tc.body))
		}
	}
	for _, op := range ops {
		i := index[op]
		f.Add(i, uint16(200), "", []byte(fullCatalog))
		f.Add(i, uint16(201), "", []byte(`{"credentials":{"password":"`+fuzzCanary+`"},"endpoints":"`+fuzzCanary+`"}`))
		f.Add(i, uint16(202), "", []byte(`{"operation":["`+fuzzCanary+`"]}`))
		f.Add(i, uint16(200), "1", []byte(`{"state":"`+fuzzCanary+`","services":[{"id":"`+fuzzCanary+`","plans":7}]}`))
		f.Add(i, uint16(500), "", []byte(`{"error":"x `+fuzzPassword+`","description":"`+fuzzPassword+`"}`))
		f.Add(i, uint16(503), "Wed, 21 Oct 2015 07:28:00 GMT", []byte("<html>"+fuzzPassword+"</html>"))
		f.Add(i, uint16(200), "", []byte("{\"state\":\"succeeded\"}\n{}"))
		f.Add(i, uint16(201), "", []byte("\xff\xfe{"))
	}
	c := &client{secrets: []string{fuzzPassword}}
	f.Fuzz(func(t *testing.T, opIndex uint8, status uint16, retryAfter string, body []byte) {
		op := ops[int(opIndex)%len(ops)]
		code := 100 + int(status)%500
		r := &response{status: code, header: http.Header{"Retry-After": {retryAfter}}, body: body, requestID: "rid-1"}
		resp, err := c.parse(op, r)

		if (err == nil) == isNil(resp) {
			t.Fatalf("%s %d: response %v and error %v", op, code, resp, err)
		}
		success := false
		for _, s := range successStatuses[op] {
			success = success || s == code
		}
		if err == nil {
			if !success {
				t.Fatalf("%s accepted status %d", op, code)
			}
			checkResponse(t, op, resp)
			return
		}
		msg := err.Error()
		if msg == "" || len(msg) > 2048 {
			t.Fatalf("error string of %d bytes", len(msg))
		}
		if strings.Contains(msg, fuzzPassword) {
			t.Fatalf("error quotes the client's password: %s", msg)
		}
		if RequestIdentityOf(err) != "rid-1" {
			t.Fatalf("error %T lacks the request identity", err)
		}
		var (
			h *HTTPStatusCodeError
			u *UnexpectedStatusError
			m *MalformedResponseError
		)
		switch {
		case errors.As(err, &h):
			if code >= 200 && code <= 299 {
				t.Fatalf("HTTPStatusCodeError for %d", code)
			}
			if len(h.Body) > maxErrorText+3 || !utf8.ValidString(h.Body) {
				t.Fatalf("error body of %d bytes or invalid UTF-8", len(h.Body))
			}
		case errors.As(err, &u):
			if code < 200 || code > 299 || success {
				t.Fatalf("UnexpectedStatusError for %d", code)
			}
		case errors.As(err, &m):
			if !success {
				t.Fatalf("MalformedResponseError for a non-success status %d", code)
			}
		default:
			t.Fatalf("untyped error %T: %v", err, err)
		}
		if code >= 200 && code <= 299 && strings.Contains(msg, fuzzCanary) {
			t.Fatalf("error quotes a success body: %s", msg)
		}
		_ = NeedsOrphanMitigation(op, err)
		_, _ = StatusCode(err)
	})
}

func checkResponse(t *testing.T, op Operation, resp any) {
	t.Helper()
	switch r := resp.(type) {
	case *CatalogResponse:
		if r.Services == nil {
			t.Fatal("catalog without services slice")
		}
		for i := range r.Services {
			_ = ValidateService(&r.Services[i])
			for j := range r.Services[i].Plans {
				p := &r.Services[i].Plans[j]
				_, _ = p.MaximumPollingTime()
				_ = EffectiveBindable(&r.Services[i], p)
				_ = EffectivePlanUpdatable(&r.Services[i], p)
			}
		}
	case *LastOperationResponse:
		switch r.State {
		case StateInProgress, StateSucceeded, StateFailed:
		default:
			t.Fatalf("%s: state %q", op, r.State)
		}
		if r.RetryAfter < 0 || r.RetryAfter > maxRetryAfter {
			t.Fatalf("RetryAfter %v", r.RetryAfter)
		}
		_ = LastOperationNeedsOrphanMitigation(OperationProvision, r)
	case *ProvisionResponse:
		if !r.Async && r.OperationKey != nil {
			t.Fatal("sync provision with an operation key")
		}
	case *BindResponse:
		if r.Async && r.Credentials != nil {
			t.Fatal("async bind with credentials")
		}
		_, _ = r.Metadata.ExpiresAtTime()
	}
}

// FuzzParseOriginatingIdentity checks that parsing any header value never
// panics and that every identity survives encoding and parsing.
func FuzzParseOriginatingIdentity(f *testing.F) {
	f.Add("kubernetes eyJ1c2VybmFtZSI6ImEiLCJ1aWQiOiJiIiwiZ3JvdXBzIjpbXSwiZXh0cmEiOnt9fQ==", "duke", "uid", "g1")
	f.Add("cloudfoundry e30=", "", "", "")
	f.Add("kubernetes !!", "a\x00b", "\u2028", "")
	f.Fuzz(func(t *testing.T, header, user, uid, group string) {
		_, _, _ = ParseOriginatingIdentity(header)
		in := &OriginatingIdentity{Username: user, UID: uid, Groups: []string{group}, Extra: map[string][]string{"k": {group}}}
		v, err := in.HeaderValue()
		if err != nil {
			t.Fatal(err)
		}
		_, out, err := ParseOriginatingIdentity(v)
		if err != nil {
			t.Fatalf("own header %q does not parse: %v", v, err)
		}
		// JSON replaces each invalid byte of UTF-8 with U+FFFD, as a conversion to runes does.
		valid := func(s string) string { return string([]rune(s)) }
		if out.Username != valid(user) || out.UID != valid(uid) || out.Groups[0] != valid(group) {
			t.Fatalf("round trip changed the identity: %+v -> %+v", in, out)
		}
	})
}
