package osb

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
)

func TestOriginatingIdentityHeaderDecodesToTheUser(t *testing.T) {
	ts := newTestServer(t, reply(201, `{}`))
	c := newClientFor(t, ts.URL)
	if _, err := call(context.Background(), c, OperationProvision); err != nil {
		t.Fatal(err)
	}
	header := ts.last(t).Header.Get(HeaderOriginatingIdentity)

	// Decode by hand, as a broker would.
	platform, value, found := strings.Cut(header, " ")
	if !found || platform != "kubernetes" {
		t.Fatalf("header %q does not start with the kubernetes platform", header)
	}
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		t.Fatalf("value is not padded standard Base64: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("value is not JSON: %v", err)
	}
	want := map[string]any{
		"username": "duke", "uid": "c2dde242-5ce4-11e7-988c-000c2946f14f",
		"groups": []any{"admin", "dev"}, "extra": map[string]any{"mydata": []any{"data1", "data3"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}

	// The request's context platform is the same as the header's.
	var body struct {
		Context Context `json:"context"`
	}
	if err := json.Unmarshal(ts.last(t).Body, &body); err != nil || body.Context.Platform != platform {
		t.Errorf("context platform %q differs from identity platform %q", body.Context.Platform, platform)
	}

	// And ParseOriginatingIdentity agrees.
	p, id, err := ParseOriginatingIdentity(header)
	if err != nil || p != "kubernetes" {
		t.Errorf("ParseOriginatingIdentity = %q, %v; want kubernetes", p, err)
	}
	if diff := cmp.Diff(testIdentity, id); diff != "" {
		t.Errorf("ParseOriginatingIdentity identity (-want +got):\n%s", diff)
	}
}

func TestOriginatingIdentityEmptyGroupsAndExtra(t *testing.T) {
	v, err := (&OriginatingIdentity{Username: "system:serviceaccount:ns:sa", UID: "u"}).HeaderValue()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, "kubernetes "))
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"username":"system:serviceaccount:ns:sa","uid":"u","groups":[],"extra":{}}` {
		t.Errorf("identity JSON = %s", raw)
	}
	if strings.ContainsAny(v, "\n\r") {
		t.Error("header value has line breaks")
	}
}

func TestParseOriginatingIdentityRejectsBadValues(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	bad := []string{
		"",
		"kubernetes",
		"kubernetes ",
		" " + enc(`{}`),
		"kubernetes not-base64!",
		"kubernetes " + enc(`[1]`),
		"kubernetes " + enc(`"x"`),
		"kubernetes " + enc(`{"username":"a","uid":"b","groups":[]}`),
		"kubernetes " + enc(`{"username":"a","uid":"b","groups":"x","extra":{}}`),
		"kubernetes " + enc(`{"username":"a","uid":"b","groups":null,"extra":{}}`),
		"kubernetes a b",
	}
	for _, h := range bad {
		if _, _, err := ParseOriginatingIdentity(h); err == nil {
			t.Errorf("ParseOriginatingIdentity(%q) succeeded", h)
		}
	}
	if p, id, err := ParseOriginatingIdentity("cloudfoundry " + enc(`{"user_id":"x"}`)); err != nil || p != "cloudfoundry" || id != nil {
		t.Errorf("other platform: %q %v %v", p, id, err)
	}
	// Unpadded Base64 is tolerated on input.
	unpadded := "kubernetes " + base64.RawStdEncoding.EncodeToString([]byte(`{"username":"a","uid":"b","groups":[],"extra":{}}`))
	if _, id, err := ParseOriginatingIdentity(unpadded); err != nil || id.Username != "a" {
		t.Errorf("unpadded: %v %v", id, err)
	}
}

// TestNoCredentialLeaks drives every operation through successes, malformed
// bodies, error bodies that echo the credentials, and timeouts, with klog at
// verbosity 10, and checks that no credential appears in an error string or
// a log line.
func TestNoCredentialLeaks(t *testing.T) {
	const (
		password     = "basic-PASSWORD-7f3a"
		token        = "bearer-TOKEN-91c2"
		bindingCreds = "binding-SECRET-5e8d"
	)
	basicToken := base64.StdEncoding.EncodeToString([]byte("admin:" + password))
	secrets := []string{password, token, basicToken, bindingCreds}

	var logs bytes.Buffer
	logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(10), textlogger.Output(&logs)))
	ctx := klog.NewContext(context.Background(), logger)

	credBody := `{"credentials":{"username":"u","password":"` + bindingCreds + `","uri":"pg://u:` + bindingCreds + `@h/db"}}`
	// secretOf returns the password or token the client sent.
	secretOf := func(r *http.Request) string {
		if _, p, ok := r.BasicAuth(); ok {
			return p
		}
		return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":"Echo %[1]s","description":"you sent %[1]s with %[2]s","credentials":{"password":%[3]q}}`,
				r.Header.Get("Authorization"), secretOf(r), bindingCreds)
		}
	}
	echoText := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprintf(w, "<html><title>Error %s</title><body>Authorization: %s password=%s</body></html>",
			secretOf(r), r.Header.Get("Authorization"), secretOf(r))
	}
	handlers := map[string]http.HandlerFunc{
		"success with credentials": func(w http.ResponseWriter, r *http.Request) {
			switch {
			case strings.HasSuffix(r.URL.Path, "last_operation"):
				reply(200, `{"state":"failed","description":"failed"}`)(w, r)
			case r.URL.Path == "/v2/catalog":
				reply(200, `{"services":[{"id":"x","dashboard_client":{"id":"d","secret":"`+bindingCreds+`"},"plans":"bad"}]}`)(w, r)
			default:
				reply(200, credBody)(w, r)
			}
		},
		"malformed 201 with credentials": reply(201, `{"credentials":{"password":"`+bindingCreds+`"`),
		"wrong type with credentials":    reply(200, `{"credentials":{"password":"`+bindingCreds+`"},"endpoints":"`+bindingCreds+`","state":"`+bindingCreds+`","services":"`+bindingCreds+`"}`),
		"202 with credentials":           reply(202, `{"operation":{"x":"`+bindingCreds+`"},"credentials":{"password":"`+bindingCreds+`"}}`),
		"204":                            reply(204, credBody),
		"echo 400":                       echo(400),
		"echo 422":                       echo(422),
		"echo 500":                       echo(500),
		"echo html":                      echoText,
		"html that joins a credential": func(w http.ResponseWriter, r *http.Request) {
			// Dropping the stray ">" while summarizing the page rebuilds the secret.
			secret := secretOf(r)
			w.WriteHeader(503)
			fmt.Fprintf(w, "<html>%s>%s</html>", secret[:4], secret[4:])
		},
		"timeout": hang,
	}
	auths := map[string]*AuthConfig{
		"basic":  {Basic: &BasicAuthConfig{Username: "admin", Password: password}},
		"bearer": {Bearer: &BearerConfig{Token: token}},
	}
	var errs []string
	for authName, auth := range auths {
		for name, h := range handlers {
			ts := newTestServer(t, h)
			timeout := 10 * time.Second
			if name == "timeout" {
				timeout = 100 * time.Millisecond
			}
			c := newClientFor(t, ts.URL, func(c *Config) { c.Auth = auth; c.Timeout = timeout })
			for _, op := range Operations() {
				resp, err := call(ctx, c, op)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s/%s/%s: %s | %+v | %#v", authName, name, op, err, err, err))
				}
				if cat, ok := resp.(*CatalogResponse); ok && cat != nil {
					for i := range cat.Services {
						if verr := ValidateService(&cat.Services[i]); verr != nil {
							errs = append(errs, verr.Error())
						}
					}
				}
				if resp != nil {
					// Responses that hold credentials do not format them.
					if b, ok := resp.(*BindResponse); ok && b != nil {
						errs = append(errs, fmtAll(*b), fmtAll(b))
					}
					if g, ok := resp.(*GetBindingResponse); ok && g != nil {
						errs = append(errs, fmtAll(*g), fmtAll(g))
					}
				}
			}
		}
	}
	if len(errs) < 100 {
		t.Fatalf("only %d error strings were produced; the test is not exercising failures", len(errs))
	}
	if !strings.Contains(logs.String(), "OSB request") || !strings.Contains(logs.String(), "requestIdentity") {
		t.Fatalf("no request was logged at V(4); captured:\n%s", logs.String())
	}
	all := strings.Join(errs, "\n") + "\n" + logs.String()
	for _, s := range secrets {
		if i := strings.Index(all, s); i >= 0 {
			start := max(0, i-200)
			t.Errorf("credential %q leaked: ...%s...", s, all[start:min(len(all), i+100)])
		}
	}
	// The echoed descriptions survive, with the credentials cut out.
	if !strings.Contains(all, "you sent Basic <redacted> with <redacted>") {
		t.Errorf("redacted description not found in errors")
	}
}
